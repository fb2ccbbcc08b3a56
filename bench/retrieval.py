"""Knowledge-base search on SQLite FTS5 and PostgreSQL side by side, ranking quality, and what
grounding adds to a question (docs/performance.md, "Retrieval").

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/interviewsite python bench/retrieval.py \\
        [--owners 1000] [--searches 2000] [--queries 60]

Each engine runs in its own process on a fresh test database (SQLite in a temporary VAR_DIR;
PostgreSQL as `<name>_retrieval_bench`, dropped afterwards), filled with a generated corpus:
`--owners` knowledge bases x 20 passages (bench/_retrieval_corpus.py). It prints:

* search p50/p99: `retrieval_search` (the service the interviewer calls, passages loaded),
  random owners, queries from the labelled set;
* recall@5 on the labelled queries (half in the job's words, half paraphrased): lexical (the
  engine), semantic (the fake LLM's embeddings, exact cosine within the owner, which is what
  pgvector's exact scan returns) and hybrid (reciprocal rank fusion of the two, as search does);
* per question, retrieval on vs off: `question_grounding` plus the offline interviewer's
  grounded choice, against the offline interviewer alone, on 100 positions with job
  descriptions.
Without DATABASE_URL only SQLite runs. With it, and the `pgserver` wheel installed (a dev
dependency), a third run uses PostgreSQL 16 with pgvector from that wheel, in hybrid mode: the
query embedded over HTTP by the fake LLM's /v1/embeddings, semantic ranking by pgvector's scan.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, this file's directory comes first on sys.path, and this file is called
# "retrieval" like the app it measures: the project root must come first instead.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(1000 * _pct(values, 0.5), 3), "p99": round(1000 * _pct(values, 0.99), 3)}


def child(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")
    import django

    django.setup()
    from django.db import connection

    if connection.vendor == "postgresql":
        connection.settings_dict["TEST"]["NAME"] = (
            connection.settings_dict["NAME"] + "_retrieval_bench"
        )
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        return _measure(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def _build(owners: int) -> dict[tuple[int, str], int]:
    from bench._retrieval_corpus import owner_skills, passage_text
    from retrieval.models import Document, KnowledgeBase, Passage

    bases = KnowledgeBase.objects.bulk_create(
        KnowledgeBase(key=f"position:{n}", title=f"Position {n}") for n in range(owners)
    )
    documents, spans = [], []
    for n, base in enumerate(bases):
        texts = [(skill, passage_text(n, skill)) for skill in owner_skills(n)]
        body, at, rows = "", 0, []
        for skill, text in texts:
            rows.append((skill, at, at + len(text), text))
            body += text + "\n\n"
            at = len(body)
        documents.append(
            Document(knowledge_base=base, name="Job description", kind="markdown", text=body,
                     size_bytes=len(body), sha256="bench")
        )  # fmt: skip
        spans.append(rows)
    documents = Document.objects.bulk_create(documents)
    passages = [
        Passage(knowledge_base_id=d.knowledge_base_id, document=d, ordinal=i, start=s, end=e,
                text=t)
        for d, rows in zip(documents, spans, strict=True)
        for i, (_, s, e, t) in enumerate(rows)
    ]  # fmt: skip
    created = Passage.objects.bulk_create(passages, batch_size=2000)
    skills = [skill for rows in spans for (skill, _, _, _) in rows]
    owners_of = [n for n, rows in enumerate(spans) for _ in rows]
    return {(o, s): p.pk for o, s, p in zip(owners_of, skills, created, strict=True)}


def _measure(args: argparse.Namespace) -> dict[str, Any]:
    import random

    from bench._retrieval_corpus import labelled_queries
    from interviews.fake_llm.embeddings import fake_vector
    from retrieval.lexical import engine_name, lexical_search
    from retrieval.models import Passage
    from retrieval.services.search import fuse, retrieval_search, search_mode
    from retrieval.vectors import nearest, vectors_store

    hybrid_mode = search_mode() == "hybrid"
    started = time.perf_counter()
    ids = _build(args.owners)
    if hybrid_mode:
        # The vectors the endpoint would return (the fake's), computed here rather than
        # through 300 HTTP calls: the build is not what is measured.
        rows = list(Passage.objects.values_list("id", "text"))
        for first in range(0, len(rows), 1000):
            vectors_store([(pid, fake_vector(text)) for pid, text in rows[first : first + 1000]])
    build_seconds = time.perf_counter() - started
    queries = labelled_queries(args.owners, args.queries)
    rng = random.Random(5)
    for _ in range(200):  # warm caches and connections
        retrieval_search(key=f"position:{rng.randrange(args.owners)}", query="kafka", k=5)
    times = []
    for _ in range(args.searches):
        query = rng.choice(queries)
        owner = rng.randrange(args.owners)
        t0 = time.perf_counter()
        retrieval_search(key=f"position:{owner}", query=query.text, k=5)
        times.append(time.perf_counter() - t0)

    hits: dict[str, dict[str, int]] = {
        m: {"close": 0, "paraphrase": 0} for m in ("lexical", "semantic", "hybrid")
    }
    for query in queries:
        target = ids[(query.owner, query.skill)]
        kb_id = Passage.objects.get(pk=target).knowledge_base_id
        lexical = [
            pid for pid, _ in lexical_search(knowledge_base_id=kb_id, query=query.text, limit=20)
        ]
        qv = fake_vector(query.text)
        if hybrid_mode:  # pgvector's own scan
            semantic = [pid for pid, _ in nearest(knowledge_base_id=kb_id, vector=qv, limit=20)]
        else:  # the exact cosine that scan computes
            rows = Passage.objects.filter(knowledge_base_id=kb_id).values_list("id", "text")
            semantic = [
                pid for _, pid in sorted(
                    ((-sum(a * b for a, b in zip(qv, fake_vector(text), strict=True)), pid)
                     for pid, text in rows)
                )
            ][:20]  # fmt: skip
        hybrid = [pid for pid, _ in fuse([lexical, semantic])]
        for name, ranking in (("lexical", lexical), ("semantic", semantic), ("hybrid", hybrid)):
            hits[name][query.kind] += target in ranking[:5]
    per_kind = {kind: sum(1 for q in queries if q.kind == kind) for kind in ("close", "paraphrase")}
    recall = {
        name: {
            "all": round(sum(counts.values()) / len(queries), 3),
            **{kind: round(counts[kind] / per_kind[kind], 3) for kind in per_kind},
        }
        for name, counts in hits.items()
    }
    return {
        "engine": engine_name() + ("+pgvector" if hybrid_mode else ""),
        "passages": Passage.objects.count(),
        "build_seconds": round(build_seconds, 1),
        "search_ms": _ms(times),
        "recall_at_5": recall,
        "queries": len(queries),
        "question": _question_overhead(),
    }


def _question_overhead() -> dict[str, Any]:
    from dataclasses import replace

    from bench._retrieval_corpus import SKILLS
    from interviews.llm.grounding import grounded_context, question_grounding
    from interviews.llm.offline import OfflineInterviewer
    from interviews.models import Interview
    from interviews.services.interviews import interview_create
    from interviews.services.planner import question_context
    from interviews.services.positions import position_create

    skills = sorted(SKILLS)
    interviews = []
    for n in range(100):
        picked = [skills[(n + i) % len(skills)] for i in range(6)]
        description = f"Engineer {n}\n\nRequirements:\n" + "\n".join(
            f"- {SKILLS[s][0][0]}" for s in picked
        )
        position = position_create(
            title=f"Engineer {n}", topics=["python"], difficulty="medium", question_count=5,
            description=description,
        )  # fmt: skip
        created = interview_create(candidate_name=f"C{n}", position=position)
        interviews.append(Interview.objects.get(pk=created.interview.pk))
    offline = OfflineInterviewer()
    on, off = [], []
    for round_ in range(5):
        for interview in interviews:
            ctx = replace(question_context(interview, 1 + round_ % 4, None), index=1 + round_ % 4)
            t0 = time.perf_counter()
            offline.generate_question(ctx)
            off.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            grounding = question_grounding(interview=interview)
            offline.generate_question(grounded_context(ctx, grounding))
            on.append(time.perf_counter() - t0)
    added = sorted(a - b for a, b in zip(on, off, strict=True))
    return {"off_ms": _ms(off), "on_ms": _ms(on), "added_ms": _ms(added)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=1000)
    parser.add_argument("--searches", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    runs = [_run_child(args, "sqlite", {"DATABASE_URL": ""})]
    if os.environ.get("DATABASE_URL"):
        runs.append(_run_child(args, "postgres", {"DATABASE_URL": os.environ["DATABASE_URL"]}))
        if importlib.util.find_spec("pgserver") is not None:
            runs.append(_pgvector_run(args))
    _report(runs, args)


def _pgvector_run(args: argparse.Namespace) -> dict[str, Any]:
    """PostgreSQL 16 with pgvector (the pgserver wheel, as its tests use), hybrid search with
    the query embedded by the fake LLM's /v1/embeddings over HTTP, as production does."""
    from interviews.fake_llm.server import run_fake_llm_in_thread
    from tests.retrieval.pgvector_server import pgvector_postgres

    with pgvector_postgres() as url, run_fake_llm_in_thread(port=0) as fake:
        return _run_child(
            args,
            "pgvector",
            {"DATABASE_URL": url, "EMBEDDINGS_BASE_URL": f"{fake.base_url}/v1",
             "EMBEDDINGS_API_KEY": "bench", "EMBEDDINGS_MODEL": "fake-embedding"},
        )  # fmt: skip


def _run_child(args: argparse.Namespace, name: str, overrides: dict[str, str]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as var:
        env = {**os.environ, "REDIS_URL": "", "VAR_DIR": var, "LOG_LEVEL": "WARNING",
               **overrides}  # fmt: skip
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        out = subprocess.run(
            [sys.executable, __file__, "--child", "--owners", str(args.owners),
             "--searches", str(args.searches), "--queries", str(args.queries)],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        if out.returncode != 0:
            sys.exit(f"the {name} run failed:\n{out.stderr[-4000:]}")
        result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
        return result


def _report(runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(f"corpus: {args.owners} owners x 20 passages; {args.searches} searches; "
          f"{runs[0]['queries']} labelled queries (half close, half paraphrased)")  # fmt: skip
    print(f"{'':34}" + "".join(f"{r['engine']:>22}" for r in runs))
    rows = [
        ("passages", lambda r: r["passages"]),
        ("search p50 ms", lambda r: r["search_ms"]["p50"]),
        ("search p99 ms", lambda r: r["search_ms"]["p99"]),
    ]
    for method in ("lexical", "semantic", "hybrid"):
        for kind in ("all", "close", "paraphrase"):
            rows.append(
                (f"recall@5 {method} ({kind})", lambda r, m=method, k=kind: r["recall_at_5"][m][k])
            )
    for key in ("off_ms", "on_ms", "added_ms"):
        for q in ("p50", "p99"):
            label = {"off_ms": "question, retrieval off", "on_ms": "question, retrieval on",
                     "added_ms": "added by retrieval"}[key]  # fmt: skip
            rows.append((f"{label} {q} ms", lambda r, k=key, q=q: r["question"][k][q]))
    for label, get in rows:
        print(f"{label:34}" + "".join(f"{get(r)!s:>22}" for r in runs))


if __name__ == "__main__":
    main()
