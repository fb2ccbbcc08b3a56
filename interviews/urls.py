from django.urls import path

from interviews import views

app_name = "interviews"

urlpatterns = [
    path("i/<str:token>/", views.candidate_page, name="candidate_page"),
]
