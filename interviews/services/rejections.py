"""What a service raises for input it refuses as sent, in the one shape the socket's error frame
needs (docs/protocol.md, "error")."""


class Rejected(Exception):
    """`code` and `message` go into the error frame; `retryable` says whether sending the same
    again may succeed."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
