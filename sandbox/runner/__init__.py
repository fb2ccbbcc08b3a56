"""Code that runs inside the sandbox: the launcher and one test harness per language.

These files are read as text and handed to a fresh interpreter (`python -I -S -c`, `node -e`);
they are never imported by Django, and use only their language's standard library.
"""

from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The longest JSON a test's returned value may take (characters): the harnesses report a
# larger one as the test's error, so one test cannot flood the result channel.
VALUE_CAP = 256 * 1024


def line_cap(output_bytes: int) -> int:
    """The longest result line a harness can write: its value, its output and its error."""
    return VALUE_CAP + 2 * output_bytes + 65536


@cache
def source(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")
