"""When a returned value counts as the expected one: the single rule every engine uses."""

import math
from typing import Any

FLOAT_TOLERANCE = 1e-9  # relative and absolute; floats that print the same compare equal


def values_equal(actual: Any, expected: Any) -> bool:
    """JSON values, compared structurally. Floats within FLOAT_TOLERANCE of each other are
    equal; a bool never equals a number (True is not 1 to a reviewer); lists compare in order,
    objects by key."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        if isinstance(expected, float) or isinstance(actual, float):
            if math.isnan(expected) and math.isnan(actual):
                return True
            return math.isclose(actual, expected, rel_tol=FLOAT_TOLERANCE, abs_tol=FLOAT_TOLERANCE)
        return bool(actual == expected)
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(
            values_equal(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(expected, dict) and isinstance(actual, dict):
        return actual.keys() == expected.keys() and all(
            values_equal(actual[k], expected[k]) for k in expected
        )
    return type(actual) is type(expected) and bool(actual == expected)


def short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
