"""Text the database can store: the one rule every entry point checks before a query.

PostgreSQL's text values cannot hold NUL (psycopg raises DataError), and a lone UTF-16
surrogate (which JSON's "\\ud800" escape produces) cannot be encoded to UTF-8 at all (psycopg
raises UnicodeEncodeError). Either one reaching a query is a 500; checked first, it is a 400
that says what is wrong.
"""

from collections.abc import Iterable

INVALID_TEXT_MESSAGE = (
    "The request contains characters that are not text (NUL or a lone surrogate)."
)


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "contains a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contains a lone surrogate, which is not a character"
    return None


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
