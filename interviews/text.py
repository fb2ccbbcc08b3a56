"""Text the databases can store: one rule for every string a client sends to be saved.

A Python `str` may hold code points no database can store. A lone UTF-16 surrogate
(U+D800 to U+DFFF: half of an emoji cut by a truncated paste, or a crafted frame; JSON's
`"\\ud800"` decodes to one) is not a Unicode scalar value and has no UTF-8 encoding, so psycopg
and sqlite3 both raise UnicodeEncodeError. NUL (U+0000) is UTF-8, but PostgreSQL's text type
refuses it and SQLite's C string functions stop at it. Everything else is stored as sent:
noncharacters such as U+FFFF and control characters are valid UTF-8 that both databases keep.
"""

import re

# Every surrogate left in a decoded str is a lone one: json and the UTF-8 codec join valid
# pairs into the astral character they encode.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
CONTEXT_CHARS = 20  # how much of the text before the bad character the message quotes


def text_unstorable_at(text: str) -> int | None:
    """The index of the first character no database can store, or None if there is none."""
    match = UNSTORABLE.search(text)
    return match.start() if match else None


def text_unstorable_message(text: str, index: int) -> str:
    """Plain words for the candidate: what is wrong and where, without echoing the character."""
    before = UNSTORABLE.sub("", text[max(0, index - CONTEXT_CHARS) : index]).strip()
    where = f" right after “{before}”" if before else " at the start"
    return (
        "Your answer contains a character that cannot be saved (often left by copying and "
        f"pasting){where}. Please delete or retype it and send again."
    )
