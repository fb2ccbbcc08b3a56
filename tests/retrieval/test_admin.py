"""Staff attach documents in the admin: through the same services, a bad file is a form error
with nothing stored, and editing the text re-indexes it."""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from retrieval.models import Document, KnowledgeBase, Passage
from retrieval.services.documents import knowledge_base_ensure
from retrieval.services.search import retrieval_search
from tests.retrieval.pdfs import encrypted_pdf, pdf_bytes

pytestmark = pytest.mark.django_db
ADD = "/admin/retrieval/document/add/"


@pytest.fixture
def staff() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("boss", "boss@example.com", "pw"))
    return client


@pytest.fixture
def base() -> KnowledgeBase:
    return knowledge_base_ensure(key="position:7", title="Platform engineer")


def test_upload__a_pdf_is_parsed_indexed_and_named_after_its_file(
    staff: Client, base: KnowledgeBase
) -> None:
    upload = SimpleUploadedFile("handbook.pdf", pdf_bytes(["On call: Prometheus alerts"]))
    response = staff.post(ADD, {"knowledge_base": base.pk, "upload": upload})
    assert response.status_code == 302
    document = Document.objects.get(knowledge_base=base)
    assert (document.name, document.kind, document.pages) == ("handbook.pdf", "pdf", 1)
    assert [h.document for h in retrieval_search(key="position:7", query="prometheus")] == [
        "handbook.pdf"
    ]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("locked.pdf", encrypted_pdf("secret"), "is encrypted"),
        ("broken.pdf", b"%PDF-1.7 garbage", "could not be read as a PDF"),
        ("notes.txt", b"\xff\xfe\x00bad", "not valid UTF-8"),
    ],
)
def test_upload__a_bad_file_is_a_form_error_and_nothing_is_stored(
    staff: Client, base: KnowledgeBase, name: str, data: bytes, message: str
) -> None:
    response = staff.post(
        ADD, {"knowledge_base": base.pk, "upload": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Document.objects.count() == 0
    assert Passage.objects.count() == 0


def test_edit__typed_text_is_re_indexed(staff: Client, base: KnowledgeBase) -> None:
    response = staff.post(
        ADD, {"knowledge_base": base.pk, "name": "Team", "kind": "markdown", "text": "We use Go."}
    )
    assert response.status_code == 302
    document = Document.objects.get(name="Team")
    response = staff.post(
        f"/admin/retrieval/document/{document.pk}/change/",
        {"name": "Team notes", "kind": "markdown", "text": "We use Zig now."},
    )
    assert response.status_code == 302
    assert list(Document.objects.values_list("name", flat=True)) == ["Team notes"]
    assert retrieval_search(key="position:7", query="go") == []
    assert [h.text for h in retrieval_search(key="position:7", query="zig")] == ["We use Zig now."]
