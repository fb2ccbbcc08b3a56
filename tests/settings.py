"""The settings a test run uses: the project's own, with this pytest-xdist worker's share of
Redis.

REDIS_URL's database number is the first of four that the app uses (broker, channel layer,
cache, breaker state: interviewsite/settings/data.py). Under pytest-xdist, worker gwN takes the N-th
four after it, so parallel workers never share a queue, a group, a cache key or a breaker;
PostgreSQL test databases get a per-worker suffix from pytest-django itself. The environment
is rewritten, not only the setting, so the servers and workers a test starts share its Redis.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

REDIS_DATABASES_PER_RUN = 4
REDIS_DATABASES = 16  # Redis's default `databases`


def _worker_redis_url(url: str, worker: str) -> str:
    parts = urlsplit(url)
    first = int(parts.path.strip("/") or "0") + REDIS_DATABASES_PER_RUN * int(worker[2:])
    if first + REDIS_DATABASES_PER_RUN > REDIS_DATABASES:
        raise ImproperlyConfigured(
            f"pytest-xdist worker {worker} would use Redis databases {first}-{first + 3} of "
            f"REDIS_URL={url}; run fewer workers or start REDIS_URL at a lower database."
        )
    return urlunsplit(parts._replace(path=f"/{first}"))


_worker = os.environ.get("PYTEST_XDIST_WORKER", "")
if _worker.startswith("gw") and os.environ.get("REDIS_URL"):
    # From the run's own REDIS_URL, kept aside: a process a test starts inherits this
    # environment and these settings, and must land on the same share, not shift again.
    _run_url = os.environ.setdefault("TEST_RUN_REDIS_URL", os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = _worker_redis_url(_run_url, _worker)

from interviewsite.settings import *  # noqa: E402, F403

# Most tests drive the interview straight through its services or its socket, as an API client
# would; the tests of the start page and its consent turn the rule on (override_settings, or
# INTERVIEW_CONSENT_REQUIRED=true in a started server's environment).
INTERVIEW_CONSENT_REQUIRED = False

# pytest is an entry point too, like manage.py and the ASGI module (interviewsite/runtime.py):
# the metrics directory is set before Django loads the apps, and prometheus_client with them,
# so this process counts in the same mode as every server a test starts and as a deployment.
# (Set later, by a test importing the ASGI module, it would split the counts in two.)
from interviewsite.settings import VAR_DIR  # noqa: E402

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", os.path.join(VAR_DIR, "prometheus"))
# Made now, not by prepare_process (tests/conftest.py): unlabelled series open their files as
# their modules load.
os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

# The embedded default's broker is a folder under VAR_DIR: tasks the tests enqueue there would
# wait for the next `make run` worker, which logs each test task as unregistered. The run (each
# pytest-xdist worker, and the processes its tests start) queues in a folder of its own, which
# tests/conftest.py empties as the worker starts.
if CELERY_BROKER_URL.startswith("filesystem://"):  # noqa: F405
    TEST_BROKER_DIR = VAR_DIR / "test-broker" / (_worker or "main")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "data_folder_in": str(TEST_BROKER_DIR / "queue"),
        "data_folder_out": str(TEST_BROKER_DIR / "queue"),
        "processed_folder": str(TEST_BROKER_DIR / "processed"),
        "control_folder": str(TEST_BROKER_DIR / "control"),
    }
