"""Documents into a knowledge base: parsed, split into passages with offsets, re-indexed when
edited, and refused whole (nothing stored, the previous version intact) when bad."""

from typing import Any

import pytest
from django.test import override_settings

from retrieval.models import Document, KnowledgeBase, Passage
from retrieval.parsing import DocumentRejected
from retrieval.services.documents import (
    document_delete,
    document_text_current,
    document_text_store,
    document_upload,
)
from retrieval.services.search import retrieval_search
from tests.retrieval.pdfs import blank_pages_pdf, encrypted_pdf, pdf_bytes

pytestmark = pytest.mark.django_db

JOB = """# Senior data engineer

We run Kafka streams into a PostgreSQL warehouse and schedule them with Airflow.

## Requirements

You have operated Kafka clusters in production. You can tune PostgreSQL queries and indexes.
You have written Airflow DAGs that recover from partial failures.
"""


def _state(key: str) -> list[tuple[str, str, list[str]]]:
    return [
        (d.name, d.text, list(d.passages.values_list("text", flat=True)))
        for d in Document.objects.filter(knowledge_base__key=key).order_by("name")
    ]


def test_markdown__is_split_into_passages_whose_offsets_point_into_the_text() -> None:
    document = document_upload(key="position:1", name="job.md", data=JOB.encode())
    passages = list(document.passages.order_by("ordinal"))
    assert document.kind == "markdown"
    assert len(passages) >= 1
    for passage in passages:
        assert document.text[passage.start : passage.end] == passage.text
    assert "Airflow DAGs" in " ".join(p.text for p in passages)


@override_settings(RETRIEVAL_PASSAGE_CHARS=120)
def test_long_text__breaks_at_paragraphs_and_sentences_within_the_target() -> None:
    text = "\n\n".join(
        f"Paragraph {n} says one thing. It says another thing too." for n in range(30)
    )
    document = document_upload(key="k", name="notes.txt", data=text.encode())
    passages = list(document.passages.order_by("ordinal"))
    assert len(passages) > 5
    assert all(len(p.text) <= 120 for p in passages)
    assert all(p.text.endswith(".") for p in passages)
    assert [p.ordinal for p in passages] == list(range(len(passages)))


def test_pdf__text_of_every_page_is_indexed_with_the_page_count() -> None:
    data = pdf_bytes(["Job: platform engineer", "Must know Terraform and Kubernetes"])
    document = document_upload(key="position:2", name="Job.PDF", data=data)
    assert (document.kind, document.pages) == ("pdf", 2)
    assert [h.document for h in retrieval_search(key="position:2", query="terraform")] == [
        "Job.PDF"
    ]


def test_edit__replaces_the_passages_and_the_search_follows() -> None:
    document_text_store(key="p", name="Job description", text="We need Rust.", kind="markdown")
    assert retrieval_search(key="p", query="rust")
    document_text_store(key="p", name="Job description", text="We need Elixir.", kind="markdown")
    assert retrieval_search(key="p", query="rust") == []
    assert [h.text for h in retrieval_search(key="p", query="elixir")] == ["We need Elixir."]
    assert Document.objects.filter(knowledge_base__key="p").count() == 1


def test_delete__takes_the_passages_out_of_the_search() -> None:
    document = document_upload(key="p", name="a.txt", data=b"Haskell and OCaml")
    document_delete(document=document)
    assert retrieval_search(key="p", query="haskell") == []
    assert Passage.objects.count() == 0


BAD_FILES = [
    ("cv.docx", b"PK\x03\x04...", "unsupported_type"),
    ("notes.txt", "caf\xe9".encode("latin-1"), "invalid_utf8"),
    ("notes.md", b"text with a \x00 NUL", "control_characters"),
    ("binary.txt", b"\x01\x02\x03\x04ELF", "control_characters"),
    ("empty.md", b"  \n\n ", "empty"),
    ("fake.pdf", b"just text, named .pdf", "malformed_pdf"),
    ("broken.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R", "malformed_pdf"),
    ("truncated.pdf", pdf_bytes(["Kafka"])[:200], "malformed_pdf"),
    ("locked.pdf", encrypted_pdf("Kafka and Airflow"), "encrypted_pdf"),
    ("many.pdf", blank_pages_pdf(30), "too_many_pages"),
    ("big.txt", b"word " * 1000, "too_large"),
    ("inflating.pdf", pdf_bytes(["x" * 90] * 3, compress=True), "too_much_text"),
]


@override_settings(
    RETRIEVAL_MAX_DOCUMENT_BYTES=4000, RETRIEVAL_MAX_PDF_PAGES=20, RETRIEVAL_MAX_TEXT_CHARS=200
)
@pytest.mark.parametrize(("name", "data", "code"), BAD_FILES, ids=[f[0] for f in BAD_FILES])
def test_bad_file__is_refused_with_a_clear_error_and_the_stored_version_kept(
    name: str, data: bytes, code: str
) -> None:
    document_upload(key="position:9", name=name.rsplit(".", 1)[0] + ".md", data=b"Go and gRPC")
    before = _state("position:9")
    with pytest.raises(DocumentRejected) as caught:
        document_upload(key="position:9", name=name, data=data)
    assert caught.value.code == code
    assert name in str(caught.value)
    assert _state("position:9") == before
    assert Passage.objects.filter(knowledge_base__key="position:9").count() == 1


def test_failure_after_the_first_write__rolls_back_the_whole_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document_text_store(key="p", name="jd", text="Scala and Spark.", kind="markdown")
    before = _state("p")

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(Passage.objects, "bulk_create", broken)
    with pytest.raises(RuntimeError):
        document_text_store(key="p", name="jd", text="Java and Flink.", kind="markdown")
    assert _state("p") == before
    assert [h.text for h in retrieval_search(key="p", query="spark")] == ["Scala and Spark."]


@override_settings(RETRIEVAL_MAX_DOCUMENTS=2)
def test_document_limit__a_third_document_is_refused_but_a_replacement_is_not() -> None:
    document_upload(key="p", name="a.md", data=b"one")
    document_upload(key="p", name="b.md", data=b"two")
    with pytest.raises(DocumentRejected) as caught:
        document_upload(key="p", name="c.md", data=b"three")
    assert caught.value.code == "too_many_documents"
    document_upload(key="p", name="b.md", data=b"two, edited")
    assert KnowledgeBase.objects.get(key="p").documents.count() == 2


def test_text_current__one_query_when_unchanged_and_follows_every_change(
    django_assert_num_queries: Any,
) -> None:
    def current(text: str) -> int | None:
        return document_text_current(key="p", name="Job description", text=text, kind="markdown")

    with django_assert_num_queries(1):
        assert current("") is None  # no knowledge base, nothing to remove: nothing written
    assert not KnowledgeBase.objects.filter(key="p").exists()
    knowledge_base_id = current("We need Rust.")  # first: stored
    assert knowledge_base_id == KnowledgeBase.objects.get(key="p").pk
    with django_assert_num_queries(1):
        assert current("We need Rust.") == knowledge_base_id  # unchanged: the one read
    assert current("We need Elixir.") == knowledge_base_id  # changed: re-indexed
    assert [h.text for h in retrieval_search(key="p", query="elixir")] == ["We need Elixir."]
    assert retrieval_search(key="p", query="rust") == []
    document_upload(key="p", name="notes.txt", data=b"Haskell")
    assert current("") == knowledge_base_id  # emptied: removed, the other document stays
    assert _state("p") == [("notes.txt", "Haskell", ["Haskell"])]
    with django_assert_num_queries(1):
        assert current("") == knowledge_base_id
    with pytest.raises(DocumentRejected):
        current("bad \x00 byte")
    assert _state("p") == [("notes.txt", "Haskell", ["Haskell"])]
