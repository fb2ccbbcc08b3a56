"""The settings reference in docs/ is the truth: every variable the settings read from the
environment and every field of an app's conf.py is documented, and every documented setting
exists with the documented default (what a process gets with the variable unset)."""

import ast
import json
import os
import re
import subprocess
import sys
from dataclasses import fields
from typing import Any

import pytest

from interviews.conf import InterviewsSettings
from interviewsite.appconf import defaults_of
from monitoring.conf import MonitoringSettings
from resilience.conf import ResilienceSettings
from retrieval.conf import RetrievalDeclared
from sandbox.conf import SandboxDeclared
from tests.e2e.stack import ROOT

# Where the settings tables live (a header row "| variable | default |" or "| setting | ...").
REFERENCES = tuple(ROOT / "docs" / name for name in ("settings.md", "architecture.md"))
CONF_CLASSES = (
    InterviewsSettings,
    MonitoringSettings,
    ResilienceSettings,
    RetrievalDeclared,
    SandboxDeclared,
)
# Read by the processes and the Makefile rather than by settings.py.
PROCESS_VARIABLES = {"PROMETHEUS_MULTIPROC_DIR", "WEB_PORT", "FORWARDED_ALLOW_IPS"}
_EMPTY = ("empty", "unset", "none")


def documented() -> dict[str, str]:
    """{NAME: default cell} of every settings table row; "A / B" rows split in step."""
    rows: dict[str, str] = {}
    in_table = False
    text = "\n".join(path.read_text() for path in REFERENCES)
    for line in text.splitlines():
        # Not the "production default" table: it states what production changes.
        if re.match(r"^\| (variable|setting) \| default \|", line, re.IGNORECASE):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not in_table or set(cells[0]) <= {"-"}:
            continue
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0])
        defaults = cells[1].split(" / ")
        for i, name in enumerate(names):
            rows[name] = defaults[i] if len(defaults) == len(names) else cells[1]
    return rows


def environment_reads() -> dict[str, Any]:
    """{NAME: literal default or ...} of every env.<type>("NAME", ...) call in the settings."""
    modules = sorted((ROOT / "interviewsite" / "settings").glob("*.py"))
    assert modules, "the settings package has moved"
    nodes = [node for path in modules for node in ast.walk(ast.parse(path.read_text()))]
    reads: dict[str, Any] = {}
    for node in nodes:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == "env"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            name = str(node.args[0].value)
            default = next((k.value for k in node.keywords if k.arg == "default"), None)
            try:
                reads[name] = ast.literal_eval(default) if default else None
            except ValueError:
                reads[name] = ...  # computed: checked through the settings
    return reads


@pytest.fixture(scope="module")
def clean_settings() -> dict[str, Any]:
    """Every upper-case setting of a process started with none of these variables set."""
    names = set(documented()) | set(environment_reads())
    env = {k: v for k, v in os.environ.items() if k not in names and k != "TEST_RUN_REDIS_URL"}
    script = (
        "import json, sys\n"
        "from django.conf import settings\n"
        "names = json.loads(sys.argv[1])\n"
        "print(json.dumps({n: getattr(settings, n) for n in names if hasattr(settings, n)},"
        " default=str))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, json.dumps(sorted(names))],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "interviewsite.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def _as_variable(value: Any) -> str:
    """A setting's value written as its environment variable would be."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return ",".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def _matches(cell: str, value: Any) -> bool:
    literal = re.fullmatch(r"`([^`]*)`", cell.strip())
    if literal is None:
        if cell.strip().lower().startswith(_EMPTY):
            return value in ("", None, [], {}, ())
        return True  # prose ("Redis store with REDIS_URL, else ..."): names checked only
    text = literal.group(1)
    if isinstance(value, dict) and text.startswith("{"):
        return bool(json.loads(text) == value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(text) == float(value)
    return text == _as_variable(value)


def test_settings_table__every_environment_variable_settings_reads_is_documented() -> None:
    assert sorted(set(environment_reads()) - set(documented())) == []


def test_settings_table__every_app_setting_is_documented() -> None:
    names = {f.name.upper() for cls in CONF_CLASSES for f in fields(cls)}
    assert sorted(names - set(documented())) == []


def test_settings_table__every_documented_setting_exists_with_its_documented_default(
    clean_settings: dict[str, Any],
) -> None:
    reads = environment_reads()
    conf_defaults = {k: v for cls in CONF_CLASSES for k, v in defaults_of(cls).items()}
    unknown, wrong = [], []
    for name, cell in documented().items():
        if name in clean_settings:
            value = clean_settings[name]
        elif name in reads and reads[name] is not ...:
            value = reads[name]
        elif name in conf_defaults:  # an app setting settings.py leaves to its default
            value = conf_defaults[name]
        elif name in reads or name in PROCESS_VARIABLES:
            continue
        else:
            unknown.append(name)
            continue
        if name == "VAR_DIR":
            value = "./" + os.path.relpath(value, ROOT)
        elif isinstance(value, str) and name != "VAR_DIR":
            value = value.replace(clean_settings["VAR_DIR"], "VAR_DIR")
        if not _matches(cell, value):
            wrong.append(f"{name}: documented {cell}, is {_as_variable(value)!r}")
    assert (unknown, wrong) == ([], []), "\n".join(wrong)
