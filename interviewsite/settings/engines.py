"""The code sandbox and the knowledge bases' retrieval."""

from interviewsite.settings.base import VAR_DIR, env

# --- Code sandbox (sandbox app; docs/sandbox.md, docs/settings.md) --------------------------
# Read once per process into sandbox.conf.SandboxSettings, validated at start-up.
SANDBOX_ENGINE = env.str("SANDBOX_ENGINE", default="sandbox.engines.local.LocalEngine")
SANDBOX_CPU_SECONDS = env.float("SANDBOX_CPU_SECONDS", default=5.0)
SANDBOX_WALL_SECONDS = env.float("SANDBOX_WALL_SECONDS", default=10.0)
SANDBOX_MEMORY_MB = env.int("SANDBOX_MEMORY_MB", default=256)
SANDBOX_PROCESSES = env.int("SANDBOX_PROCESSES", default=32)
SANDBOX_FILE_MB = env.int("SANDBOX_FILE_MB", default=16)
SANDBOX_OUTPUT_KB = env.int("SANDBOX_OUTPUT_KB", default=64)
SANDBOX_MAX_CODE_BYTES = env.int("SANDBOX_MAX_CODE_BYTES", default=65536)
SANDBOX_MAX_TESTS = env.int("SANDBOX_MAX_TESTS", default=50)
SANDBOX_MAX_TESTS_BYTES = env.int("SANDBOX_MAX_TESTS_BYTES", default=262144)
SANDBOX_PYTHON = env.str("SANDBOX_PYTHON", default="")  # "": the system's python3
SANDBOX_NODE = env.str("SANDBOX_NODE", default=None)  # unset: node on PATH; "": no JavaScript
SANDBOX_ISOLATION = env.str("SANDBOX_ISOLATION", default="auto")
SANDBOX_UID_BASE = env.int("SANDBOX_UID_BASE", default=200000)
SANDBOX_UID_COUNT = env.int("SANDBOX_UID_COUNT", default=256)
SANDBOX_HIDE_PATHS = env.list("SANDBOX_HIDE_PATHS", default=[])
SANDBOX_STATE_DIR = env.str("SANDBOX_STATE_DIR", default=str(VAR_DIR / "sandbox"))
SANDBOX_PISTON_URL = env.str("SANDBOX_PISTON_URL", default="")
# language=version pairs Piston runs each language with.
SANDBOX_PISTON_RUNTIMES = env.dict(
    "SANDBOX_PISTON_RUNTIMES", default={"python": "3.10.0", "javascript": "18.15.0"}
)
SANDBOX_PISTON_TIMEOUT_SECONDS = env.float("SANDBOX_PISTON_TIMEOUT_SECONDS", default=5.0)
# The sandbox task's waits while the engine is unavailable (exponential, full jitter, capped;
# at least what the breaker asks). The cap stays below EVALUATION_RETRY_MAX_SECONDS, which the
# broker's visibility timeout is checked against.
SANDBOX_RUN_RETRIES = env.int("SANDBOX_RUN_RETRIES", default=5)
SANDBOX_RUN_RETRY_BASE_SECONDS = env.int("SANDBOX_RUN_RETRY_BASE_SECONDS", default=5)
SANDBOX_RUN_RETRY_MAX_SECONDS = env.int("SANDBOX_RUN_RETRY_MAX_SECONDS", default=120)

# --- Knowledge bases (retrieval app; docs/retrieval.md, docs/architecture.md "Knowledge bases") --
# Read once per process into retrieval.conf.RetrievalSettings, validated at start-up.
RETRIEVAL_MAX_DOCUMENT_BYTES = env.int("RETRIEVAL_MAX_DOCUMENT_BYTES", default=5 * 1024 * 1024)
RETRIEVAL_MAX_TEXT_CHARS = env.int("RETRIEVAL_MAX_TEXT_CHARS", default=500_000)
RETRIEVAL_MAX_PDF_PAGES = env.int("RETRIEVAL_MAX_PDF_PAGES", default=200)
RETRIEVAL_MAX_DOCUMENTS = env.int("RETRIEVAL_MAX_DOCUMENTS", default=50)  # per knowledge base
RETRIEVAL_PASSAGE_CHARS = env.int("RETRIEVAL_PASSAGE_CHARS", default=800)
RETRIEVAL_TOP_K = env.int("RETRIEVAL_TOP_K", default=4)
# An OpenAI-compatible /v1/embeddings endpoint; empty: lexical search only.
EMBEDDINGS_BASE_URL = env.str("EMBEDDINGS_BASE_URL", default="")
EMBEDDINGS_API_KEY = env.str("EMBEDDINGS_API_KEY", default="")
EMBEDDINGS_MODEL = env.str("EMBEDDINGS_MODEL", default="text-embedding-3-small")
EMBEDDINGS_TIMEOUT_SECONDS = env.float("EMBEDDINGS_TIMEOUT_SECONDS", default=1.0)
