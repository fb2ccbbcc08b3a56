"""The offline coding bank: enough questions per language and level, each one checked in the
real sandbox (its reference solution passes every test, its starter code passes none of the
hidden ones), and a malformed entry refused with its name."""

import re
from collections import Counter

import pytest

from interviews.coding.bank import DIFFICULTIES, coding_bank_pick, load_coding_bank
from interviews.coding.spec import CodingSpec, CodingSpecInvalid, coding_spec_parse
from sandbox.engines.local import LocalEngine
from sandbox.types import RunStatus

BANK = [spec for specs in load_coding_bank().values() for spec in specs]


def test_bank__has_eight_questions_per_language_over_three_levels() -> None:
    bank = load_coding_bank()
    assert set(bank) == {"python", "javascript"}
    for language, specs in bank.items():
        assert len(specs) >= 8, language
        assert set(Counter(s.difficulty for s in specs)) == set(DIFFICULTIES), language
    keys = [s.key for s in BANK]
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("spec", BANK, ids=lambda s: s.key)
def test_bank_question__reference_passes_every_test_and_starter_does_not(
    spec: CodingSpec,
) -> None:
    engine = LocalEngine()
    suite = spec.suite(hidden=True)
    reference = engine.run(spec.solution, spec.language, suite)
    assert reference.status is RunStatus.PASSED, reference
    assert reference.passed_count == len(suite.cases) >= 5
    starter = engine.run(spec.starter, spec.language, suite)
    assert starter.status is not RunStatus.PASSED
    assert not any(t.passed for t in starter.tests if t.name in {h.name for h in spec.hidden})


def test_candidate_view__never_carries_hidden_tests_or_the_solution() -> None:
    spec = BANK[0]
    view = spec.candidate_view()
    text = repr(view)
    assert spec.solution not in text
    assert all(h.name not in text for h in spec.hidden)
    assert view["hidden_count"] == len(spec.hidden)
    assert [e["name"] for e in view["examples"]] == [e.name for e in spec.examples]


def test_spec_meta__round_trips() -> None:
    for spec in BANK:
        assert CodingSpec.from_meta(spec.to_meta()) == spec


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"language": "cobol"}, "language must be one of"),
        ({"hidden": []}, "hidden: expected a non-empty list"),
        ({"examples": [{"name": "x", "args": "1", "expected": 1}]}, "'args' (a list)"),
        ({"solution": "  "}, "'solution' must be non-empty"),
        ({"statement": "x" * 5000}, "'statement' is over"),
        (
            {
                "examples": [{"name": "twice", "args": [], "expected": 1}],
                "hidden": [{"name": "twice", "args": [], "expected": 2}],
            },
            "test names must be unique",
        ),
    ],
)
def test_spec_parse__refuses_a_malformed_question_naming_it(
    change: dict[str, object], problem: str
) -> None:
    raw = {**BANK[0].to_meta(), **change}
    with pytest.raises(CodingSpecInvalid, match=re.escape(problem)) as exc:
        coding_spec_parse(raw, where="the entry")
    assert "the entry" in str(exc.value)


def test_pick__prefers_the_level_then_neighbours_and_never_repeats() -> None:
    asked: set[str] = set()
    levels = []
    for _ in range(8):
        spec = coding_bank_pick(
            language="python", difficulty="hard", seed=7, asked=frozenset(asked)
        )
        assert spec.key not in asked
        asked.add(spec.key)
        levels.append(spec.difficulty)
    assert levels[:2] == ["hard", "hard"]
    assert levels[2] == "medium"
    with pytest.raises(LookupError):
        coding_bank_pick(language="python", difficulty="hard", seed=7, asked=frozenset(asked))
