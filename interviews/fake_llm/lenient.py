"""Reading a request the fake LLM treats as untrusted: a wrong type degrades to a default
instead of raising, since the fake exists to exercise its callers, not to crash on them."""


def text_or(value: object, default: str) -> str:
    return value.strip() if isinstance(value, str) and value.strip() else default


def int_or(value: object, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default
