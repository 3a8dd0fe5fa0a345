"""Admin for the product catalogue and the revenue lines the ERP imports: read-mostly reference data."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.formats import format_date, format_nok, format_percent, group_thousands
from customers.models import Product, RevenueLine
from customers.selectors import (
    format_lift,
    top_affinities,
)
from customers.services import AFFINITY_MIN_SUPPORT

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec


# The product page lists this many of the products its holders take most often.
TOP_AFFINITIES = 15


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name", "category"]
    list_filter = ["category"]
    search_fields = ["=sku", "name", "category"]
    fieldsets = [(None, {"fields": ["sku", "name", "category"]})]
    readonly_fields = ["affinities"]

    def get_fieldsets(self, request: HttpRequest, obj: Product | None = None) -> _FieldsetSpec:
        if obj is None:
            return self.fieldsets
        title = gettext("Customers who take %(sku)s also take ...") % {"sku": obj.sku}
        return [*self.fieldsets, (title, {"fields": ["affinities"]})]

    @admin.display(description=_("also taken"))
    def affinities(self, product: Product) -> SafeString:
        rows = list(top_affinities(product.pk, TOP_AFFINITIES))
        # Every row carries the product's holder count and the as-of date, so the note needs no query.
        values = {"sku": product.sku, "support": AFFINITY_MIN_SUPPORT}
        if rows:
            holders = ngettext(
                "%(count)s customer holds %(sku)s.", "%(count)s customers hold %(sku)s.", rows[0].holders_from
            ) % {"count": group_thousands(rows[0].holders_from), "sku": product.sku}
            window = gettext(
                "Products held together with %(sku)s by at least %(support)s customers in the economics "
                "window, as of %(date)s."
            ) % {**values, "date": format_date(rows[0].as_of)}
        else:
            holders = ""
            window = (
                gettext(
                    "Products held together with %(sku)s by at least %(support)s customers in the economics window."
                )
                % values
            )
        lift = (
            gettext(
                "Lift x2 means %(sku)s's customers take the product twice as often as customers in general. "
                "Recalculated nightly after the tiers."
            )
            % values
        )
        note = format_html(
            '<p class="more">{}</p>', " ".join(part for part in (holders, window, lift) if part)
        )
        if not rows:
            return format_html(
                "<p>{}</p>{}", gettext("No other product is taken often enough by its customers."), note
            )
        body = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td class="number">{}</td><td class="number">{}</td>'
            '<td class="number">{}</td></tr>',
            (
                (
                    reverse("admin:customers_product_change", args=[row.to_product_id]),
                    row.to_product,
                    group_thousands(row.holders_both),
                    format_percent(row.confidence * 100),
                    format_lift(row.lift),
                )
                for row in rows
            ),
        )
        return format_html(
            '<table class="figures" id="affinities"><thead><tr><th scope="col">{}</th>'
            '<th scope="col" class="number">{}</th>'
            '<th scope="col" class="number">{}</th>'
            '<th scope="col" class="number">{}</th></tr></thead><tbody>{}</tbody></table>{}',
            gettext("Product"),
            gettext("Customers with both"),
            gettext("Share of %(sku)s's customers") % {"sku": product.sku},
            gettext("Lift"),
            body,
            note,
        )


@admin.register(RevenueLine)
class RevenueLineAdmin(admin.ModelAdmin):
    list_display = ["date", "customer", "product", "quantity", "amount", "cost_display", "margin", "line_id"]
    list_filter = ["product__category"]
    list_select_related = ["customer", "product"]
    search_fields = ["=line_id", "=customer__external_id", "customer__name", "=product__sku"]
    date_hierarchy = "date"
    autocomplete_fields = ["customer", "product"]
    # Lines come from ERP imports; the line ID and the import are their provenance, not for editing.
    readonly_fields = ["line_id", "data_import"]
    ordering = ["-date", "-pk"]
    show_full_result_count = False

    @admin.display(description=_("revenue"), ordering="revenue")
    def amount(self, line: RevenueLine) -> str:
        return format_nok(line.revenue, decimals=True)

    @admin.display(description=_("cost"), ordering="cost")
    def cost_display(self, line: RevenueLine) -> str:
        return format_nok(line.cost, decimals=True)

    @admin.display(description=_("margin"))
    def margin(self, line: RevenueLine) -> str:
        return format_nok(line.revenue - line.cost, decimals=True)
