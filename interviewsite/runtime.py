"""What a process of the project does before Django starts: its files' directories, and the
metrics directory in the environment.

Settings only read the environment (loading them changes nothing); each entry point calls
`prepare_process` instead: manage.py, the ASGI module, and a Celery worker or beat at its
start (interviewsite/celery.py). So a clean clone runs with no directory made by hand.
"""

import os
from pathlib import Path

from django.conf import settings

# The file broker's folders (settings/workers.py, embedded default); none with a Redis broker.
_BROKER_FOLDERS = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")


def prepare_process() -> None:
    # prometheus_client reads PROMETHEUS_MULTIPROC_DIR when it is first imported, which is
    # when Django loads the apps: so before django.setup(). Every process of one deployment
    # (uvicorn workers, Celery workers) then writes its series to files there, and /metrics
    # reads them all (monitoring/metrics.py). An operator's own value wins.
    var_dir = Path(settings.VAR_DIR)
    metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(var_dir / "prometheus"))
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    folders = [str(options[key]) for key in _BROKER_FOLDERS if key in options]
    for directory in (var_dir, Path(metrics_dir), *(Path(folder) for folder in folders)):
        directory.mkdir(parents=True, exist_ok=True)
