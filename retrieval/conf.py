"""The retrieval settings, read once per process (docs/settings.md; docs/retrieval.md).

`RetrievalDeclared` is the settings as written: field names are the settings' names in lower
case, and their defaults, applied when a setting is absent, are the only ones in the code
(interviewsite/appconf.py). `RetrievalSettings` is what the services use, derived from it.
"""

from dataclasses import dataclass, field
from functools import cache

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from interviewsite.appconf import (
    register_type_check,
    reset_on_change,
    settings_from,
    type_problems,
)


@dataclass(frozen=True, slots=True)
class RetrievalDeclared:
    retrieval_max_document_bytes: int = 5 * 1024 * 1024
    retrieval_max_text_chars: int = 500_000
    retrieval_max_pdf_pages: int = 200
    retrieval_max_documents: int = 50
    retrieval_passage_chars: int = 800
    retrieval_top_k: int = 4
    embeddings_base_url: str = ""  # "" = lexical search only
    embeddings_api_key: str = field(default="", repr=False)
    embeddings_model: str = "text-embedding-3-small"
    embeddings_timeout_seconds: float = 1.0


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
    embeddings_model: str
    embeddings_timeout: float  # seconds per attempt, and the retries' deadline

    @property
    def embeddings_enabled(self) -> bool:
        return bool(self.embeddings_base_url)


def _read() -> RetrievalSettings:
    """The settings; ImproperlyConfigured naming each setting of the wrong type."""
    declared = settings_from(RetrievalDeclared)
    problems = type_problems(declared)
    if problems:
        raise ImproperlyConfigured(" ".join(problems))
    return RetrievalSettings(
        max_document_bytes=declared.retrieval_max_document_bytes,
        max_text_chars=declared.retrieval_max_text_chars,
        max_pdf_pages=declared.retrieval_max_pdf_pages,
        max_documents=declared.retrieval_max_documents,
        passage_chars=declared.retrieval_passage_chars,
        top_k=declared.retrieval_top_k,
        embeddings_base_url=declared.embeddings_base_url.rstrip("/"),
        embeddings_api_key=declared.embeddings_api_key,
        embeddings_model=declared.embeddings_model,
        embeddings_timeout=float(declared.embeddings_timeout_seconds),
    )


@cache
def retrieval_settings() -> RetrievalSettings:
    return _read()


reset_retrieval_settings = reset_on_change(retrieval_settings, "retrieval.conf")
register_type_check(lambda: settings_from(RetrievalDeclared), "retrieval.E050")


def check_retrieval_settings(**kwargs: object) -> list[checks.CheckMessage]:
    try:
        conf = _read()
    except ImproperlyConfigured:
        return []  # a value of the wrong type: the type check (retrieval.E050) names it
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
