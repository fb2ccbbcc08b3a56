"""The offline bank of coding questions: one TOML file per language in data/, validated once.

TOML rather than the discussion bank's JSON because the questions are mostly code: multi-line
strings keep the starter and the solution readable and diffable.
"""

import functools
import random
import tomllib
from pathlib import Path

from interviews.coding.spec import CodingSpec, CodingSpecInvalid, coding_spec_parse

DATA_DIR = Path(__file__).with_name("data")
DIFFICULTIES = ("easy", "medium", "hard")
# The neighbouring levels tried when a level has no unasked question left.
NEAR = {"easy": DIFFICULTIES, "medium": ("medium", "hard", "easy"),
        "hard": ("hard", "medium", "easy")}  # fmt: skip


@functools.cache
def load_coding_bank() -> dict[str, tuple[CodingSpec, ...]]:
    """Language → its questions; a malformed file fails here, naming the entry."""
    bank: dict[str, tuple[CodingSpec, ...]] = {}
    for path in sorted(DATA_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
        language = raw.get("language")
        specs = []
        for i, item in enumerate(raw.get("questions", ())):
            where = f"{path.name} questions[{i}] ({item.get('id', '?')})"
            spec = coding_spec_parse({**item, "language": language}, where=where)
            if spec.difficulty not in DIFFICULTIES:
                raise CodingSpecInvalid(f"{where}: difficulty must be easy, medium or hard")
            specs.append(spec)
        keys = [s.key for s in specs]
        if not all(keys) or len(set(keys)) != len(keys):
            raise CodingSpecInvalid(f"{path.name}: every question needs a unique id")
        bank[str(language)] = tuple(specs)
    return bank


def coding_languages() -> tuple[str, ...]:
    """The languages the offline bank has questions in (what a position may ask for)."""
    return tuple(load_coding_bank())


def coding_bank_pick(
    *, language: str, difficulty: str, seed: int, asked: frozenset[str]
) -> CodingSpec:
    """A question in `language` not asked yet (by key): this level first, then the neighbours.
    LookupError when every one has been asked."""
    questions = load_coding_bank().get(language, ())
    for level in NEAR.get(difficulty, DIFFICULTIES):
        column = [q for q in questions if q.difficulty == level and q.key not in asked]
        if column:
            return random.Random(f"{seed}:{language}:{level}").choice(sorted(column, key=_key))
    raise LookupError(f"every {language} coding question has been asked")


def _key(spec: CodingSpec) -> str:
    return spec.key
