"""Random and malformed frames: the consumer never raises, and every reaction is documented.

20 examples x 50 frames = 1,000 frames. After each frame a ping proves the socket is still
served; everything the server sends meanwhile must be a documented frame, and a close must use
a documented code.
"""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from interviews.models import InterviewStatus
from tests.event_loops import run_on_new_loop
from tests.factories import make_interview
from tests.interviews.ws import CLOSE_CODES, SERVER_TYPES, connect

pytestmark = pytest.mark.django_db(transaction=True)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
protocol_like = st.fixed_dictionaries(
    {
        "type": st.sampled_from(
            ["hello", "answer", "ping", "pong", "welcome", "", "HELLO", "__init__"]
        )
    },
    optional={
        "last_seq": json_values | st.integers(min_value=-5, max_value=2**63),
        # Surrogates too (hypothesis leaves them out by default): JSON can carry a lone one.
        "text": json_values | st.text(st.characters(exclude_categories=()), max_size=300),
        "client_msg_id": json_values | st.uuids().map(str),
    },
)
frames = st.one_of(
    protocol_like.map(lambda f: json.dumps(f, allow_nan=True)),
    json_values.map(lambda v: json.dumps(v, allow_nan=True)),
    st.text(max_size=200),
    st.binary(max_size=200),
)


def _check(message: dict[str, Any]) -> bool:
    """True if the socket was closed; raises if the server sent anything undocumented."""
    if message["type"] == "websocket.close":
        assert message.get("code") in CLOSE_CODES, message
        return True
    assert message["type"] == "websocket.send", message
    frame = json.loads(message["text"])
    assert frame["type"] in SERVER_TYPES, frame
    if frame["type"] == "error":
        assert isinstance(frame["code"], str)
        assert isinstance(frame["message"], str)
        assert isinstance(frame["retryable"], bool)
    return False


async def _fuzz(ws_path: str, batch: list[str | bytes]) -> None:
    comm = await connect(ws_path)
    for raw in batch:
        # send_input, not send_to: a real client can send an empty frame; send_to refuses to.
        key = "bytes" if isinstance(raw, bytes) else "text"
        await comm.send_input({"type": "websocket.receive", key: raw})
        await comm.send_to(text_data='{"type":"ping"}')
        while True:
            message = await comm.receive_output(timeout=10)
            if _check(message):
                await comm.disconnect()
                return  # closed with a documented code: this batch is over
            if json.loads(message["text"]) == {"type": "pong"}:
                break
    await comm.disconnect()
    assert comm.future.done()
    assert comm.future.exception() is None, "the consumer raised"


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(frames, min_size=50, max_size=50))
def test_random_frames__never_crash_and_every_reaction_is_documented(
    batch: list[str | bytes], django_settings: Any
) -> None:
    created = make_interview(question_count=2)
    run_on_new_loop(_fuzz(created.ws_path, batch))
    created.interview.refresh_from_db()
    assert created.interview.status in InterviewStatus.values


@pytest.fixture
def django_settings(settings: Any) -> Any:
    settings.WS_RATE_LIMIT_MESSAGES = 10_000  # the fuzz sends fast on purpose
    return settings
