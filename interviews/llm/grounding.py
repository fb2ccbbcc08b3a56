"""Questions grounded in the job: before each main question the interviewer reads the passages
of the position's knowledge base (its job description and the documents staff attached) most
relevant to the position and the question plan (docs/retrieval.md, "Grounded interviews").

One call, `question_grounding`, is all the turn path needs: it keeps the job description in
the knowledge base current, searches, and never raises. A search that fails (database error,
embeddings down, the `rag` breaker open) returns at once as "ungrounded": the interview goes
on with an ungrounded question, and the turn says so for staff.
"""

import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.db import DatabaseError

from interviews.llm.base import JOB_DESCRIPTION, QuestionContext
from retrieval.errors import RetrievalUnavailable
from retrieval.parsing import DocumentRejected
from retrieval.services.documents import document_text_current, knowledge_base_ensure
from retrieval.services.search import Hit, knowledge_base_id, retrieval_search_in

if TYPE_CHECKING:
    from interviews.models import Interview, Position

logger = logging.getLogger(__name__)

GROUNDED, UNGROUNDED = "grounded", "ungrounded"
QUOTE_CHARS = 600  # of each passage, in the prompt and in the stored citation
# Words job descriptions use around what they ask for: they pull requirement passages up
# when the title and topics alone match little.
PLAN_WORDS = "requirements responsibilities experience skills must"


def position_knowledge_key(position_id: int) -> str:
    return f"position:{position_id}"


def position_knowledge_sync(*, position: "Position") -> None:
    """The position's knowledge base, titled after it, with its job description as the
    document "Job description" (job_description_sync). DocumentRejected when the text cannot
    be indexed (the caller shows it)."""
    knowledge_base_ensure(key=position_knowledge_key(position.pk), title=position.title)
    job_description_sync(position=position)


def job_description_sync(*, position: "Position") -> int | None:
    """The document "Job description" as the position's description says: re-indexed when it
    changed, removed when it was emptied; one query when nothing changed (the turn path runs
    it before every main question). Returns the knowledge base's id (None: it has none)."""
    return document_text_current(
        key=position_knowledge_key(position.pk),
        name=JOB_DESCRIPTION,
        text=position.description.strip(),
        kind="markdown",
    )


def position_knowledge_refresh(*, position: "Position") -> str:
    """position_knowledge_sync for the places a position is saved: "" when indexed, else why
    the description could not be (the position is saved either way; staff see the reason)."""
    try:
        position_knowledge_sync(position=position)
    except DocumentRejected as exc:
        return f"The job description was not indexed for grounded questions: {exc}"
    return ""


@dataclass(frozen=True)
class Grounding:
    status: str  # GROUNDED, UNGROUNDED (retrieval failed) or "" (nothing relevant to use)
    passages: tuple[Hit, ...] = ()
    error: str = ""

    def quotes(self) -> tuple[str, ...]:
        """What the question context carries: each passage with its source, shortened."""
        return tuple(f"[{hit.document}] {hit.text[:QUOTE_CHARS]}" for hit in self.passages)

    def as_meta(self) -> dict[str, Any]:
        """What a question turn stores for staff (Turn.meta; never sent to the candidate)."""
        if not self.status:
            return {}
        meta: dict[str, Any] = {"grounding": self.status}
        if self.passages:
            # A snapshot, not passage ids: a re-indexed document gets new passages, and a
            # citation must still show what the question was built on.
            meta["citations"] = [
                {
                    "document": hit.document,
                    "passage": hit.ordinal,
                    "start": hit.start,
                    "end": hit.end,
                    "quote": hit.text[:QUOTE_CHARS],
                }
                for hit in self.passages
            ]
        if self.error:
            meta["grounding_error"] = self.error
        return meta


def question_grounding(*, interview: "Interview") -> Grounding:
    """The passages the interview's next question should be built on. Never raises."""
    if interview.position_id is None:
        return Grounding("")
    query = f"{interview.role} {interview.topic} {PLAN_WORDS}"
    try:
        hits = retrieval_search_in(knowledge_base_id=_sync_quietly(interview), query=query)
    except RetrievalUnavailable as exc:
        logger.warning("interview %s: question not grounded: %s", interview.pk, exc)
        return Grounding(UNGROUNDED, error=str(exc))
    return Grounding(GROUNDED if hits else "", tuple(hits))


def grounded_context(ctx: QuestionContext, grounding: Grounding) -> QuestionContext:
    return replace(ctx, grounding=grounding.quotes()) if grounding.passages else ctx


def _sync_quietly(interview: "Interview") -> int | None:
    """job_description_sync: the id of the position's knowledge base, its job description
    current. Kept current here, on the path that reads it, so every way a description changes
    (the admin, a service, a data migration) reaches the index."""
    position = interview.position
    assert position is not None  # the caller checked position_id
    try:
        try:
            return job_description_sync(position=position)
        except DocumentRejected as exc:
            logger.warning("position %s: job description not indexed: %s", position.pk, exc)
            return knowledge_base_id(key=position_knowledge_key(position.pk))
    except DatabaseError as exc:
        raise RetrievalUnavailable(f"knowledge base unavailable: {type(exc).__name__}") from exc
