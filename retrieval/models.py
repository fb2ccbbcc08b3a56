"""Knowledge bases, their documents and the passages search returns.

A passage's text is a copy of its document's text between `start` and `end`, so a citation
can point back into the document. The search indexes (SQLite FTS5, PostgreSQL tsvector) are
created per database vendor in migration 0002 and kept in step by the database itself.
"""

from django.db import models
from django.db.models import F, Q


class DocumentKind(models.TextChoices):
    TEXT = "text", "Plain text"
    MARKDOWN = "markdown", "Markdown"
    PDF = "pdf", "PDF"


class KnowledgeBase(models.Model):
    # The owner's key, e.g. "position:42"; retrieval knows nothing else of its owners.
    key = models.CharField(max_length=100, unique=True)
    title = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.title or self.key


class Document(models.Model):
    knowledge_base = models.ForeignKey(
        KnowledgeBase, on_delete=models.CASCADE, related_name="documents"
    )
    # Unique per knowledge base: storing a document under a name again replaces it.
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=8, choices=DocumentKind.choices)
    text = models.TextField()
    size_bytes = models.PositiveIntegerField()  # of the upload, before extraction
    sha256 = models.CharField(max_length=64)  # of the extracted text; unchanged = no re-index
    pages = models.PositiveIntegerField(null=True, blank=True)  # PDFs only
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["knowledge_base", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["knowledge_base", "name"], name="retrieval_document_name_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=DocumentKind.values), name="retrieval_document_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Passage(models.Model):
    # Denormalised from the document: every search is within one knowledge base.
    knowledge_base = models.ForeignKey(
        KnowledgeBase, on_delete=models.CASCADE, related_name="passages"
    )
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="passages")
    ordinal = models.PositiveIntegerField()  # position in the document, from 0
    start = models.PositiveIntegerField()  # character offsets into Document.text
    end = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        ordering = ["document", "ordinal"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "ordinal"], name="retrieval_passage_ordinal_unique"
            ),
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="retrieval_passage_span"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id}#{self.ordinal}"
