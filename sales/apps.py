from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    """The read API sales teams use: customer lists, upsell candidates and CSV exports."""

    name = "sales"
    verbose_name = _("Sales")
    default_auto_field = "django.db.models.BigAutoField"
