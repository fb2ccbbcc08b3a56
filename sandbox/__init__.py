"""Runs untrusted code against tests (docs/sandbox.md). Knows nothing of interviews.

from sandbox import get_engine, Limits, TestCase, TestSuite
result = get_engine().run(code, "python", TestSuite("add", (TestCase("t1", (1, 2), 3),)))
"""
