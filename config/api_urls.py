"""Everything under /api/: each app's API contributes its own urls module."""

from django.urls import include, path

urlpatterns = [
    path("", include("surveys.api.urls")),
]
