"""Code that runs inside the sandbox: the launcher and one test harness per language.

These files are read as text and handed to a fresh interpreter (`python -I -S -c`, `node -e`);
they are never imported by Django, and use only their language's standard library.
"""

from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@cache
def source(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")
