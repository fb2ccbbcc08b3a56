"""Contextual fallbacks: what the interviewer says when no provider and no cache can answer.

A question that cannot be generated becomes a generic experience question, different for each
question number and never one already asked in this interview, which keeps the interview moving
without pretending to have judged anything. A follow-up that cannot be generated is simply
skipped (moving on is the neutral choice), which is the default kind.
"""

import enum

from interviews.llm.base import GeneratedQuestion, QuestionContext
from interviews.prose import fold

PROVIDER = "fallback"


class FallbackKind(enum.StrEnum):
    QUESTION_GENERATION = "question_generation"
    DEFAULT = "default"
    CODING_BANK = "coding_bank"  # an LLM's coding question failed or failed its own tests


# (question, rubric). "{topic}" is filled in with the interview's topic.
EXPERIENCE_QUESTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Tell me about a recent project involving {topic} that you are proud of. What was your "
        "part in it, and what would you do differently today?",
        (
            "Describes a specific project and the candidate's own contribution",
            "Explains the main technical decisions and their reasons",
            "Reflects honestly on what could be improved",
        ),
    ),
    (
        "Describe the hardest technical problem you have solved recently. How did you approach "
        "it, step by step?",
        (
            "Frames the problem and why it was hard",
            "Shows a structured way of investigating it",
            "Explains how the solution was verified",
        ),
    ),
    (
        "Tell me about a time you disagreed with a teammate about a technical decision. How was "
        "it resolved?",
        (
            "Describes the disagreement and both positions fairly",
            "Uses evidence or experiments rather than authority",
            "Explains the outcome and what was learned",
        ),
    ),
    (
        "How do you get productive in an unfamiliar codebase or technology? Give an example.",
        (
            "Names concrete techniques for learning the code or tool",
            "Gives a real example with a timeline",
            "Mentions asking for help and writing things down",
        ),
    ),
    (
        "Describe a mistake you made in your work and what you changed afterwards.",
        (
            "Owns a specific mistake without deflecting",
            "Explains the impact and how it was fixed",
            "Describes a lasting change in practice",
        ),
    ),
    (
        "Tell me about a time you had to deliver under a tight deadline. What did you "
        "prioritise, and what did you leave out?",
        (
            "Explains how priorities were chosen",
            "Is explicit about the trade-offs made",
            "Describes how risks were communicated",
        ),
    ),
    (
        "How do you make sure that what you build keeps working after it has been released? "
        "Use an example from your experience with {topic}.",
        (
            "Mentions automated tests at the right levels",
            "Covers monitoring or alerting in production",
            "Gives a concrete example",
        ),
    ),
    (
        "Describe something you improved at work that nobody had asked you to improve. How did "
        "you convince others it was worth it?",
        (
            "Identifies a real problem and its cost",
            "Describes the improvement and its measured effect",
            "Explains how others were brought along",
        ),
    ),
)


def fallback_question(ctx: QuestionContext) -> GeneratedQuestion:
    """A generic experience question: varies with `ctx.index`, never repeats an asked one."""
    asked = {fold(q) for q in ctx.previous_questions}
    topic = ctx.topic.strip() or ctx.role.strip() or "your field"
    count = len(EXPERIENCE_QUESTIONS)
    start = (ctx.index - 1) % count
    for offset in range(count):
        template, rubric = EXPERIENCE_QUESTIONS[(start + offset) % count]
        text = template.format(topic=topic)
        if fold(text) not in asked:
            return GeneratedQuestion(
                text, rubric, "fallback", PROVIDER, f"fallback-{(start + offset) % count}"
            )
    # A very long interview has used them all: a numbered variant is still new.
    template, rubric = EXPERIENCE_QUESTIONS[start]
    text = f"{template.format(topic=topic)} (Question {ctx.index}: pick a different example.)"
    return GeneratedQuestion(text, rubric, "fallback", PROVIDER, f"fallback-{start}-{ctx.index}")
