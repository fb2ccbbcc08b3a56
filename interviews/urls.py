from django.urls import path

from interviews import views

app_name = "interviews"
# Everything under it carries an invite token in its URL (interviews.middleware).
INVITE_PREFIX = "i/"

urlpatterns = [
    path(f"{INVITE_PREFIX}<str:token>/", views.candidate_page, name="candidate_page"),
    path(f"{INVITE_PREFIX}<str:token>/start/", views.candidate_start, name="candidate_start"),
]
