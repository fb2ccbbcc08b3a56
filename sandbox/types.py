"""The values that cross the engine interface: what to run, within which limits, and what came
out. Plain frozen dataclasses with `to_dict`/`from_dict`, so a result travels through Celery and
a JSON column unchanged."""

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    PASSED = "passed"  # every test passed
    FAILED = "failed"  # the code ran; at least one test failed
    ERROR = "error"  # the code could not run (syntax error, missing function, crash)
    TIMEOUT = "timeout"  # stopped at the wall-time limit
    LIMIT = "limit"  # stopped by another limit: `RunResult.limit` says which


class Limit(StrEnum):
    CPU_TIME = "cpu_time"
    WALL_TIME = "wall_time"
    MEMORY = "memory"
    PROCESSES = "processes"
    FILE_SIZE = "file_size"
    OUTPUT = "output"


class InvalidRunRequest(ValueError):
    """The request cannot be run as given (too large, not text, unknown language...).

    Raised before anything runs; the message is safe to show to the person who sent the code.
    """


class EngineUnavailable(RuntimeError):
    """The engine could not run the code now (down, breaker open, overloaded): try later.

    `retry_after` is the seconds the engine (or its breaker) asked for, when known.
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class EngineRejected(RuntimeError):
    """The engine refused the request itself (HTTP 4xx: an unknown runtime, a limit above its
    own): a configuration problem that no retry fixes. `status_code` lets the breaker count it
    as the engine answering, not as the engine failing."""

    def __init__(self, message: str, *, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class Limits:
    cpu_seconds: float = 5.0  # CPU time of the whole run
    wall_seconds: float = 10.0  # elapsed time of the whole run, start-up included
    memory_bytes: int = 256 * 1024 * 1024  # address space per process
    processes: int = 32  # processes and threads the run may have at once
    file_bytes: int = 16 * 1024 * 1024  # largest file, and all files together, it may write
    output_bytes: int = 64 * 1024  # stdout + stderr kept; more stops the run

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Limits":
        return cls(**data)


@dataclass(frozen=True, slots=True)
class TestCase:
    """Call the entry point with `args`; the test passes when it returns `expected`.

    `args` and `expected` are JSON values. `expected` never enters the sandbox: the verdict is
    reached outside it (sandbox/verdict.py), so candidate code cannot forge a pass.
    """

    __test__ = False  # not a pytest test class

    name: str
    args: tuple[Any, ...]
    expected: Any
    hidden: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "args": list(self.args), "expected": self.expected,
                "hidden": self.hidden}  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TestCase":
        return cls(data["name"], tuple(data["args"]), data["expected"], bool(data.get("hidden")))


@dataclass(frozen=True, slots=True)
class TestSuite:
    __test__ = False

    entrypoint: str  # the function the tests call
    cases: tuple[TestCase, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"entrypoint": self.entrypoint, "cases": [c.to_dict() for c in self.cases]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TestSuite":
        return cls(data["entrypoint"], tuple(TestCase.from_dict(c) for c in data["cases"]))


@dataclass(frozen=True, slots=True)
class TestResult:
    __test__ = False

    name: str
    passed: bool
    output: str = ""  # what the code printed during this test (truncated)
    error: str = ""  # why it did not pass: the exception, the wrong value, the limit
    duration: float = 0.0  # seconds the call took inside the sandbox

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TestResult":
        return cls(**data)


@dataclass(frozen=True, slots=True)
class RunResult:
    status: RunStatus
    tests: tuple[TestResult, ...] = ()
    limit: Limit | None = None  # set when status is timeout or limit
    message: str = ""  # a one-line explanation for error/timeout/limit
    stdout: str = ""  # the run's own output outside tests (truncated)
    stderr: str = ""
    duration: float = 0.0  # wall seconds of the whole run, as seen by the engine's caller
    engine: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # engine-specific details (versions)

    @property
    def passed_count(self) -> int:
        return sum(1 for t in self.tests if t.passed)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["limit"] = self.limit.value if self.limit else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunResult":
        values = dict(data)
        values["status"] = RunStatus(values["status"])
        values["limit"] = Limit(values["limit"]) if values.get("limit") else None
        values["tests"] = tuple(TestResult.from_dict(t) for t in values.get("tests", ()))
        return cls(**values)
