"""The staff operations dashboard: real data for staff, nothing for anyone else."""

import uuid
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from interviews.models import Evaluation, EvaluationStatus
from resilience.breakers import get_breaker, registry
from resilience.breakers.services import breaker_reset
from resilience.models import BreakerConfig, BreakerEvent, BreakerEventKind
from resilience.question_cache.services import question_cache_put
from tests.factories import make_interview, run_to_completion

# transaction=True: the page's worker report runs checks that read on other connections.
pytestmark = pytest.mark.django_db(transaction=True)

DASHBOARD = "/admin/dashboard/"


@pytest.fixture
def breaker_name() -> Iterator[str]:
    name = f"test.dash.{uuid.uuid4().hex[:10]}"
    registry.reset_registry()
    assert get_breaker(name).call(lambda: "ok") == "ok"  # creates its config row
    yield name
    breaker_reset(name=name, user=None)
    registry.reset_registry()


# Each panel and the model whose view permission it needs (the admin's rule: view or change).
PANELS = {
    "<h2>Circuit breakers</h2>": "view_breakerconfig",
    "<h2>Dead-letter queue</h2>": "view_deadletter",
    "<h2>Question cache</h2>": "view_cachedquestion",
    "<h2>Interviews and evaluations</h2>": "view_interview",
}
OPERATOR_PERMISSIONS = (
    "change_breakerconfig",
    "view_deadletter",
    "view_cachedquestion",
    "view_interview",
    "view_evaluation",
)


def staff_with(username: str, *codenames: str) -> User:
    user = User.objects.create_user(username, password="x", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    return user


@pytest.fixture
def staff() -> User:
    return staff_with("oncall", *OPERATOR_PERMISSIONS)


def test_admin_index__links_to_the_dashboard(client: Client, staff: User) -> None:
    client.force_login(staff)
    assert DASHBOARD in client.get("/admin/").content.decode()


def test_dashboard__shows_breakers_evaluations_and_workers_to_staff(
    client: Client, staff: User, breaker_name: str
) -> None:
    interview = run_to_completion(make_interview().interview.pk)
    assert Evaluation.objects.filter(interview=interview).exists()
    client.force_login(staff)
    response = client.get(DASHBOARD)
    page = response.content.decode()
    assert response.status_code == 200
    assert breaker_name in page
    assert "Queues and workers" in page
    assert f"<td>{EvaluationStatus.PENDING}</td><td>1</td>" in page
    assert "Stuck now: <strong>0</strong> interviews" in page


def test_dashboard__panels_fragment_refreshes_alone(
    client: Client, staff: User, breaker_name: str
) -> None:
    client.force_login(staff)
    fragment = client.get(f"{DASHBOARD}panels/").content.decode()
    assert breaker_name in fragment
    assert "<html" not in fragment


@pytest.mark.parametrize("path", [DASHBOARD, f"{DASHBOARD}panels/"])
def test_dashboard__anonymous_and_non_staff_are_sent_to_login(client: Client, path: str) -> None:
    assert client.get(path).status_code == 302
    client.force_login(User.objects.create_user("candidate", password="x"))
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_dashboard__staff_without_permissions_see_no_model_panel(
    client: Client, breaker_name: str
) -> None:
    client.force_login(staff_with("no-perms"))
    for path in (DASHBOARD, f"{DASHBOARD}panels/"):
        page = client.get(path).content.decode()
        assert [heading for heading in PANELS if heading in page] == []
        assert breaker_name not in page
    # What /health/workers/ shows any staff member, fetched by the page after it is shown.
    assert "Queues and workers: " in client.get(f"{DASHBOARD}workers/").content.decode()


@pytest.mark.parametrize(("heading", "codename"), list(PANELS.items()))
def test_dashboard__each_panel_follows_its_models_view_permission(
    client: Client, heading: str, codename: str
) -> None:
    client.force_login(staff_with("one-perm", codename))
    page = client.get(f"{DASHBOARD}panels/").content.decode()
    assert [h for h in PANELS if h in page] == [heading]


def test_force_open_button__calls_the_breaker_service_as_the_staff_user(
    client: Client, staff: User, breaker_name: str
) -> None:
    client.force_login(staff)
    response = client.post(f"{DASHBOARD}breakers/{breaker_name}/force_open/")
    assert (response.status_code, response["Location"]) == (302, DASHBOARD)
    assert BreakerConfig.objects.get(name=breaker_name).mode == "forced_open"
    event = BreakerEvent.objects.filter(breaker_name=breaker_name).latest("created_at")
    assert (event.kind, event.user) == (BreakerEventKind.FORCED_OPEN, staff)
    client.post(f"{DASHBOARD}breakers/{breaker_name}/restore/")
    assert BreakerConfig.objects.get(name=breaker_name).mode == "normal"


def test_force_open_button__refused_without_a_csrf_token(staff: User, breaker_name: str) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    response = client.post(f"{DASHBOARD}breakers/{breaker_name}/force_open/")
    assert response.status_code == 403
    assert BreakerConfig.objects.get(name=breaker_name).mode == "normal"


def test_force_open_button__refused_for_staff_without_the_change_permission(
    client: Client, breaker_name: str
) -> None:
    client.force_login(User.objects.create_user("viewer", password="x", is_staff=True))
    response = client.post(f"{DASHBOARD}breakers/{breaker_name}/force_open/")
    assert response.status_code == 403
    assert BreakerConfig.objects.get(name=breaker_name).mode == "normal"


@pytest.mark.parametrize(
    ("name", "action"), [("no.such.breaker", "force_open"), ("llm.x", "explode")]
)
def test_force_open_button__unknown_breaker_or_action_is_404(
    client: Client, staff: User, name: str, action: str
) -> None:
    client.force_login(staff)
    assert client.post(f"{DASHBOARD}breakers/{name}/{action}/").status_code == 404


def test_force_open_button__get_is_not_allowed(
    client: Client, staff: User, breaker_name: str
) -> None:
    client.force_login(staff)
    assert client.get(f"{DASHBOARD}breakers/{breaker_name}/force_open/").status_code == 405


def test_dashboard__question_cache_panel_shows_the_cache_contents(
    client: Client, staff: User
) -> None:
    for text in ("What is a QuerySet?", "What does select_related do?"):
        question_cache_put(difficulty="hard", language="fr", topic="Django ORM", text=text)
    client.force_login(staff)
    page = client.get(f"{DASHBOARD}panels/").content.decode()
    assert "1 keys, 2 questions" in page
    assert "<td>hard</td><td>2</td>" in page
    assert "<td>fr</td><td>2</td>" in page
