"""Which questions of a plan are coding questions: one rule, read by the planner and the page.

The coding questions come last: the discussion questions warm the candidate up, and a coding
question, which takes longest, never leaves discussion questions unasked when time runs out.
"""


def coding_slot(*, index: int, question_count: int, coding_count: int) -> bool:
    """Whether question `index` (1-based) of the plan is a coding question."""
    return 0 < index <= question_count and index > question_count - coding_count
