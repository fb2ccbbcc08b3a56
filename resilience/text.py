"""Text the databases can store: the one rule every entry point checks before a query.

A Python `str` may hold code points no database can store. A lone UTF-16 surrogate
(U+D800 to U+DFFF: half of an emoji cut by a truncated paste, or a crafted request; JSON's
`"\\ud800"` decodes to one) is not a Unicode scalar value and has no UTF-8 encoding, so psycopg
and sqlite3 both raise UnicodeEncodeError. NUL (U+0000) is UTF-8, but PostgreSQL's text type
refuses it (DataError) and SQLite's C string functions stop at it. Either one reaching a query
is a 500; checked first, it is a 400 that says what is wrong. Everything else is stored as
sent: noncharacters such as U+FFFF and control characters are valid UTF-8 both databases keep.

Here in the resilience app, the lowest layer, so HTTP (monitoring), the interviews app and the
DLQ API share it.
"""

import re
from collections.abc import Iterable

# Every surrogate left in a decoded str is a lone one: json and the UTF-8 codec join valid
# pairs into the astral character they encode.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
INVALID_TEXT_MESSAGE = (
    "The request contains characters that are not text (NUL or a lone surrogate)."
)


def text_unstorable_at(text: str) -> int | None:
    """The index of the first character no database can store, or None if there is none."""
    match = UNSTORABLE.search(text)
    return match.start() if match else None


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    index = text_unstorable_at(value)
    if index is None:
        return None
    if value[index] == "\x00":
        return f"contains a NUL character at position {index}"
    return f"contains a lone surrogate (not a character) at position {index}"


def first_text_problem(values: Iterable[str]) -> str | None:
    """The first problem among `values`, or None when every one can be stored."""
    for value in values:
        problem = text_problem(value)
        if problem is not None:
            return problem
    return None


def json_strings(document: object) -> list[str]:
    """Every string (object keys included) in a parsed JSON document, without recursion: a
    document json.loads accepted may be nested nearly to the interpreter's recursion limit."""
    found: list[str] = []
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.append(item)
        elif isinstance(item, dict):
            found.extend(item)
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found
