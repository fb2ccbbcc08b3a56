"""Coding questions: what one is (spec.py), the offline bank of them (bank.py), which questions
of a plan are coding ones (plan.py)."""
