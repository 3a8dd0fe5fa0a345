from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

import core.health
import followups.views

admin.site.site_header = "Tilfreds"
admin.site.site_title = "Tilfreds"
admin.site.index_title = "Customers, tiers and follow-up"

urlpatterns = [
    # Load balancers and compose probe it; no login, no versions (core.health).
    path("health/", core.health.health, name="health"),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/numbers/", followups.views.satisfaction_numbers, name="satisfaction-numbers"),
    path("admin/", admin.site.urls),
    path("s/", include("surveys.urls")),
    path("api/", include("config.api_urls")),
]
