"""The retrieval settings as one typed value, read once per process (docs/operations.md,
"Knowledge bases")."""

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.core import checks


@dataclass(frozen=True, slots=True)
class RetrievalSettings:
    max_document_bytes: int  # an upload or text larger than this is refused
    max_text_chars: int  # extracted text beyond this is refused (a PDF that inflates)
    max_pdf_pages: int  # a PDF with more pages is refused before any page is read
    max_documents: int  # documents per knowledge base
    passage_chars: int  # target passage length; passages break at paragraphs and sentences
    top_k: int  # passages a search returns by default
    embeddings_base_url: str  # OpenAI-compatible API root; "" = lexical search only
    embeddings_api_key: str = field(repr=False)
    embeddings_model: str = "text-embedding-3-small"
    embeddings_timeout: float = 1.0  # seconds per attempt, and the retries' deadline

    @property
    def embeddings_enabled(self) -> bool:
        return bool(self.embeddings_base_url)


def _read() -> RetrievalSettings:
    get = getattr
    return RetrievalSettings(
        max_document_bytes=int(get(settings, "RETRIEVAL_MAX_DOCUMENT_BYTES", 5 * 1024 * 1024)),
        max_text_chars=int(get(settings, "RETRIEVAL_MAX_TEXT_CHARS", 500_000)),
        max_pdf_pages=int(get(settings, "RETRIEVAL_MAX_PDF_PAGES", 200)),
        max_documents=int(get(settings, "RETRIEVAL_MAX_DOCUMENTS", 50)),
        passage_chars=int(get(settings, "RETRIEVAL_PASSAGE_CHARS", 800)),
        top_k=int(get(settings, "RETRIEVAL_TOP_K", 4)),
        embeddings_base_url=str(get(settings, "EMBEDDINGS_BASE_URL", "")).rstrip("/"),
        embeddings_api_key=str(get(settings, "EMBEDDINGS_API_KEY", "")),
        embeddings_model=str(get(settings, "EMBEDDINGS_MODEL", "text-embedding-3-small")),
        embeddings_timeout=float(get(settings, "EMBEDDINGS_TIMEOUT_SECONDS", 1.0)),
    )


@cache
def retrieval_settings() -> RetrievalSettings:
    return _read()


def reset_retrieval_settings(**kwargs: Any) -> None:
    retrieval_settings.cache_clear()


def check_retrieval_settings(**kwargs: Any) -> list[checks.CheckMessage]:
    conf = _read()
    errors: list[checks.CheckMessage] = []
    positive = {
        "RETRIEVAL_MAX_DOCUMENT_BYTES": conf.max_document_bytes,
        "RETRIEVAL_MAX_TEXT_CHARS": conf.max_text_chars,
        "RETRIEVAL_MAX_PDF_PAGES": conf.max_pdf_pages,
        "RETRIEVAL_MAX_DOCUMENTS": conf.max_documents,
        "RETRIEVAL_TOP_K": conf.top_k,
        "EMBEDDINGS_TIMEOUT_SECONDS": conf.embeddings_timeout,
    }
    for name, value in positive.items():
        if value <= 0:
            errors.append(checks.Error(f"{name} must be positive.", id="retrieval.E001"))
    if not 100 <= conf.passage_chars <= 10_000:
        errors.append(
            checks.Error("RETRIEVAL_PASSAGE_CHARS must be 100-10000.", id="retrieval.E002")
        )
    if conf.embeddings_base_url and not conf.embeddings_base_url.startswith(
        ("http://", "https://")
    ):
        errors.append(
            checks.Error("EMBEDDINGS_BASE_URL must be an http(s) URL.", id="retrieval.E003")
        )
    return errors
