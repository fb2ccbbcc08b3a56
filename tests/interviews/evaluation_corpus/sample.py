"""One answer of the corpus and the labels genuine answers carry."""

from dataclasses import dataclass

from interviews.llm.offline_bank import load_bank

LABELS = {"strong": 4, "adequate": 3, "weak": 2, "off_topic": 1}
# Flags that say what a genuine answer's own label says: right on it, not false.
RIGHT_FLAGS = {"off_topic": {"off_topic", "no_rubric_point"}, "weak": {"no_rubric_point"}}


@dataclass(frozen=True)
class Sample:
    qid: str  # bank question id
    kind: str  # "strong", "adequate", "weak", "off_topic" or a gaming strategy
    text: str

    @property
    def question(self) -> str:
        return load_bank().by_id[self.qid].text

    @property
    def topic(self) -> str:
        return load_bank().by_id[self.qid].topic

    @property
    def gaming(self) -> bool:
        return self.kind not in LABELS

    @property
    def label(self) -> int:
        return LABELS.get(self.kind, 1)

    def false_flags(self, flags: list[str]) -> list[str]:
        """The flags a genuine answer should not carry: all but those its label implies."""
        return [f for f in flags if f not in RIGHT_FLAGS.get(self.kind, set())]
