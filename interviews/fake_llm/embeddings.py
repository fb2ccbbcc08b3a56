"""The fake LLM's /v1/embeddings: OpenAI's request and response shapes, deterministic vectors.

A vector is a hashed bag of the text's words and their character trigrams (signed feature
hashing into DIMENSIONS buckets, then unit length): texts sharing words or word parts are
close, so semantic recall can be measured, and the same text always gets the same vector in
every process.
"""

import hashlib
import math
import re
from typing import Any

DIMENSIONS = 256
MAX_INPUTS = 2048  # OpenAI's limit on inputs per request
_WORD = re.compile(r"[^\W_]+")


def _bucket(feature: str) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "big")
    return value % DIMENSIONS, 1.0 if value >> 63 else -1.0


def fake_vector(text: str) -> list[float]:
    vector = [0.0] * DIMENSIONS
    for word in _WORD.findall(text.lower()):
        features = [f"w:{word}"]
        padded = f"^{word}$"
        features += [f"t:{padded[i : i + 3]}" for i in range(len(padded) - 2)]
        for feature in features:
            index, sign = _bucket(feature)
            vector[index] += sign * (2.0 if feature.startswith("w:") else 0.5)
    norm = math.sqrt(sum(x * x for x in vector)) or 1.0
    return [round(x / norm, 6) for x in vector]


def embeddings_inputs(payload: object) -> list[str] | None:
    if not isinstance(payload, dict):
        return None
    given = payload.get("input")
    if isinstance(given, str):
        return [given]
    if isinstance(given, list) and all(isinstance(item, str) for item in given):
        return given
    return None


def embeddings_problem(payload: object) -> str:
    """Why OpenAI would reject this embeddings request ("" if it would not)."""
    if not isinstance(payload, dict):
        return "The request body must be a JSON object."
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "model: a model name is required."
    inputs = embeddings_inputs(payload)
    if not inputs:
        return "input: a string or a non-empty list of strings is required."
    if len(inputs) > MAX_INPUTS:
        return f"input: at most {MAX_INPUTS} items."
    return ""


def embeddings_body(model: str, inputs: list[str], *, malformed: bool = False) -> dict[str, Any]:
    data = [
        {"object": "embedding", "index": index, "embedding": fake_vector(text)}
        for index, text in enumerate(inputs)
    ]
    if malformed:
        data = data[:-1]  # one vector short: a client must notice, not misalign passages
    tokens = sum(max(1, len(text) // 4) for text in inputs)
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }
