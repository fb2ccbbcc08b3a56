"""A coding question: statement, language, starter code, entry point, visible examples, hidden
tests and (interviewer-only) a reference solution.

One shape for every source: the offline bank's questions and an LLM's are both a CodingSpec,
stored on the question's Turn as `meta["coding"]` (`to_meta`), read back with `from_meta`. What
the candidate may see (`candidate_view`) leaves out the hidden tests and the solution.
"""

from dataclasses import dataclass
from typing import Any

from sandbox.types import TestCase, TestSuite

LANGUAGES = ("python", "javascript", "sql")
MAX_STATEMENT_CHARS = 4000
MAX_CODE_CHARS = 20_000  # starter code and reference solution, each


class CodingSpecInvalid(ValueError):
    """A coding question that cannot be asked; the message names what is wrong."""


@dataclass(frozen=True)
class CodingSpec:
    key: str  # the bank's id, or "" for a generated question
    language: str
    difficulty: str
    title: str
    statement: str
    entry_point: str
    starter: str
    solution: str  # never sent to the candidate
    examples: tuple[TestCase, ...]  # shown to the candidate; "Run tests" runs these
    hidden: tuple[TestCase, ...]  # counts only to the candidate; "Submit" runs these too

    def suite(self, *, hidden: bool) -> TestSuite:
        """The tests a run uses: the examples, and with `hidden` the hidden tests after them."""
        cases = self.examples + (self.hidden if hidden else ())
        return TestSuite(self.entry_point, cases)

    def candidate_view(self) -> dict[str, Any]:
        """What the question frame carries: never the hidden tests or the solution."""
        return {
            "language": self.language,
            "title": self.title,
            "entry_point": self.entry_point,
            "starter": self.starter,
            "examples": [
                {"name": c.name, "args": list(c.args), "expected": c.expected}
                for c in self.examples
            ],
            "hidden_count": len(self.hidden),
        }

    def to_meta(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "language": self.language,
            "difficulty": self.difficulty,
            "title": self.title,
            "statement": self.statement,
            "entry_point": self.entry_point,
            "starter": self.starter,
            "solution": self.solution,
            "examples": [c.to_dict() for c in self.examples],
            "hidden": [c.to_dict() for c in self.hidden],
        }

    @classmethod
    def from_meta(cls, data: dict[str, Any]) -> "CodingSpec":
        return coding_spec_parse(data, where=str(data.get("key") or "coding question"))


def _text(data: dict[str, Any], name: str, where: str, limit: int, *, empty: bool = False) -> str:
    value = data.get(name)
    if not isinstance(value, str) or (not empty and not value.strip()):
        raise CodingSpecInvalid(f"{where}: {name!r} must be non-empty text")
    if len(value) > limit:
        raise CodingSpecInvalid(f"{where}: {name!r} is over {limit} characters")
    return value


def _cases(raw: Any, where: str, *, hidden: bool) -> tuple[TestCase, ...]:
    if not isinstance(raw, list) or not raw:
        raise CodingSpecInvalid(f"{where}: expected a non-empty list of tests")
    cases = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise CodingSpecInvalid(f"{where}[{i}]: a test needs a 'name'")
        if not isinstance(item.get("args"), list) or "expected" not in item:
            raise CodingSpecInvalid(f"{where}[{i}]: a test needs 'args' (a list) and 'expected'")
        cases.append(TestCase(item["name"], tuple(item["args"]), item["expected"], hidden=hidden))
    return tuple(cases)


def coding_spec_parse(data: Any, *, where: str) -> CodingSpec:
    """A CodingSpec from its dict form (the bank's TOML, Turn.meta, an LLM's JSON), or
    CodingSpecInvalid naming the field. Whether the tests themselves can run (valid names,
    JSON values) is the sandbox's check (sandbox/validation.py), made when they run."""
    if not isinstance(data, dict):
        raise CodingSpecInvalid(f"{where}: expected an object")
    language = data.get("language")
    if language not in LANGUAGES:
        raise CodingSpecInvalid(f"{where}: language must be one of {', '.join(LANGUAGES)}")
    examples = _cases(data.get("examples"), f"{where}.examples", hidden=False)
    hidden = _cases(data.get("hidden"), f"{where}.hidden", hidden=True)
    names = [c.name for c in examples + hidden]
    if len(set(names)) != len(names):
        raise CodingSpecInvalid(f"{where}: test names must be unique")
    return CodingSpec(
        key=str(data.get("key") or data.get("id") or ""),
        language=language,
        difficulty=str(data.get("difficulty") or ""),
        title=_text(data, "title", where, 200),
        statement=_text(data, "statement", where, MAX_STATEMENT_CHARS),
        entry_point=_text(data, "entry_point", where, 200),
        starter=_text(data, "starter", where, MAX_CODE_CHARS, empty=True),
        solution=_text(data, "solution", where, MAX_CODE_CHARS),
        examples=examples,
        hidden=hidden,
    )
