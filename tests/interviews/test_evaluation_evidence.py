"""Evidence reads as evidence: each rubric point shows the whole sentences of the answer that
support it, or "not covered"; no fragments, no stray punctuation; every quote links to the turn
it was said in, in the transcript on the same admin page."""

import re

import pytest
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from interviews.prose import sentences
from interviews.services.evaluation import evaluation_run
from tests.interviews.evaluation_support import interview_answering

pytestmark = pytest.mark.django_db

# Two rubric points of python-easy-01 (mutability, hashability) in long sentences, stray
# ".;" punctuation and an abbreviation; nothing about records or memory.
LONG_ANSWER = (
    "Well, to start with the basics that everybody asks about in interviews like this one, and "
    "which I have explained many times to junior colleagues over the years in code reviews and "
    "pairing sessions, the key thing is that a list is mutable while a tuple is immutable, so "
    "once you build a tuple you cannot change it.; That matters e.g. for caching. Because of "
    "that a tuple of hashable items is itself hashable, which means you can use it as a dict "
    "key or put it in a set, and a list can never do that!"
)
FOLLOW_UP = "Also, I use namedtuple for records."


def _sentence_set(text: str) -> set[str]:
    return {s.text for s in sentences(text)}


def test_each_rubric_point__shows_whole_sentences_or_not_covered() -> None:
    interview = interview_answering(("python-easy-01", LONG_ANSWER))

    (question,) = evaluation_run(interview_id=interview.pk).report["questions"]

    rubric = {p["point"]: [q["text"] for q in p["quotes"]] for p in question["rubric"]}
    assert len(rubric) == 4
    mutable, hashable, records, memory = rubric.values()
    assert mutable, "a covered point quotes the candidate"
    assert hashable
    assert (records, memory) == ([], []), "the others are not covered"
    whole = _sentence_set(LONG_ANSWER)
    for quote in [*mutable, *hashable, *(e["text"] for e in question["evidence"])]:
        assert quote in whole, "a quote is one whole sentence of the answer"
        assert quote[0].isalnum()
        assert quote[-1] in ".!?"
    assert any(len(q) > 240 for q in mutable), "a long sentence is quoted whole, not cut"


def test_quotes__link_to_the_turn_they_were_said_in(admin_client: Client) -> None:
    interview = interview_answering(("python-easy-01", LONG_ANSWER))
    follow_up_seq = interview.last_seq + 1
    interview.turns.create(
        seq=follow_up_seq,
        role="candidate",
        kind="answer",
        question_index=1,
        text=FOLLOW_UP,
    )
    interview.last_seq = follow_up_seq
    interview.save(update_fields=["last_seq"])
    answer_seq = interview.turns.get(kind="answer", text=LONG_ANSWER).seq

    (question,) = evaluation_run(interview_id=interview.pk).report["questions"]
    page = admin_client.get(f"/admin/interviews/interview/{interview.pk}/change/")

    turns = {q["text"]: q["turn"] for p in question["rubric"] for q in p["quotes"]}
    assert turns[FOLLOW_UP] == follow_up_seq
    assert {t for text, t in turns.items() if text != FOLLOW_UP} == {answer_seq}
    body = page.content.decode()
    links = set(re.findall(r'href="#turn-(\d+)"', body))
    assert links == {str(answer_seq), str(follow_up_seq)}
    for seq in links:
        assert f'id="turn-{seq}"' in body, "every link has its anchor in the transcript"
    assert body.count("not covered") == 1, "only the memory point is missed"


def test_a_missed_question__quotes_nothing_and_says_so(admin_client: Client) -> None:
    interview = interview_answering(("python-easy-01", "I am not sure, I never used them."))

    (question,) = evaluation_run(interview_id=interview.pk).report["questions"]
    body = admin_client.get(f"/admin/interviews/interview/{interview.pk}/change/").content

    assert [p["quotes"] for p in question["rubric"]] == [[]] * 4
    assert body.decode().count("not covered") == 4


_PIECES = st.sampled_from(
    ["Lists are mutable", "e.g", "sys.path", "3.5", "O(1)", "—", "…", ";", ".;", "“quoted”", "x"]
)
_GAPS = st.sampled_from([" ", ". ", "! ", "? ", "\n", ", ", ".; ", " - ", "\n- "])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_PIECES, _GAPS), min_size=1, max_size=40))
def test_sentences__are_verbatim_slices_with_no_stray_punctuation_at_their_ends(
    parts: list[tuple[str, str]],
) -> None:
    text = "".join(piece + gap for piece, gap in parts)
    for sentence in sentences(text):
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.text[0] not in ".,;:!?)-–—…"  # noqa: RUF001
        assert sentence.text[-1] not in ",;:-–—("  # noqa: RUF001
        assert not sentence.text[-1].isspace()
