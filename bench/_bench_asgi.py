"""The ASGI application the cost benches run under uvicorn: the project, plus two baselines in
the same process, so every run measures the project beside the least a request or an answer
can cost on the same server, interpreter, machine and load.

- `GET /bench/bare/`: a bare ASGI response (no Django), the floor of an HTTP request
  (bench/http_cost.py).
- WebSocket `/ws/baseline/<room_id>/?token=…`: the lean interview consumer of
  _ws_baseline.py (bench/ws_load.py --baseline).
- Anything else: interviewsite.asgi.application, unchanged.

    uvicorn --app-dir bench _bench_asgi:application
"""

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the project (uvicorn's --app-dir puts only bench/ on the path)

from interviewsite.asgi import application as project  # noqa: E402

BARE_PATH = "/bench/bare/"
BASELINE_PREFIX = "/ws/baseline/"
BARE_BODY = b'{"status": "ok"}'
BARE_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"16")]


async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": BARE_HEADERS})
    await send({"type": "http.response.body", "body": BARE_BODY})


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    path = scope.get("path", "")
    if scope["type"] == "http" and path == BARE_PATH:
        await bare(scope, receive, send)
    elif scope["type"] == "websocket" and path.startswith(BASELINE_PREFIX):
        from _ws_baseline import lean_app  # imported once, on the first baseline socket

        await lean_app(scope, receive, send)
    else:
        await project(scope, receive, send)
