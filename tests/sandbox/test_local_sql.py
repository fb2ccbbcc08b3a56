"""SQL questions on SQLite: each test builds a fresh database from its setup script, runs the
candidate's query and compares the rows outside the sandbox."""

import pytest

from sandbox.types import InvalidRunRequest, RunStatus, TestCase, TestSuite
from tests.sandbox.support import LIMITS, engine

SETUP = (
    "CREATE TABLE staff (name TEXT, team TEXT, salary INTEGER);"
    "INSERT INTO staff VALUES ('ana', 'db', 120), ('bo', 'db', 100), ('cy', 'web', 90);"
)
EMPTY_WEB = SETUP + "DELETE FROM staff WHERE team = 'web';"


def suite() -> TestSuite:
    return TestSuite(
        "",
        (
            TestCase("both teams", (SETUP,), [["db", 220], ["web", 90]]),
            TestCase("one team", (EMPTY_WEB,), [["db", 220]], hidden=True),
        ),
    )


def test_a_correct_query__passes_every_test() -> None:
    query = "SELECT team, SUM(salary) FROM staff GROUP BY team ORDER BY team"
    result = engine().run(query, "sql", suite(), LIMITS)

    assert result.status == RunStatus.PASSED, result
    assert [t.name for t in result.tests] == ["both teams", "one team"]


def test_a_hard_coded_answer__fails_the_hidden_test() -> None:
    result = engine().run("SELECT 'db', 220 UNION ALL SELECT 'web', 90", "sql", suite(), LIMITS)

    assert [(t.passed, t.error) for t in result.tests] == [
        (True, ""),
        (False, "Wrong answer (hidden test)."),
    ]


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("SELEC team FROM staff", 'OperationalError: near "SELEC": syntax error'),
        ("SELECT * FROM nowhere", "OperationalError: no such table: nowhere"),
        ("DELETE FROM staff; SELECT 1", "ProgrammingError: You can only execute one statement"),
    ],
)
def test_a_broken_query__each_test_says_why(query: str, error: str) -> None:
    result = engine().run(query, "sql", suite(), LIMITS)

    assert result.status == RunStatus.FAILED
    assert all(t.error.startswith(error) for t in result.tests), result.tests


def test_setup_must_be_one_script() -> None:
    bad = TestSuite("", (TestCase("t", (1, 2), []),))
    with pytest.raises(InvalidRunRequest, match="setup script"):
        engine().run("SELECT 1", "sql", bad, LIMITS)
