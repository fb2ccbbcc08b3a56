"""Loading the settings changes nothing on disk or in the environment; the processes that run
the project (manage.py, the web, a Celery worker) prepare their directories themselves."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.stack import ROOT
from tests.waiting import wait_for

# Every variable that decides a directory, removed so the project's defaults apply.
_UNSET = {"PROMETHEUS_MULTIPROC_DIR", "CELERY_BROKER_URL", "REDIS_URL", "DATABASE_URL"}


def _env(var: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _UNSET}
    return {**env, "VAR_DIR": str(var), "DJANGO_SETTINGS_MODULE": "interviewsite.settings"}


def test_settings__loading_them_creates_no_directory_and_writes_no_environment(
    tmp_path: Path,
) -> None:
    var = tmp_path / "var"
    script = (
        "import json, os\n"
        "before = dict(os.environ)\n"
        "from django.conf import settings\n"
        "settings.INSTALLED_APPS\n"
        "after = dict(os.environ)\n"
        "print(json.dumps({k: after.get(k) for k in set(before) ^ set(after) | "
        "{k for k in before if before[k] != after.get(k)}}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=_env(var),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {}
    assert not var.exists()


def test_manage_py__prepares_the_embedded_directories_from_a_clean_clone(tmp_path: Path) -> None:
    var = tmp_path / "var"
    subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env(var),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    for sub in ("prometheus", "broker/queue", "broker/processed", "broker/control"):
        assert (var / sub).is_dir(), sub


def test_celery_worker__prepares_its_directories_and_writes_metrics_there(tmp_path: Path) -> None:
    var = tmp_path / "var"
    log = tmp_path / "worker.log"
    celery = str(Path(sys.executable).parent / "celery")
    args = ["-A", "interviewsite", "worker", "--pool", "solo", "-Q", "maintenance", "-l", "INFO"]
    with log.open("w") as out:
        proc = subprocess.Popen(
            [celery, *args, "--without-heartbeat", "--without-mingle", "--without-gossip"],
            cwd=ROOT,
            env=_env(var),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(lambda: " ready." in log.read_text() or proc.poll() is not None, 120, "ready")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert " ready." in log.read_text(), log.read_text()
    # The worker's series are in files there, where the web's /metrics reads them.
    assert list((var / "prometheus").glob("*.db")), log.read_text()
    assert (var / "broker" / "queue").is_dir()
