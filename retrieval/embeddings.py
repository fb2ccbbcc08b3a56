"""Embeddings from an OpenAI-compatible endpoint, behind the `rag` breaker with the shared
retry policy (docs/retrieval.md, "Hybrid search"). EMBEDDINGS_BASE_URL is the API root with
its version, as OPENAI_BASE_URL is (e.g. https://api.openai.com/v1):

    POST {base}/embeddings {"model": ..., "input": ["text", ...]}
      200 {"data": [{"index": 0, "embedding": [0.1, ...]}, ...], "model": ...}

Each attempt goes through the breaker, so one that opens mid-retry stops the retries; an open
breaker fails at once, with no request sent. The retries' deadline is the attempt timeout, so
a question never waits more than about twice EMBEDDINGS_TIMEOUT_SECONDS for its passages.
"""

import json
import logging
import math
import time
from typing import Any

import httpx

from resilience.breakers import BreakerOpen, get_breaker
from resilience.retry import retrying
from retrieval.conf import RetrievalSettings, retrieval_settings
from retrieval.errors import RetrievalUnavailable

logger = logging.getLogger(__name__)

BREAKER = "rag"
MAX_BATCH = 64  # inputs per request
MAX_RESPONSE_BYTES = 64 * 1024 * 1024  # 64 inputs of 3,072 floats as JSON fit well within


class EmbeddingsProtocolError(RuntimeError):
    """A 200 response that is not the embeddings shape: counted against the endpoint."""


_client: httpx.Client | None = None


def _http() -> httpx.Client:
    # One pooled client per process: keep-alive saves a TCP handshake on every question.
    global _client
    if _client is None:
        _client = httpx.Client()
    return _client


def embed(texts: list[str], *, conf: RetrievalSettings | None = None) -> list[list[float]]:
    """One unit vector per text, in order. RetrievalUnavailable when the endpoint is not."""
    conf = conf or retrieval_settings()
    if not conf.embeddings_enabled:
        raise RetrievalUnavailable("no embeddings endpoint is configured")
    vectors: list[list[float]] = []
    for first in range(0, len(texts), MAX_BATCH):
        vectors.extend(_guarded(texts[first : first + MAX_BATCH], conf))
    return vectors


def _guarded(batch: list[str], conf: RetrievalSettings) -> list[list[float]]:
    breaker = get_breaker(BREAKER)
    try:
        return retrying(deadline=conf.embeddings_timeout)(breaker.call, _post, batch, conf)
    except BreakerOpen as exc:
        raise RetrievalUnavailable(
            f"the rag breaker is open; next trial in {exc.retry_after:.0f} s"
        ) from exc
    except (httpx.HTTPError, EmbeddingsProtocolError) as exc:
        logger.warning("embeddings: %s: %s", type(exc).__name__, exc)
        raise RetrievalUnavailable(f"embeddings failed: {type(exc).__name__}") from exc


def _post(batch: list[str], conf: RetrievalSettings) -> list[list[float]]:
    key = conf.embeddings_api_key
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    # httpx bounds each read, not the response: a server trickling a few bytes at a time would
    # hold the question for minutes. The body is read in chunks against one deadline.
    deadline = time.monotonic() + conf.embeddings_timeout
    with _http().stream(
        "POST",
        f"{conf.embeddings_base_url}/embeddings",
        json={"model": conf.embeddings_model, "input": batch},
        headers=headers,
        timeout=conf.embeddings_timeout,
    ) as response:
        response.raise_for_status()
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if time.monotonic() > deadline:
                raise httpx.ReadTimeout(
                    f"the embeddings response took over {conf.embeddings_timeout} s",
                    request=response.request,
                )
            if len(body) > MAX_RESPONSE_BYTES:
                raise EmbeddingsProtocolError("the embeddings response is too large")
    return _vectors(bytes(body), len(batch))


def _vectors(body: bytes, expected: int) -> list[list[float]]:
    try:
        data: Any = json.loads(body)
        rows = sorted(data["data"], key=lambda row: row["index"])
        vectors = [[float(x) for x in row["embedding"]] for row in rows]
    except (ValueError, KeyError, TypeError) as exc:
        raise EmbeddingsProtocolError(f"not an embeddings response: {exc}") from None
    if len(vectors) != expected or not vectors or len({len(v) for v in vectors}) != 1:
        raise EmbeddingsProtocolError("the embeddings do not match the inputs")
    return [_unit(vector) for vector in vectors]


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [x / norm for x in vector]
