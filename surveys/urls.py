"""Public survey pages, mounted under /s/ (short, because the links are typed and wrapped in emails)."""

from django.urls import path

from . import views

app_name = "surveys"

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("<str:token>/", views.respond, name="respond"),
    path("<str:token>/thanks/", views.thanks, name="thanks"),
]
