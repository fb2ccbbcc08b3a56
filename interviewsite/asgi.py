"""ASGI entry point: HTTP goes to Django, WebSockets to the Channels router."""

import os

from django.conf import settings

from interviewsite.runtime import prepare_process

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "interviewsite.settings")
prepare_process()  # before Django loads the apps (and with them prometheus_client)

from interviewsite.http_handler import get_asgi_application  # noqa: E402

# Django's ASGI handler, with a request for a sync view run in one hop to a thread.
django_asgi_app = get_asgi_application()
if settings.SERVE_STATIC:
    # No proxy in front of the embedded default, so Django serves /static/ itself; behind a
    # proxy or CDN set SERVE_STATIC=false and serve `collectstatic` output there.
    from monitoring.asgi import StaticFiles

    django_asgi_app = StaticFiles(django_asgi_app)

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from interviews.routing import websocket_urlpatterns  # noqa: E402
from monitoring.asgi import BodySizeLimit, RequestId, lifespan  # noqa: E402

# RequestId first, so every log line of a request or socket carries its id.
application = RequestId(
    ProtocolTypeRouter(
        {
            # Django reads a whole body before its middleware runs: the size limit acts first.
            "http": BodySizeLimit(django_asgi_app),
            "websocket": AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns)),
            "lifespan": lifespan,  # shutdown: drop this process's live Prometheus gauges
        }
    )
)
