from django.urls import re_path

from interviews.consumers import InterviewConsumer, UnknownPathConsumer

websocket_urlpatterns = [
    re_path(r"^ws/interviews/(?P<room_id>[0-9a-f]{1,32})/$", InterviewConsumer.as_asgi()),
    # Last: any other path gets close 4404 instead of a routing exception (an HTTP 500).
    re_path(r"", UnknownPathConsumer.as_asgi()),
]
