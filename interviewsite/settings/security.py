"""Cookies, HTTPS, the Content-Security-Policy and the admin login lock-out."""

from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

from interviewsite.settings.base import DEBUG, env
from interviewsite.settings.data import DATABASE_URL

# --- Security -------------------------------------------------------------------------------
# docs/architecture.md, "Security". "Production" is DEBUG off with DATABASE_URL set: cookies are
# then HTTPS-only unless turned off explicitly. The SSL redirect and the proxy header stay
# opt-in, because only the operator knows whether TLS ends at a proxy (and the test stacks run plain
# HTTP on 127.0.0.1); `check --deploy` names whatever is left unset.
_PRODUCTION = not DEBUG and bool(DATABASE_URL)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_PRODUCTION)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
# Load balancers and scrapers usually probe the process directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/live/$", r"^health/ready/$", r"^metrics$"]
# The header a TLS-terminating proxy sets (HTTP_X_FORWARDED_PROTO or X-Forwarded-Proto);
# "https" in it means secure. Only if the proxy always overwrites it: clients can send it too.
_PROXY_SSL_HEADER = env.str("SECURE_PROXY_SSL_HEADER", default="").strip()
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _PROXY_SSL_HEADER.upper().replace("-", "_").removeprefix("HTTP_"), "https")
    if _PROXY_SSL_HEADER
    else None
)
# Sent only on HTTPS responses, so harmless on plain-HTTP development and test stacks.
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Failed invite-token attempts per client address per minute before 429 / close 4429; 0 = off.
TOKEN_FAILURES_PER_MINUTE = env.int("TOKEN_FAILURES_PER_MINUTE", default=20)

# --- Content-Security-Policy (django-csp; docs/architecture.md, "Content-Security-Policy") -----
# Scripts only from this site's files (or with the response's nonce: {{ request.csp_nonce }});
# no page has an inline script or handler. Inline style attributes stay allowed (the admin's
# templates use them; they cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],  # fetch and the candidate's WebSocket, same origin only
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Admin login lock-out (django-axes; docs/architecture.md, "Admin login lock-out") ----------
# Axes' backend first: it refuses a locked-out username and address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Wrong passwords for one username from one address before that pair is locked out (429).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
# Hours a lock-out lasts (fractions allowed); 0 = until `manage.py axes_reset…`.
_AXES_COOLOFF_HOURS = env.float("AXES_COOLOFF_HOURS", default=1.0)
AXES_COOLOFF_TIME = _AXES_COOLOFF_HOURS or None
# Per username and address together: a guesser cannot lock a colleague out from elsewhere, and
# one address cannot try many passwords for one account.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The address is REMOTE_ADDR, which uvicorn sets from X-Forwarded-For only for the proxies in
# --forwarded-allow-ips, like the invite-token limit.
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]
# Log the username and address in the clear ("AXES: Locking out {username: ..."): operators
# need them to see who was locked out and to unlock (axes masks both by default).
AXES_SENSITIVE_PARAMETERS: list[str] = []
