"""The generated corpus and labelled queries of bench/retrieval.py.

Each owner (a position) has 20 passages, each about one of the SKILLS (distinct within an
owner), written from that skill's sentences with filler around them. Each labelled query names
an owner and a skill that owner has; the relevant passage is that owner's passage about it.
Queries come in two kinds per skill: "close" (the job's own words) and "paraphrase" (how a
person might ask without them), so lexical and semantic ranking can differ.
"""

import random
from dataclasses import dataclass

PASSAGES_PER_OWNER = 20

# skill: (sentences a passage uses, close query, paraphrase query)
SKILLS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "kafka": (
        (
            "Operate Kafka clusters and tune consumer groups.",
            "Rebalance partitions when consumers lag.",
        ),
        "kafka consumer groups",
        "rebalancing consumers of a partitioned event log",
    ),
    "postgres": (
        ("Tune PostgreSQL queries with EXPLAIN ANALYZE.", "Choose indexes for slow queries."),
        "postgresql query tuning",
        "making slow relational database queries faster with indexing",
    ),
    "airflow": (
        ("Write Airflow DAGs that retry failed tasks.", "Schedule batch pipelines with backfills."),
        "airflow dags",
        "scheduled batch pipelines that recover from failed steps",
    ),
    "react": (
        ("Build React components with hooks.", "Keep component state predictable across renders."),
        "react components hooks",
        "frontend component state across renders",
    ),
    "kubernetes": (
        (
            "Deploy services on Kubernetes with Helm charts.",
            "Set resource requests and pod autoscaling.",
        ),
        "kubernetes helm deployments",
        "containerised deployment with autoscaled pods",
    ),
    "terraform": (
        (
            "Manage cloud infrastructure with Terraform modules.",
            "Review plans before applying state changes.",
        ),
        "terraform modules",
        "infrastructure as code reviewed before it is applied",
    ),
    "security": (
        (
            "Threat-model new features and review authentication flows.",
            "Rotate secrets and audit access.",
        ),
        "threat modeling authentication",
        "reviewing login security and rotating credentials",
    ),
    "testing": (
        (
            "Write unit and integration tests with pytest.",
            "Keep flaky tests out of continuous integration.",
        ),
        "pytest integration tests",
        "automated testing that keeps the build reliable",
    ),
    "observability": (
        (
            "Instrument services with Prometheus metrics and tracing.",
            "Write alerts on latency percentiles.",
        ),
        "prometheus metrics alerts",
        "monitoring latency and alerting on percentiles",
    ),
    "mentoring": (
        (
            "Mentor junior engineers through code review.",
            "Run design reviews and pair programming.",
        ),
        "mentor junior engineers",
        "coaching less experienced developers",
    ),
    "rest": (
        ("Design REST endpoints with pagination and versioning.", "Document APIs with OpenAPI."),
        "rest api pagination versioning",
        "designing http interfaces that page through results",
    ),
    "graphql": (
        (
            "Serve GraphQL schemas with resolvers and dataloaders.",
            "Avoid N+1 queries in nested fields.",
        ),
        "graphql resolvers",
        "nested query fields that avoid repeated lookups",
    ),
    "caching": (
        ("Cache hot reads in Redis with expiry.", "Invalidate cached entries on writes."),
        "redis caching invalidation",
        "keeping a fast in-memory store consistent after writes",
    ),
    "concurrency": (
        (
            "Write concurrent code with asyncio and thread pools.",
            "Avoid race conditions with locks.",
        ),
        "asyncio concurrency",
        "parallel work without races between threads",
    ),
    "ml": (
        (
            "Train gradient boosted models and track experiments.",
            "Evaluate models on held-out data.",
        ),
        "model training experiments",
        "machine learning evaluation on unseen data",
    ),
    "mobile": (
        (
            "Ship iOS apps in Swift with offline storage.",
            "Handle push notifications and background refresh.",
        ),
        "swift ios apps",
        "phone applications that work without a network",
    ),
    "accessibility": (
        (
            "Make interfaces accessible with ARIA roles and keyboard navigation.",
            "Test with screen readers.",
        ),
        "accessibility aria keyboard",
        "usable pages for screen reader users",
    ),
    "payments": (
        ("Integrate payment providers with idempotent webhooks.", "Reconcile ledgers nightly."),
        "payment webhooks idempotency",
        "charging customers without double billing",
    ),
    "search": (
        (
            "Build search with Elasticsearch analyzers and relevance tuning.",
            "Measure recall of ranked results.",
        ),
        "elasticsearch relevance",
        "ranking documents so people find them",
    ),
    "networking": (
        ("Debug TCP connections, DNS and TLS handshakes.", "Capture packets with tcpdump."),
        "tcp dns tls debugging",
        "diagnosing connections between hosts",
    ),
    "linux": (
        ("Administer Linux servers with systemd and cgroups.", "Profile processes with perf."),
        "linux systemd administration",
        "running and profiling processes on servers",
    ),
    "incident": (
        ("Lead incident response and write blameless postmortems.", "Run on-call rotations."),
        "incident response postmortems",
        "handling outages and learning from them",
    ),
    "data-modeling": (
        (
            "Model data with normalized schemas and migrations.",
            "Plan zero-downtime schema changes.",
        ),
        "schema migrations normalization",
        "changing tables without downtime",
    ),
    "streaming": (
        (
            "Process event streams with Flink windows and watermarks.",
            "Handle late events exactly once.",
        ),
        "flink stream processing",
        "real-time aggregation of late arriving events",
    ),
    "product": (
        (
            "Work with product managers on roadmaps and user research.",
            "Turn customer interviews into requirements.",
        ),
        "product roadmap user research",
        "learning what customers need before building",
    ),
}
FILLER = (
    "The team works in two-week cycles.",
    "We value clear written communication.",
    "You will collaborate with colleagues across time zones.",
    "Our office offers flexible hours.",
    "Documentation is part of every change.",
    "We review every change before it ships.",
)


@dataclass(frozen=True)
class Query:
    owner: int
    skill: str
    text: str
    kind: str  # close or paraphrase


def owner_skills(owner: int) -> list[str]:
    rng = random.Random(owner)
    return rng.sample(sorted(SKILLS), PASSAGES_PER_OWNER)


def passage_text(owner: int, skill: str) -> str:
    rng = random.Random(f"{owner}:{skill}")
    sentences = list(SKILLS[skill][0])
    sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(FILLER))
    return " ".join(sentences)


def labelled_queries(owners: int, count: int) -> list[Query]:
    rng = random.Random(21)
    out: list[Query] = []
    while len(out) < count:
        owner = rng.randrange(owners)
        skill = rng.choice(owner_skills(owner))
        close, paraphrase = SKILLS[skill][1], SKILLS[skill][2]
        kind = "close" if len(out) % 2 == 0 else "paraphrase"
        out.append(Query(owner, skill, close if kind == "close" else paraphrase, kind))
    return out
