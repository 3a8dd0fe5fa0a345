from django.apps import AppConfig


class SalesConfig(AppConfig):
    """The read API sales teams use: customer lists, upsell candidates and CSV exports."""

    name = "sales"
    verbose_name = "Sales"
    default_auto_field = "django.db.models.BigAutoField"
