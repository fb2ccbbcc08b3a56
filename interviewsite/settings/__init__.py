"""Settings, read once from the environment, one module per subdomain.

With no environment at all the project runs embedded (SQLite in var/, in-memory channel layer,
a file-based Celery broker, local-memory cache); setting DATABASE_URL / REDIS_URL switches each
piece to its production engine. Every variable is documented in docs/settings.md.
"""

from interviewsite.settings.base import *  # noqa: F403
from interviewsite.settings.data import *  # noqa: F403
from interviewsite.settings.engines import *  # noqa: F403
from interviewsite.settings.observability import *  # noqa: F403
from interviewsite.settings.product import *  # noqa: F403
from interviewsite.settings.resilience import *  # noqa: F403
from interviewsite.settings.security import *  # noqa: F403
from interviewsite.settings.workers import *  # noqa: F403
