from customers.models import ImportKind

from .import_customers import ImportCommand


class Command(ImportCommand):
    help = (
        "Import interactions (phone, email, chat, form, meeting; Norwegian names too) into the customer "
        "dialog log from a CSV or Excel file. Times without an offset are Oslo time."
    )
    kind = ImportKind.INTERACTIONS
