"""Writes: knowledge bases and their documents, each stored with its passages in one
transaction, so a failure at any step leaves the previous version whole."""

import hashlib
import logging
import time

from django.db import connection, transaction

from retrieval import metrics
from retrieval.chunking import Span, passages_split
from retrieval.conf import RetrievalSettings, retrieval_settings
from retrieval.embeddings import embed
from retrieval.errors import RetrievalUnavailable
from retrieval.models import Document, KnowledgeBase, Passage
from retrieval.parsing import DocumentRejected, ParsedDocument, document_parse, text_parse
from retrieval.vectors import vectors_available, vectors_store

logger = logging.getLogger(__name__)


def knowledge_base_ensure(*, key: str, title: str = "") -> KnowledgeBase:
    knowledge_base, created = KnowledgeBase.objects.get_or_create(
        key=key, defaults={"title": title}
    )
    if not created and title and knowledge_base.title != title:
        knowledge_base.title = title
        knowledge_base.save(update_fields=["title"])
    return knowledge_base


def document_upload(*, key: str, name: str, data: bytes) -> Document:
    """A file staff attach (.txt, .md, .pdf): parsed, split and indexed, or refused whole."""
    started = time.perf_counter()
    parsed = document_parse(name=name, data=data)
    return document_parsed_store(key=key, name=name, parsed=parsed, started=started)


def document_room_check(*, key: str, name: str, conf: RetrievalSettings | None = None) -> None:
    """DocumentRejected when `key` holds its limit of documents and `name` is not one of them."""
    conf = conf or retrieval_settings()
    documents = Document.objects.filter(knowledge_base__key=key)
    if documents.count() >= conf.max_documents and not documents.filter(name=name).exists():
        raise DocumentRejected(
            "too_many_documents",
            f"{key} already has {conf.max_documents} documents; delete one first.",
        )


def document_text_store(*, key: str, name: str, text: str, kind: str) -> Document:
    """Text the owner holds itself, such as a job description; re-indexed when it changed."""
    started = time.perf_counter()
    parsed = text_parse(name=name, text=text, kind=kind)
    return document_parsed_store(key=key, name=name, parsed=parsed, started=started)


def document_text_current(*, key: str, name: str, text: str, kind: str) -> int | None:
    """document_text_store for a caller on a hot path that runs it again and again with the
    same text: one query when nothing changed. Empty text removes the document. Returns the
    knowledge base's id (None: `key` has none)."""
    parsed = text_parse(name=name, text=text, kind=kind) if text.strip() else None
    # One round trip: the knowledge base's id, and the document's hash and kind if it has it.
    sql = (
        f"SELECT kb.id, d.sha256, d.kind FROM {KnowledgeBase._meta.db_table} kb "  # noqa: S608
        f"LEFT JOIN {Document._meta.db_table} d ON d.knowledge_base_id = kb.id AND d.name = %s "
        "WHERE kb.key = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [document_name(name), key])
        row = cursor.fetchone()
    knowledge_base_id, sha, held_kind = row if row is not None else (None, None, None)
    if parsed is not None and (sha, held_kind) != (_sha(parsed.text), parsed.kind):
        return document_parsed_store(key=key, name=name, parsed=parsed).knowledge_base_id
    if parsed is None and sha is not None:
        document_remove(key=key, name=name)
    return knowledge_base_id


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_name(name: str) -> str:
    return name.strip()[:200]


def document_delete(*, document: Document) -> None:
    # Passages go with it (cascade); the search index follows them (migration 0002).
    document.delete()


def document_remove(*, key: str, name: str) -> None:
    """Delete the document `name` of knowledge base `key` if there is one (one query if not)."""
    for document in Document.objects.filter(knowledge_base__key=key, name=document_name(name)):
        document_delete(document=document)


def document_parsed_store(
    *,
    key: str,
    name: str,
    parsed: ParsedDocument,
    conf: RetrievalSettings | None = None,
    started: float | None = None,
) -> Document:
    started = started or time.perf_counter()
    conf = conf or retrieval_settings()
    name = document_name(name)
    if not name:
        raise DocumentRejected("no_name", "A document needs a name.")
    sha = _sha(parsed.text)
    same = Document.objects.filter(
        knowledge_base__key=key, name=name, sha256=sha, kind=parsed.kind
    ).first()
    if same is not None:
        return same  # same text: the passages and their index stand
    spans = passages_split(parsed.text, target=conf.passage_chars)
    # Before the transaction: no row stays locked while the embeddings endpoint answers.
    vectors = _embeddings(spans, conf)
    with transaction.atomic():
        knowledge_base = knowledge_base_ensure(key=key)
        # Serialises writers of one knowledge base, so the document limit holds under races.
        KnowledgeBase.objects.select_for_update().filter(pk=knowledge_base.pk).get()
        document_room_check(key=key, name=name, conf=conf)
        document = Document.objects.filter(knowledge_base=knowledge_base, name=name).first()
        if document is None:
            document = Document(knowledge_base=knowledge_base, name=name)
        elif document.sha256 == sha and document.kind == parsed.kind:
            return document  # stored meanwhile by another writer
        document.kind = parsed.kind
        document.text = parsed.text
        document.size_bytes = parsed.size_bytes
        document.pages = parsed.pages
        document.sha256 = sha
        document.save()
        document.passages.all().delete()
        passages = Passage.objects.bulk_create(
            Passage(
                knowledge_base=knowledge_base,
                document=document,
                ordinal=ordinal,
                start=span.start,
                end=span.end,
                text=span.text,
            )
            for ordinal, span in enumerate(spans)
        )
        if vectors:
            vectors_store([(p.pk, v) for p, v in zip(passages, vectors, strict=True)])
    metrics.INIT_SECONDS.observe(time.perf_counter() - started)
    logger.info("retrieval: %s %r indexed as %d passages", key, name, len(spans))
    return document


def _embeddings(spans: list[Span], conf: RetrievalSettings) -> list[list[float]] | None:
    # Without vectors a document is still found lexically; a re-index fills them in later.
    if not (conf.embeddings_enabled and vectors_available()):
        return None
    try:
        return embed([span.text for span in spans], conf=conf)
    except RetrievalUnavailable as exc:
        logger.warning("retrieval: stored without embeddings: %s", exc)
        return None
