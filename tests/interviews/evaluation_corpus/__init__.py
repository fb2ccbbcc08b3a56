"""A labelled corpus of interview answers: genuine ones at four levels and every gaming strategy.

Shared by tests/interviews/test_evaluation_gaming.py and bench/evaluation_quality.py, split by
what the answers are: `genuine` (labelled strong, adequate, weak, off-topic) and `gaming` (each
carries the strategy it uses).
"""

from tests.interviews.evaluation_corpus.gaming import GAMING, INSTRUCTIONS, STRATEGIES
from tests.interviews.evaluation_corpus.genuine import GENUINE
from tests.interviews.evaluation_corpus.sample import LABELS, Sample

CORPUS: tuple[Sample, ...] = GENUINE + GAMING

__all__ = ["CORPUS", "GAMING", "GENUINE", "INSTRUCTIONS", "LABELS", "STRATEGIES", "Sample"]
