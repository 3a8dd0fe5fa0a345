"""Everything under /api/: each app's API contributes its own urls module."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("surveys.api.urls")),
    path("", include("sales.api.urls")),
    # followups/ and metrics/nps/: the follow-up queue and the NPS metrics.
    path("", include("followups.api.urls")),
    # The OpenAPI schema and its Swagger UI (assets from drf_spectacular_sidecar, no CDN).
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
