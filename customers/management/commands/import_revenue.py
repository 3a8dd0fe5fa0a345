from customers.models import ImportKind

from .import_customers import ImportCommand


class Command(ImportCommand):
    help = (
        "Import revenue lines from a CSV or Excel file. `customer` is the customer's external ID, `product` a "
        "SKU (unknown SKUs become new products); a line with a line_id updates that line if it exists."
    )
    kind = ImportKind.REVENUE
