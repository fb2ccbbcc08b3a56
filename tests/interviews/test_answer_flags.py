"""The answer flags' form checks on answers beyond the corpus: gaming in other shapes is
flagged with its reason, and genuine answers in awkward shapes (code, numbered steps, terse
notes, formulaic sentences, a restated question) are not. Each flag caps at 2 or lower."""

import pytest

from interviews.llm.base import AnsweredQuestion
from interviews.llm.offline_bank import load_bank
from interviews.services.answer_flags import FLAG_CAPS, GAMING_FLAGS, answer_flags

GAMED = [
    (
        "python-easy-01",
        "I know about mutable. I know about immutable. I know about hashable. I know about "
        "namedtuple. I know about unpacking. I know about memory.",
        "repetition",
    ),
    ("python-easy-01", "Lists are mutable and tuples are immutable." + " " * 3000, "padding"),
    (
        "sql-medium-01",
        "explain analyze index seq scan nested loop vacuum statistics pg_stat_statements slow "
        "query log rewrite sargable",
        "keyword_stuffing",
    ),
    (
        "sql-medium-01",
        "How would you investigate and fix a slow query in PostgreSQL or MySQL? That is a great "
        "question. How would you investigate and fix a slow query.",
        "question_echo",
    ),
    ("python-medium-01", "GIL GIL GIL GIL GIL threads threads multiprocessing", "padding"),
    ("python-medium-01", "The GIL is a lock. " * 30, "repetition"),
    ("python-medium-01", "jkfdsjkfds fdsjkfdsjk dsjkfdsjkf kdsjfkdsjf", "gibberish"),
    (
        "python-medium-01",
        "Python threading GIL multiprocessing asyncio numpy cython bytecode mutex IO-bound "
        "CPU-bound PEP 703 free-threaded subinterpreters",
        "keyword_stuffing",
    ),
]
GENUINE = [
    (
        "sql-easy-01",
        "```sql\nSELECT c.name, o.id\nFROM customers c\nLEFT JOIN orders o ON o.customer_id = "
        "c.id;\n```\nThis keeps customers without orders, with NULL ids.",
    ),
    (
        "sql-easy-01",
        "SELECT c.name, o.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id;\n"
        "-- customers without orders get NULL in o.id",
    ),
    (
        "system_design-easy-01",
        "Steps:\n1. put nginx in front\n2. round robin by default\n3. health checks every 5s\n"
        "4. remove bad nodes\n5. TLS termination at the LB",
    ),
    (
        "python-medium-01",
        "I would use threads for IO. I would use processes for CPU. I would use numpy for math. "
        "I would use asyncio for sockets. I would profile first.",
    ),
    (
        "python-medium-01",
        "GIL = global interpreter lock. One thread at time. IO -> threads ok. CPU -> "
        "multiprocessing, numpy, cython.",
    ),
    (
        "python-easy-01",
        "The difference between a list and a tuple in Python is that list is mutable and tuple "
        "is not.",
    ),
    (
        "python-easy-01",
        "tuple vs list: mutable vs immutable; hashable (dict key) vs not; fixed record vs "
        "growing collection; smaller/faster",
    ),
]


def _flags(qid: str, text: str) -> dict[str, str]:
    entry = load_bank().by_id[qid]
    question = AnsweredQuestion(1, entry.text, (), text)
    return {
        f.code: f.reason
        for f in answer_flags(question=question, answers=(text,), topic=entry.topic)
    }


@pytest.mark.parametrize(("qid", "text", "flag"), GAMED)
def test_gaming_in_other_shapes__is_flagged_with_a_reason(qid: str, text: str, flag: str) -> None:
    flags = _flags(qid, text)
    assert flag in flags
    assert flags[flag]
    assert FLAG_CAPS[flag] <= 2
    assert flag in GAMING_FLAGS


@pytest.mark.parametrize(("qid", "text"), GENUINE)
def test_genuine_answers_in_awkward_shapes__are_not_flagged(qid: str, text: str) -> None:
    assert _flags(qid, text) == {}
