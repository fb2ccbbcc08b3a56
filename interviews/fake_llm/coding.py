"""The fake LLM's coding questions (task "generate_coding_question"): a small exercise with its
reference solution and tests, in the language asked for. With `broken_code` on (POST /_control)
the reference solution fails its own hidden tests, as a careless model's would, so the server's
check in the sandbox can be seen to throw it away."""

from collections.abc import Mapping
from typing import Any

_SOLUTIONS = {
    "python": (
        "def clamp_sum(values, limit):\n    return min(sum(values), limit)\n",
        # Right on the examples, wrong past the limit: a model that never ran its code.
        "def clamp_sum(values, limit):\n    return sum(values)\n",
        "def clamp_sum(values, limit):\n    # Return the sum of values, at most limit.\n    pass\n",
    ),
    "javascript": (
        "function clamp_sum(values, limit) {\n"
        "  return Math.min(values.reduce((a, b) => a + b, 0), limit);\n}\n",
        "function clamp_sum(values, limit) {\n  return values.reduce((a, b) => a + b, 0);\n}\n",
        "function clamp_sum(values, limit) {\n  // Return the sum of values, at most limit.\n}\n",
    ),
}


def generate_coding_question(prompt: Mapping[str, Any], *, broken: bool = False) -> dict[str, Any]:
    language = prompt.get("programming_language")
    good, bad, starter = _SOLUTIONS.get(str(language), _SOLUTIONS["python"])
    topic = str(prompt.get("topic") or "the job")
    return {
        "title": "Capped total",
        "statement": (
            f"For a {topic} service, write `clamp_sum(values, limit)`: the sum of the list "
            "`values`, but never more than `limit`."
        ),
        "entry_point": "clamp_sum",
        "starter": starter,
        "solution": bad if broken else good,
        "examples": [
            {"name": "under the limit", "args": [[1, 2, 3], 10], "expected": 6},
            {"name": "empty", "args": [[], 5], "expected": 0},
        ],
        "hidden": [
            {"name": "over the limit", "args": [[5, 6, 7], 10], "expected": 10},
            {"name": "exactly the limit", "args": [[4, 6], 10], "expected": 10},
            {"name": "negative values", "args": [[-3, 1], 10], "expected": -2},
        ],
    }
