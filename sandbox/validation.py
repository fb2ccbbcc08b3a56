"""What a run request must satisfy before any engine sees it: one set of rules for all engines,
so bad input gets the same clear error whichever engine is configured, and nothing is run."""

import json
import keyword
import re
from typing import Any

from resilience.text import first_text_problem, json_strings, text_unstorable_at
from sandbox.conf import SandboxSettings
from sandbox.types import InvalidRunRequest, Limits, TestSuite

JS_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
JS_RESERVED = frozenset(
    [
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "export",
        "extends",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
        "yield",
        "let",
        "static",
        "enum",
        "await",
        "null",
        "true",
        "false",
    ]
)
MAX_NAME_CHARS = 200


def _where(text: str, index: int) -> str:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def code_text(code: str | bytes) -> str:
    """The code as text: UTF-8 bytes are decoded; anything that is not valid text is refused."""
    if isinstance(code, bytes):
        try:
            code = code.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidRunRequest(
                f"The code is not valid UTF-8 text (byte {exc.start} cannot be decoded)."
            ) from None
    if not isinstance(code, str):
        raise InvalidRunRequest("The code must be text.")
    # The project's one rule for text a database can store (the run is stored before it runs).
    index = text_unstorable_at(code)
    if index is not None and code[index] == "\x00":
        raise InvalidRunRequest(
            f"The code contains a NUL byte on {_where(code, index)}; remove it."
        )
    if index is not None:
        raise InvalidRunRequest(
            f"The code contains an invalid character on {_where(code, index)} "
            "(a lone surrogate, which is not Unicode text)."
        )
    return code


def validate_run_request(
    *, code: str | bytes, language: str, tests: TestSuite, limits: Limits, conf: SandboxSettings
) -> str:
    """The code as text, or InvalidRunRequest saying what to change."""
    if language not in conf.languages():
        offered = ", ".join(conf.languages())
        raise InvalidRunRequest(f"Language {language!r} is not available (offered: {offered}).")
    text = code_text(code)
    size = len(text.encode("utf-8"))
    if size > conf.max_code_bytes:
        raise InvalidRunRequest(
            f"The code is {size} bytes; at most {conf.max_code_bytes} bytes can be run."
        )
    _check_entrypoint(tests.entrypoint, language)
    _check_cases(tests, conf)
    if language == "sql":
        _check_sql_cases(tests)
    _check_limits(limits)
    return text


def _check_entrypoint(name: Any, language: str) -> None:
    if language == "sql":
        return  # the query is the code; there is no function to call
    if language == "javascript":
        valid = isinstance(name, str) and bool(JS_IDENTIFIER.match(name))
        valid = valid and name not in JS_RESERVED
    else:
        valid = isinstance(name, str) and name.isidentifier() and not keyword.iskeyword(name)
    if not valid:
        raise InvalidRunRequest(f"The entry point {name!r} is not a valid {language} name.")


def _check_cases(tests: TestSuite, conf: SandboxSettings) -> None:
    if not tests.cases:
        raise InvalidRunRequest("There are no tests to run.")
    if len(tests.cases) > conf.max_tests:
        raise InvalidRunRequest(f"{len(tests.cases)} tests; at most {conf.max_tests} per run.")
    names = [case.name for case in tests.cases]
    for name in names:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
            raise InvalidRunRequest(
                f"Test name {name!r} must be non-empty text of at most {MAX_NAME_CHARS} characters."
            )
    if len(set(names)) != len(names):
        raise InvalidRunRequest("Test names must be unique.")
    data = [[list(c.args), c.expected] for c in tests.cases]
    try:
        text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRunRequest(f"Test arguments and expected values must be JSON: {exc}") from None
    problem = first_text_problem([*names, *json_strings(data)])
    if problem is not None:
        raise InvalidRunRequest(f"A test name, argument or expected value {problem}.")
    encoded = text.encode("utf-8")
    if len(encoded) > conf.max_tests_bytes:
        raise InvalidRunRequest(
            f"The tests are {len(encoded)} bytes as JSON; at most {conf.max_tests_bytes}."
        )


def _check_sql_cases(tests: TestSuite) -> None:
    for case in tests.cases:
        if len(case.args) > 1 or (case.args and not isinstance(case.args[0], str)):
            raise InvalidRunRequest(
                f"SQL test {case.name!r}: its one argument is the setup script (text)."
            )


def _check_limits(limits: Limits) -> None:
    if limits.cpu_seconds <= 0 or limits.wall_seconds <= 0:
        raise InvalidRunRequest("The CPU and wall time limits must be above 0 seconds.")
    if limits.memory_bytes < 32 * 1024 * 1024:
        raise InvalidRunRequest("The memory limit must be at least 32 MiB.")
    if min(limits.processes, limits.file_bytes, limits.output_bytes) < 1:
        raise InvalidRunRequest("The process, file and output limits must be at least 1.")
