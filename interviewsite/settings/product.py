"""The interviews: LLM providers and evaluations, invites and email, sockets and requests, the
candidate's journey."""

from interviewsite.settings.base import env

# --- LLM ------------------------------------------------------------------------------------
LLM_PROVIDERS = env.list("LLM_PROVIDERS", default=["offline"])
OPENAI_BASE_URL = env.str("OPENAI_BASE_URL", default="https://api.openai.com/v1")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
OPENAI_MODEL = env.str("OPENAI_MODEL", default="gpt-4o-mini")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="https://api.anthropic.com")
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_MODEL = env.str("ANTHROPIC_MODEL", default="claude-sonnet-4-5")
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=15.0)
# HTTP tries per provider and step (the first included); evaluations count their own attempts.
MAX_RETRY_ATTEMPTS = env.int("MAX_RETRY_ATTEMPTS", default=3)
RETRY_BASE_DELAY = env.float("RETRY_BASE_DELAY", default=1.0)
RETRY_MAX_DELAY = env.float("RETRY_MAX_DELAY", default=10.0)
# Evaluations run in Celery, where waiting out a provider outage is cheap: longer delays.
EVALUATION_RETRY_BASE_SECONDS = env.int("EVALUATION_RETRY_BASE_SECONDS", default=10)
EVALUATION_RETRY_MAX_SECONDS = env.int("EVALUATION_RETRY_MAX_SECONDS", default=300)
# Runs of `evaluate_interview` in all before the evaluation is marked incomplete.
EVALUATION_MAX_ATTEMPTS = env.int("EVALUATION_MAX_ATTEMPTS", default=3)
# While every provider's breaker is open an evaluation waits (no attempt spent) this many times.
EVALUATION_BREAKER_WAITS = env.int("EVALUATION_BREAKER_WAITS", default=12)

# --- Interviews -----------------------------------------------------------------------------
INVITE_TTL_HOURS = env.int("INVITE_TTL_HOURS", default=168)
INVITE_REMINDER_HOURS = env.int("INVITE_REMINDER_HOURS", default=24)
INVITE_EMAIL_MAX_RETRIES = env.int("INVITE_EMAIL_MAX_RETRIES", default=5)
INVITE_EMAIL_RETRY_BASE_SECONDS = env.int("INVITE_EMAIL_RETRY_BASE_SECONDS", default=30)
INVITE_CSV_MAX_BYTES = env.int("INVITE_CSV_MAX_BYTES", default=262_144)
INVITE_CSV_MAX_ROWS = env.int("INVITE_CSV_MAX_ROWS", default=500)

# Email: printed to the worker's log (console backend) unless an SMTP host is configured.
EMAIL_HOST = env.str("EMAIL_HOST", default="")
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default=(
        "django.core.mail.backends.smtp.EmailBackend"
        if EMAIL_HOST
        else "django.core.mail.backends.console.EmailBackend"
    ),
)
EMAIL_PORT = env.int("EMAIL_PORT", default=587)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=True)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="interviews@localhost")
MAX_ANSWER_CHARS = env.int("MAX_ANSWER_CHARS", default=8000)
WS_PING_INTERVAL = env.int("WS_PING_INTERVAL", default=20)
WS_IDLE_TIMEOUT = env.int("WS_IDLE_TIMEOUT", default=60)
WS_SEND_TIMEOUT = env.int("WS_SEND_TIMEOUT", default=5)
WS_MAX_FRAME_BYTES = env.int("WS_MAX_FRAME_BYTES", default=65536)
WS_RATE_LIMIT_MESSAGES = env.int("WS_RATE_LIMIT_MESSAGES", default=30)
WS_RATE_LIMIT_WINDOW_SECONDS = env.float("WS_RATE_LIMIT_WINDOW_SECONDS", default=10.0)
CODE_RUNS_PER_WINDOW = env.int("CODE_RUNS_PER_WINDOW", default=10)
CODE_RUNS_WINDOW_SECONDS = env.float("CODE_RUNS_WINDOW_SECONDS", default=60.0)
WS_REPLAY_CAP = env.int("WS_REPLAY_CAP", default=200)
MAX_REQUEST_SIZE_BYTES = env.int("MAX_REQUEST_SIZE_BYTES", default=1_048_576)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_SIZE_BYTES
SLOW_REQUEST_THRESHOLD_SECONDS = env.float("SLOW_REQUEST_THRESHOLD_SECONDS", default=1.0)
VERY_SLOW_REQUEST_THRESHOLD_SECONDS = env.float("VERY_SLOW_REQUEST_THRESHOLD_SECONDS", default=5.0)
STUCK_EPISODE_THRESHOLD_HOURS = env.float("STUCK_EPISODE_THRESHOLD_HOURS", default=2.0)
# A pending evaluation nobody claimed for this long has no task coming: the sweep sends it again.
EVALUATION_PENDING_RESEND_MINUTES = env.int("EVALUATION_PENDING_RESEND_MINUTES", default=30)
INTERVIEW_ABANDON_AFTER_MINUTES = env.int("INTERVIEW_ABANDON_AFTER_MINUTES", default=60)

# --- The candidate's journey (docs/architecture.md, "The candidate's journey") -----------------
# Off only where notice and consent are collected before the invite link is sent.
INTERVIEW_CONSENT_REQUIRED = env.bool("INTERVIEW_CONSENT_REQUIRED", default=True)
CANDIDATE_NOTICE_TEXT = env.str(
    "CANDIDATE_NOTICE_TEXT",
    default=(
        "This interview is conducted by an AI interviewer: it asks the questions and follow-ups, "
        "and an AI evaluates your written answers against the role's criteria. The evaluation "
        "is advice for the hiring team; a person reviews your answers and makes the decision. "
        "Your answers and their evaluation are kept with your application."
    ),
)
# Stored with each consent: change it whenever the notice text changes.
CANDIDATE_NOTICE_VERSION = env.str("CANDIDATE_NOTICE_VERSION", default="1")
CANDIDATE_CONTACT = env.str("CANDIDATE_CONTACT", default="the recruiter who sent you this link")
CANDIDATE_ACCOMMODATION_CONTACT = env.str(
    "CANDIDATE_ACCOMMODATION_CONTACT", default="the recruiter who sent you this link"
)
CANDIDATE_NEXT_STEPS = env.str(
    "CANDIDATE_NEXT_STEPS",
    default=(
        "A person on the hiring team reviews your answers and will contact you about the next "
        "step, usually within a few working days."
    ),
)
# An answer arriving this long after a timed interview's limit is still kept (it was in flight).
INTERVIEW_TIME_GRACE_SECONDS = env.int("INTERVIEW_TIME_GRACE_SECONDS", default=10)
