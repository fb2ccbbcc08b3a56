"""The local runner's ordinary work: verdicts per test in Python and JavaScript, what a test
prints, load errors, and bad input refused before anything runs."""

import os
from dataclasses import replace

import pytest
from prometheus_client import REGISTRY

from sandbox.engines.local import LocalEngine
from sandbox.types import EngineUnavailable, InvalidRunRequest, RunStatus, TestCase, TestSuite
from tests.sandbox.support import CPU_BOUND, LIMITS, add_suite, engine, own_uids_conf, run


def test_python__per_test_results_with_output_and_duration() -> None:
    result = run("def add(a, b):\n    print('adding', a, b)\n    return a + b\n", add_suite())

    assert result.status == RunStatus.PASSED
    assert [(t.name, t.passed, t.output) for t in result.tests] == [
        ("small", True, "adding 1 2\n"),
        ("negative", True, "adding -4 1\n"),
        ("large", True, f"adding {10**12} 1\n"),
    ]
    assert all(0 <= t.duration < 1 for t in result.tests)


def test_every_run_is_counted_by_engine_status_and_limit() -> None:
    def count(status: str, limit: str) -> float:
        labels = {"engine": "local", "status": status, "limit": limit}
        return REGISTRY.get_sample_value("sandbox_runs_total", labels) or 0.0

    before = (count("passed", ""), count("timeout", "wall_time"))
    run("def add(a, b):\n    return a + b\n", add_suite())
    run("import time\ndef solve():\n    time.sleep(60)\n", limits=replace(LIMITS, wall_seconds=1))

    assert (count("passed", ""), count("timeout", "wall_time")) == (before[0] + 1, before[1] + 1)


def test_wrong_answers__visible_tests_say_what_was_expected_hidden_ones_do_not() -> None:
    result = run("def add(a, b):\n    return 3\n", add_suite())

    assert result.status == RunStatus.FAILED
    assert [(t.passed, t.error) for t in result.tests] == [
        (True, ""),
        (False, "Expected -3, got 3."),
        (False, "Wrong answer (hidden test)."),
    ]


def test_an_exception_in_one_test__fails_that_test_only() -> None:
    code = (
        "def add(a, b):\n    if a < 0:\n        raise ValueError('no negatives')\n"
        "    return a + b\n"
    )
    result = run(code, add_suite())

    assert [t.passed for t in result.tests] == [True, False, True]
    assert "ValueError: no negatives" in result.tests[1].error
    assert 'File "solution.py", line 3' in result.tests[1].error


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("def add(a, b) return a", "SyntaxError"),
        ("def plus(a, b):\n    return a + b\n", "no function named 'add'"),
        ("import nonexistent_module_xyz\n", "ModuleNotFoundError"),
    ],
)
def test_code_that_cannot_load__is_an_error_and_no_test_runs(code: str, message: str) -> None:
    result = run(code, add_suite())

    assert result.status == RunStatus.ERROR
    assert message in result.message
    assert all(t.error == "Not run: the code could not be loaded" for t in result.tests)


def test_project_packages_are_not_importable() -> None:
    result = run("import django\ndef add(a, b):\n    return a + b\n", add_suite())

    assert result.status == RunStatus.ERROR
    assert "No module named 'django'" in result.message


def test_javascript__per_test_results(tmp_path: object) -> None:
    code = "function add(a, b) {\n  console.log('adding', a, b);\n  return a + b;\n}\n"
    result = engine().run(code, "javascript", add_suite(), LIMITS)

    assert result.status == RunStatus.PASSED, result
    assert [t.output for t in result.tests][:1] == ["adding 1 2\n"]


def test_javascript__async_functions_and_errors() -> None:
    code = "const add = async (a, b) => { if (a < 0) throw new Error('nope'); return a + b; };"
    result = engine().run(code, "javascript", add_suite(), LIMITS)

    assert [t.passed for t in result.tests] == [True, False, True]
    assert "Error: nope" in result.tests[1].error


def test_javascript__infinite_loop_stopped_by_the_cpu_limit() -> None:
    suite = TestSuite("solve", (TestCase("only", (), None),))
    result = engine().run("function solve() { for (;;) {} }", "javascript", suite, CPU_BOUND)

    assert (result.status, result.limit) == ("limit", "cpu_time"), result


def test_javascript__huge_allocation_stopped_by_the_memory_limit() -> None:
    code = "function solve() { const a = []; for (;;) a.push(new Array(1e6).fill(1)); }"
    suite = TestSuite("solve", (TestCase("only", (), None),))
    result = engine().run(code, "javascript", suite, LIMITS)

    assert (result.status, result.limit) == ("limit", "memory"), result


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("x = 1\n" * 20000, "bytes; at most"),
        (b"def add(a, b):\n    return a + b  # \xff\xfe\n", "not valid UTF-8"),
        ("def add(a, b):\n    return '\udcff'\n", "line 2, column 13 .a lone surrogate"),
        ("def add(a, b):\n    return a\x00 + b\n", "NUL byte on line 2, column 13"),
    ],
)
def test_hostile_input__refused_with_a_clear_error(code: str | bytes, message: str) -> None:
    with pytest.raises(InvalidRunRequest, match=message):
        run(code, add_suite())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("suite", "language", "message"),
    [
        (TestSuite("add", ()), "python", "no tests"),
        (TestSuite("import", (TestCase("t", (), 1),)), "python", "not a valid python name"),
        (TestSuite("a;b", (TestCase("t", (), 1),)), "javascript", "not a valid javascript"),
        (TestSuite("add", (TestCase("t", (), 1), TestCase("t", (), 2))), "python", "unique"),
        (TestSuite("add", (TestCase("t", (object(),), 1),)), "python", "must be JSON"),
        (TestSuite("add", (TestCase("t", (), 1),)), "cobol", "not available"),
        (TestSuite("add", (TestCase("t", ("a\x00",), 1),)), "python", "NUL character"),
        (TestSuite("add", (TestCase("t", (), {"\ud800": 1}),)), "python", "lone surrogate"),
    ],
)
def test_bad_requests__refused_before_running(suite: TestSuite, language: str, message: str
                                              ) -> None:  # fmt: skip
    with pytest.raises(InvalidRunRequest, match=message):
        engine().run("def add(): pass", language, suite, LIMITS)


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("def add(a, b):\n    return 'x' * 10_000_000\n", "python"),
        ("const add = (a, b) => 'x'.repeat(10000000);", "javascript"),
    ],
)
def test_a_huge_returned_value__that_test_fails_and_the_others_run(code: str, language: str
                                                                  ) -> None:  # fmt: skip
    result = engine().run(code, language, add_suite(), LIMITS)

    assert result.status == RunStatus.FAILED, result
    assert all("characters of JSON; at most 262144" in t.error for t in result.tests)


def test_a_value_that_is_not_json__says_so() -> None:
    result = run("def add(a, b):\n    return {1, 2}\n", add_suite())

    assert "not JSON data" in result.tests[0].error


def test_a_sandbox_that_cannot_start_node__is_the_engines_failure_not_the_codes() -> None:
    broken = LocalEngine(replace(own_uids_conf(), node="/nonexistent/node"))

    with pytest.raises(EngineUnavailable, match="could not start the run: FileNotFoundError"):
        broken.run("function add(a, b) { return a + b; }", "javascript", add_suite(), LIMITS)


def test_a_launcher_that_cannot_start__is_the_engines_failure_not_the_codes() -> None:
    broken = LocalEngine(replace(own_uids_conf(), python="/nonexistent/python3"))

    with pytest.raises(EngineUnavailable, match="could not start the run"):
        broken.run("def add(a, b):\n    return a + b\n", "python", add_suite(), LIMITS)


def test_no_interpreter_to_start__the_engines_failure_and_no_descriptor_leaks() -> None:
    # Without namespaces the interpreter is started directly: it cannot even be spawned.
    broken = LocalEngine(replace(own_uids_conf(), isolation="none", python="/nonexistent/py"))
    before = len(os.listdir("/proc/self/fd"))

    with pytest.raises(EngineUnavailable, match="could not start the run"):
        broken.run("def add(a, b):\n    return a + b\n", "python", add_suite(), LIMITS)
    assert len(os.listdir("/proc/self/fd")) == before


def test_code_that_exits_with_the_launchers_failure_status__is_still_the_codes_error() -> None:
    result = run("import os\ndef add(a, b):\n    os._exit(70)\n", add_suite())

    assert result.status == RunStatus.ERROR
    assert "exited with status 70" in result.message
