from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

import core.health
import core.i18n
import core.security
import followups.views

admin.site.site_header = "Tilfreds"
admin.site.site_title = "Tilfreds"
admin.site.index_title = _("Customers, tiers and follow-up")
# The stock admin site keeps every app's registrations; only its login asks for the authenticator
# code too (core.security). TILFREDS_REQUIRE_2FA is enforced by core.middleware, not by the site.
admin.site.login_form = core.security.AdminLoginForm
admin.site.login_template = "core/admin_login.html"

urlpatterns = [
    # Load balancers and compose probe it; no login, no versions (core.health).
    path("health/", core.health.health, name="health"),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("admin/two-factor/", core.security.two_factor, name="two-factor"),
    # The language switch in the admin header (templates/admin/base_site.html); the login page too.
    path("admin/language/", core.i18n.switch_language, name="switch-language"),
    path("admin/numbers/", followups.views.satisfaction_numbers, name="satisfaction-numbers"),
    path("admin/", admin.site.urls),
    path("s/", include("surveys.urls")),
    path("api/", include("config.api_urls")),
]
