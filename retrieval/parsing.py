"""A document's bytes to text: plain text and Markdown as strict UTF-8, PDF through pypdf.

Every refusal is a DocumentRejected with a message staff can act on; nothing here writes.
PDF is parsed with pypdf (pure Python, maintained, no system library to install), which
bounds its own stream decompression (LimitReachedError); the page count and the extracted
text's length are checked here as well, so a small file that inflates is refused early.
"""

import io
import logging
import re
from dataclasses import dataclass
from pathlib import PurePath

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from retrieval.conf import RetrievalSettings, retrieval_settings
from retrieval.models import DocumentKind

logger = logging.getLogger(__name__)

EXTENSIONS = {
    ".txt": DocumentKind.TEXT,
    ".text": DocumentKind.TEXT,
    ".md": DocumentKind.MARKDOWN,
    ".markdown": DocumentKind.MARKDOWN,
    ".pdf": DocumentKind.PDF,
}
# Control characters other than tab, newline and carriage return: never part of prose, and
# PostgreSQL cannot store NUL in text at all.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DocumentRejected(ValueError):
    """A document that cannot be stored; `code` is stable, the message is for staff."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class ParsedDocument:
    kind: str
    text: str
    size_bytes: int
    pages: int | None = None


def document_kind(name: str, data: bytes) -> str:
    """The kind from the file name, checked against the content's signature."""
    kind = EXTENSIONS.get(PurePath(name).suffix.lower())
    if kind is None:
        allowed = ", ".join(sorted(EXTENSIONS))
        raise DocumentRejected("unsupported_type", f"{name!r}: only {allowed} files are accepted.")
    if kind == DocumentKind.PDF and not data.lstrip()[:5] == b"%PDF-":
        raise DocumentRejected("malformed_pdf", f"{name!r} is not a PDF file.")
    return kind


def document_parse(
    *, name: str, data: bytes, conf: RetrievalSettings | None = None
) -> ParsedDocument:
    conf = conf or retrieval_settings()
    if len(data) > conf.max_document_bytes:
        raise DocumentRejected(
            "too_large",
            f"{name!r} is {len(data)} bytes; the limit is {conf.max_document_bytes} bytes.",
        )
    kind = document_kind(name, data)
    if kind == DocumentKind.PDF:
        text, pages = _pdf_text(name, data, conf)
    else:
        text, pages = text_checked(name, _decoded(name, data)), None
    text = _checked_length(name, text, conf)
    if not text.strip():
        raise DocumentRejected("empty", f"{name!r} has no text to index.")
    return ParsedDocument(kind=kind, text=text, size_bytes=len(data), pages=pages)


def text_parse(
    *, name: str, text: str, kind: str, conf: RetrievalSettings | None = None
) -> ParsedDocument:
    """Text typed or held by the owner (a job description, the admin's text box)."""
    conf = conf or retrieval_settings()
    if kind not in (DocumentKind.TEXT, DocumentKind.MARKDOWN):
        raise DocumentRejected("not_text", f"{name!r}: only text or Markdown can be typed in.")
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > conf.max_document_bytes:
        raise DocumentRejected(
            "too_large", f"{name!r} is {size} bytes; the limit is {conf.max_document_bytes} bytes."
        )
    text = _checked_length(name, text_checked(name, text), conf)
    if not text.strip():
        raise DocumentRejected("empty", f"{name!r} has no text to index.")
    return ParsedDocument(kind=kind, text=text, size_bytes=size)


def text_checked(name: str, text: str) -> str:
    """Text as typed by a person or decoded from a file: NULs and control bytes refused."""
    found = _CONTROL.search(text)
    if found:
        offset = found.start()
        raise DocumentRejected(
            "control_characters",
            f"{name!r} contains a control character (code {ord(found.group())}) at character "
            f"{offset}: is it a binary file?",
        )
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decoded(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentRejected(
            "invalid_utf8", f"{name!r} is not valid UTF-8 (byte {exc.start}); save it as UTF-8."
        ) from None


def _checked_length(name: str, text: str, conf: RetrievalSettings) -> str:
    if len(text) > conf.max_text_chars:
        raise _too_much_text(name, conf)
    return text


def _too_much_text(name: str, conf: RetrievalSettings) -> DocumentRejected:
    return DocumentRejected(
        "too_much_text", f"{name!r} holds more than {conf.max_text_chars} characters of text."
    )


def _pdf_text(name: str, data: bytes, conf: RetrievalSettings) -> tuple[str, int]:
    # pypdf raises its own errors for most damage, and built-in ones (KeyError, ValueError,
    # RecursionError...) for some malformed structures: all of them mean "this PDF cannot be
    # read", which is what staff need to hear.
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentRejected(
                "encrypted_pdf", f"{name!r} is encrypted; upload a copy without a password."
            )
        pages = len(reader.pages)
        if pages > conf.max_pdf_pages:
            raise DocumentRejected(
                "too_many_pages",
                f"{name!r} has {pages} pages; the limit is {conf.max_pdf_pages}.",
            )
        parts: list[str] = []
        total = 0
        for page in reader.pages:
            part = _CONTROL.sub(" ", page.extract_text() or "")
            total += len(part) + 2
            if total > conf.max_text_chars:  # stop extracting: the rest is not needed
                raise _too_much_text(name, conf)
            parts.append(part.strip())
    except DocumentRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            AssertionError, RecursionError, OverflowError, ZeroDivisionError) as exc:  # fmt: skip
        logger.info("retrieval: cannot read PDF %r: %s: %s", name, type(exc).__name__, exc)
        raise DocumentRejected(
            "malformed_pdf", f"{name!r} could not be read as a PDF ({type(exc).__name__})."
        ) from None
    return "\n\n".join(part for part in parts if part).replace("\r\n", "\n"), pages
