# SQL test harness (SQLite), run like the Python one after the limits are set. JOB: code (one
# SQL statement, the candidate's query), args (per test: [setup script]), output_bytes, and
# optionally fd and prefix. Each test builds a fresh in-memory database from its setup script,
# runs the query and writes one JSON line: the rows it returned (a list of lists), or the error.
# The caller compares the rows outside the sandbox.
import json
import os
import sqlite3
import time

JOB = globals()["JOB"]  # given by the launcher (or Piston's prelude)
FD = JOB.get("fd", 3)
PREFIX = JOB.get("prefix", "")
ERROR_CAP = 4000
VALUE_CAP = JOB["value_cap"]


def emit(obj):
    data = ("\n" + PREFIX + json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(FD, data) :]


def rows_of(setup, query):
    connection = sqlite3.connect(":memory:")
    try:
        connection.executescript(setup)
        rows = [list(row) for row in connection.execute(query).fetchall()]
    finally:
        connection.close()
    for row in rows:
        for value in row:
            if isinstance(value, bytes):
                raise TypeError("the query returned a BLOB, which is not JSON data")
    size = len(json.dumps(rows))
    if size > VALUE_CAP:
        raise ValueError(f"the query returned {size} characters of JSON; at most {VALUE_CAP}")
    return rows


for index, args in enumerate(JOB["args"]):
    started = time.perf_counter()
    value, error, limit = None, "", None
    try:
        value = rows_of(args[0] if args else "", JOB["code"])
    except MemoryError:
        error, limit = "MemoryError", "memory"
    except (sqlite3.Error, TypeError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:ERROR_CAP]
    emit({"kind": "test", "index": index, "ok": not error, "value": value, "error": error,
          "limit": limit, "duration": time.perf_counter() - started, "output": ""})  # fmt: skip
