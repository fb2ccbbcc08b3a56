"""One answer of the corpus and the labels genuine answers carry."""

from dataclasses import dataclass

from interviews.llm.offline_bank import load_bank

LABELS = {"strong": 4, "adequate": 3, "weak": 2, "off_topic": 1}


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
