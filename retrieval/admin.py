"""Staff attach documents to a knowledge base here. Every write goes through the document
services, so an upload from the admin is parsed, limited and indexed exactly as any other;
a bad file is a form error and nothing is stored."""

from typing import Any

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from retrieval.conf import retrieval_settings
from retrieval.models import Document, DocumentKind, KnowledgeBase, Passage
from retrieval.parsing import DocumentRejected, ParsedDocument, document_parse, text_parse
from retrieval.services.documents import (
    document_delete,
    document_name,
    document_parsed_store,
    document_room_check,
)


class DocumentInline(admin.TabularInline):
    model = Document
    fields = ("name", "kind", "size_bytes", "pages", "updated_at")
    readonly_fields = fields
    extra = 0
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # uploads go through the document page, which parses and indexes

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).defer("text")


@admin.register(KnowledgeBase)
class KnowledgeBaseAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "document_count", "passage_count", "created_at")
    search_fields = ("key", "title")
    inlines = [DocumentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[KnowledgeBase]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                document_total=Count("documents", distinct=True),
                passage_total=Count("passages", distinct=True),
            )
        )

    @admin.display(description="documents", ordering="document_total")
    def document_count(self, obj: Any) -> int:
        return int(obj.document_total)

    @admin.display(description="passages", ordering="passage_total")
    def passage_count(self, obj: Any) -> int:
        return int(obj.passage_total)


class DocumentForm(forms.ModelForm):
    upload = forms.FileField(
        required=False,
        help_text="A .txt, .md or .pdf file; it replaces the text below.",
    )

    class Meta:
        model = Document
        fields = ("knowledge_base", "name", "kind", "text")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = "Defaults to the file's name. A name in use is replaced."
        self.fields["kind"].required = False
        self.fields["text"].required = False
        self.parsed: ParsedDocument | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("upload")
        name = document_name(data.get("name") or (upload.name if upload else ""))
        knowledge_base = data.get("knowledge_base")
        if not name:
            raise forms.ValidationError("Give the document a name or upload a file.")
        data["name"] = name
        try:
            if upload is not None:
                # One byte over the limit is enough to refuse, without reading a huge upload.
                self.parsed = document_parse(name=upload.name, data=_read_capped(upload))
            elif data.get("text"):
                kind = data.get("kind") or DocumentKind.TEXT
                self.parsed = text_parse(name=name, text=data["text"], kind=kind)
            else:
                raise forms.ValidationError("Upload a file or type the text.")
            if knowledge_base is not None:
                document_room_check(key=knowledge_base.key, name=name)
        except DocumentRejected as exc:
            raise forms.ValidationError(str(exc), code=exc.code) from None
        return data


def _read_capped(upload: Any) -> bytes:
    return bytes(upload.read(retrieval_settings().max_document_bytes + 1))


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    form = DocumentForm
    list_display = ("name", "knowledge_base", "kind", "size_bytes", "pages", "updated_at")
    list_filter = ("kind",)
    list_select_related = ("knowledge_base",)
    search_fields = ("name", "knowledge_base__key")
    readonly_fields = ("size_bytes", "pages", "sha256", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return super().get_queryset(request).defer("text")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # A document stays in its knowledge base; another base gets its own upload.
        base = tuple(self.readonly_fields)
        return (*base, "knowledge_base") if obj is not None else base

    def save_model(self, request: HttpRequest, obj: Document, form: Any, change: bool) -> None:
        key = obj.knowledge_base.key
        with transaction.atomic():
            if change and obj.name != form.initial.get("name"):
                # Renamed: the old name goes and the new one is stored, together or not at all.
                document_delete(document=Document.objects.get(pk=obj.pk))
            stored = document_parsed_store(key=key, name=obj.name, parsed=form.parsed)
        obj.pk = stored.pk
        obj.refresh_from_db()

    def delete_model(self, request: HttpRequest, obj: Document) -> None:
        document_delete(document=obj)


@admin.register(Passage)
class PassageAdmin(admin.ModelAdmin):
    list_display = ("__str__", "document", "knowledge_base", "ordinal", "start", "end")
    list_select_related = ("document", "knowledge_base")
    search_fields = ("text", "knowledge_base__key")
    readonly_fields = ("knowledge_base", "document", "ordinal", "start", "end", "text")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
