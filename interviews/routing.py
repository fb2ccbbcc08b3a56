from django.urls import re_path

from interviews.consumers import InterviewConsumer

websocket_urlpatterns = [
    re_path(r"^ws/interviews/(?P<room_id>[0-9a-f]{1,32})/$", InterviewConsumer.as_asgi()),
]
