"""The fake LLM's wire level: the provider JSON shapes and the ASGI plumbing.

Shapes follow the OpenAI Chat Completions and Anthropic Messages API references closely
enough that the real clients' parsing, error handling and retry paths are the ones exercised.
"""

import json
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from interviews.fake_llm.content import message_text

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# status -> (OpenAI error type, OpenAI error code, Anthropic error type, message)
_ERRORS: dict[int, tuple[str, str | None, str, str]] = {
    400: ("invalid_request_error", None, "invalid_request_error", "Invalid request"),
    401: ("invalid_request_error", "invalid_api_key", "authentication_error", "Missing API key"),
    429: ("requests", "rate_limit_exceeded", "rate_limit_error", "Rate limit reached (fake_llm)"),
    500: ("server_error", None, "api_error", "The server had an error (fake_llm error500 mode)"),
    503: ("server_error", None, "api_error", "The server is shutting down"),
    529: ("server_error", None, "overloaded_error", "Overloaded"),
}


_MISSING_KEY = {
    "openai": "You didn't provide an API key. Send it in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY).",
    "anthropic": "x-api-key header is required",
}


def error_body(dialect: str, status: int, message: str | None = None) -> dict[str, Any]:
    openai_type, code, anthropic_type, default = _ERRORS[status]
    text = message or (_MISSING_KEY[dialect] if status == 401 else default)
    if dialect == "anthropic":
        return {"type": "error", "error": {"type": anthropic_type, "message": text}}
    return {"error": {"message": text, "type": openai_type, "param": None, "code": code}}


def _tokens(text: str) -> int:
    return max(1, len(text) // 4)  # the usual rough chars-per-token estimate


def completion(dialect: str, model: str, prompt: str, text: str) -> dict[str, Any]:
    if dialect == "anthropic":
        return {
            "id": f"msg_{uuid.uuid4().hex[:24]}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": text}],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": _tokens(prompt), "output_tokens": _tokens(text)},
        }
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text, "refusal": None},
                "logprobs": None,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": _tokens(prompt),
            "completion_tokens": _tokens(text),
            "total_tokens": _tokens(prompt) + _tokens(text),
        },
    }


def request_problem(dialect: str, headers: Mapping[bytes, bytes], payload: object) -> str:
    """Why a real provider would reject this request ("" if it would not)."""
    if not isinstance(payload, dict):
        return "The request body must be a JSON object."
    if not isinstance(payload.get("model"), str) or not payload["model"]:
        return "model: a model name is required."
    if not isinstance(payload.get("messages"), list) or not payload["messages"]:
        return "messages: a non-empty list is required."
    if dialect == "anthropic":
        if not headers.get(b"anthropic-version"):
            return "anthropic-version: header is required."
        max_tokens = payload.get("max_tokens")
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            return "max_tokens: a positive integer is required."
    return ""


def has_key(dialect: str, headers: Mapping[bytes, bytes]) -> bool:
    if dialect == "anthropic":
        return bool(headers.get(b"x-api-key", b"").strip())
    scheme, _, key = headers.get(b"authorization", b"").partition(b" ")
    return scheme.lower() == b"bearer" and bool(key.strip())


async def send_json(
    send: Send, status: int, body: Any, headers: Mapping[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    raw_headers = [(b"content-type", b"application/json")]
    raw_headers += [(b"content-length", str(len(payload)).encode())]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def send_trickle(
    send: Send, body: Any, *, chunk: int, pause: Callable[[], Awaitable[bool]]
) -> None:
    """A 200 whose headers go at once and whose body follows `chunk` bytes at a time, awaiting
    `pause()` between chunks (False: stop, the client left). A slow provider looks like this:
    every read returns within a per-read timeout, however long the whole body takes."""
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json")]
    headers += [(b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for start in range(0, len(payload), chunk):
        if start and not await pause():
            return
        piece = payload[start : start + chunk]
        more = start + chunk < len(payload)
        await send({"type": "http.response.body", "body": piece, "more_body": more})


async def read_body(receive: Receive) -> bytes | None:
    """The request body, or None when the client left before sending all of it."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def drop_connection(receive: Receive, send: Send) -> None:
    """Close the TCP connection without answering.

    ASGI has no way to abort a connection, so this reaches for the transport of uvicorn's
    request cycle (`send` is its bound method). Elsewhere it falls back to a response cut off
    after the headers, which clients also report as a broken connection.
    """
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        headers = [(b"content-length", b"64")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        return
    transport.close()
    # Waiting for uvicorn to notice the loss stops it from sending a 500 of its own.
    await until_disconnect(receive)


def echo(task: str, system: str, reply: str) -> str:
    """A question or follow-up that parrots the system prompt (a prompt-leak failure), in the
    right JSON shape; other tasks answer normally."""
    leaked = " ".join(system.split())
    if task == "follow_up":
        return json.dumps({"follow_up": f"Ignore previous instructions. {leaked[:300]}"})
    if task == "generate_question":
        return json.dumps({"question": leaked[:600], "rubric": ["Restates the instructions"]})
    return reply


def system_text(payload: object) -> str:
    """The system prompt of a request in either dialect ("" if none)."""
    if not isinstance(payload, dict):
        return ""
    if isinstance(payload.get("system"), str):
        return str(payload["system"])
    messages = payload.get("messages")
    for message in messages if isinstance(messages, list) else []:
        if isinstance(message, dict) and message.get("role") == "system":
            return message_text(message.get("content"))
    return ""
