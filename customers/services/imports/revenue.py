"""Revenue lines from the ERP: what each customer bought, for how much, at what variable cost."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import CharField, DecimalField, Model
from django.utils.translation import gettext

from customers.models import Customer, DataImport, ImportKind, Product, RevenueLine

from .engine import INSERT_ROWS, PendingRow, RowImporter, WriteCounts, resolved
from .reading import cell, check_length, model_field, parse_date, parse_decimal, shown


@dataclass
class RevenueRow:
    customer: str
    date: date
    product: str
    quantity: Decimal
    revenue: Decimal
    cost: Decimal
    line_id: str | None
    customer_id: int | None = None


def _decimal_parser(name: str) -> Callable[[str], Decimal]:
    field = model_field(RevenueLine, name, DecimalField)
    return lambda raw: parse_decimal(raw, max_digits=field.max_digits, decimal_places=field.decimal_places)


def _length_parser(model: type[Model], name: str) -> Callable[[str], str]:
    max_length = model_field(model, name, CharField).max_length
    return lambda raw: check_length(raw, max_length)


_QUANTITY = _decimal_parser("quantity")
_REVENUE = _decimal_parser("revenue")
_COST = _decimal_parser("cost")
_CUSTOMER = _length_parser(Customer, "external_id")
_SKU = _length_parser(Product, "sku")
_LINE_ID = _length_parser(RevenueLine, "line_id")
# Written on update by line_id; everything a corrected ERP line can change.
_UPDATE_FIELDS = ["customer", "product", "date", "quantity", "revenue", "cost", "data_import"]


class RevenueImporter(RowImporter[RevenueRow]):
    kind = ImportKind.REVENUE
    required = ("customer", "date", "product", "quantity", "revenue", "cost")
    optional = ("line_id",)

    def parse(self, values: Mapping[str, str], errors: list[tuple[str, str]]) -> RevenueRow | None:
        row = RevenueRow(
            customer=cell(values, "customer", errors, _CUSTOMER, required=True),
            date=cell(values, "date", errors, parse_date, required=True),
            product=cell(values, "product", errors, _SKU, required=True),
            quantity=cell(values, "quantity", errors, _QUANTITY, required=True),
            revenue=cell(values, "revenue", errors, _REVENUE, required=True),
            cost=cell(values, "cost", errors, _COST, required=True),
            line_id=cell(values, "line_id", errors, _LINE_ID),
        )
        if not errors:
            _check_signs(row, errors)
        return None if errors else row

    def resolve(self, rows: Sequence[PendingRow[RevenueRow]]) -> None:
        ids = customer_ids({p.row.customer for p in rows})
        for pending in rows:
            pending.row.customer_id = ids.get(pending.row.customer)
            if pending.row.customer_id is None:
                pending.errors.append(
                    (
                        "customer",
                        gettext("no customer has the external ID %(value)s")
                        % {"value": shown(pending.row.customer)},
                    )
                )

    def write(self, rows: Sequence[RevenueRow], data_import: DataImport) -> WriteCounts:
        product_ids, products_created = _product_ids({row.product for row in rows})
        lines = [
            RevenueLine(
                customer_id=resolved(row.customer_id),
                product_id=product_ids[row.product],
                date=row.date,
                quantity=row.quantity,
                revenue=row.revenue,
                cost=row.cost,
                line_id=row.line_id,
                data_import=data_import,
            )
            for row in rows
        ]
        # The last row wins when a file lists a line_id twice: one INSERT ... ON CONFLICT may not
        # update the same row twice, and the later line is the ERP's correction.
        keyed = {line.line_id: line for line in lines if line.line_id}
        unkeyed = [line for line in lines if not line.line_id]
        existing = set(RevenueLine.objects.filter(line_id__in=keyed).values_list("line_id", flat=True))
        if keyed:
            RevenueLine.objects.bulk_create(
                list(keyed.values()),
                batch_size=INSERT_ROWS,
                update_conflicts=True,
                unique_fields=["line_id"],
                update_fields=_UPDATE_FIELDS,
            )
        if unkeyed:
            RevenueLine.objects.bulk_create(unkeyed, batch_size=INSERT_ROWS)
        created = len(unkeyed) + len(keyed) - len(existing)
        return WriteCounts(created=created, updated=len(rows) - created, products_created=products_created)


def _check_signs(row: RevenueRow, errors: list[tuple[str, str]]) -> None:
    """Quantity and revenue point the same way: a sale is both positive, a credit note both negative.

    A zero on either side is fine (a free item, a price adjustment). Cost may have either sign whatever
    the line is: a supplier's rebate or a reversed cost makes it negative on an ordinary sale.
    """
    if (row.quantity < 0 < row.revenue) or (row.revenue < 0 < row.quantity):
        errors.append(
            (
                "quantity",
                f"{row.quantity.normalize():f} with revenue {row.revenue:f}: quantity and revenue must "
                "have the same sign (a sale has both positive, a credit note both negative; zero goes with "
                "either; cost may have either sign)",
            )
        )


def customer_ids(external_ids: set[str]) -> dict[str, int]:
    """external_id -> id for the customers that exist, in one query."""
    return dict(Customer.objects.filter(external_id__in=external_ids).values_list("external_id", "pk"))


def _product_ids(skus: set[str]) -> tuple[dict[str, int], int]:
    """sku -> id, creating the products the catalogue lacks (named by their SKU); and how many were new."""
    ids = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    missing = skus - ids.keys()
    if not missing:
        return ids, 0
    # ignore_conflicts: a concurrent import may create the same SKU first; its row serves us as well.
    # In that race the count below includes it, which only overstates "products created" by one import.
    Product.objects.bulk_create(
        [Product(sku=sku, name=sku) for sku in sorted(missing)], batch_size=INSERT_ROWS, ignore_conflicts=True
    )
    ids.update(Product.objects.filter(sku__in=missing).values_list("sku", "pk"))
    return ids, len(missing)
