"""Query parameters of the sales lists: parsing and validation only; the conditions live in selectors.

Every parameter is validated before a query runs, so a bad value is a 400 naming the parameter, never
a database error: numbers are range-checked, booleans must say true or false, SKUs must exist.
Each filter carries its OpenAPI schema (extend_schema_field) so generated clients get exact types.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field

from customers.models import MARGIN_PCT, Customer, Product, Tier
from sales.selectors import (
    DEFAULT_ORDERING,
    ORDERING_CHOICES,
    account_manager_condition,
    active_followup_exists,
    holds_any,
    search_condition,
)
from surveys.models import Category

# More SKUs than this in one has_product/lacks_product is not a sales question but a mistake (or an
# attempt to make one query very expensive).
MAX_SKUS = 20


def _sku_max_length() -> int:
    length = Product._meta.get_field("sku").max_length
    if length is None:
        # Unbounded SKUs would leave a hostile parameter unbounded too.
        raise ImproperlyConfigured("Product.sku needs a max_length: the sales filters bound SKUs by it.")
    return length


SKU_MAX_LENGTH = _sku_max_length()

# NPS bands are fixed by the method (surveys.models.SurveyPolicy.categorize).
NPS_BANDS: dict[str, tuple[int, int]] = {
    Category.DETRACTOR: (0, 6),
    Category.PASSIVE: (7, 8),
    Category.PROMOTER: (9, 10),
}

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


class StrictBooleanField(forms.Field):
    """true/false (or 1/0, yes/no); anything else, an empty value included, is an error rather than ignored."""

    def to_python(self, value: Any) -> bool | None:
        if value is None:  # the parameter is absent
            return None
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValidationError("Use true or false.", code="invalid")


class SkuField(forms.CharField):
    """One product SKU, returned as the Product; an unknown SKU is an error."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", SKU_MAX_LENGTH)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Product | None:
        sku = super().clean(value)
        if not sku:
            return None
        product = Product.objects.filter(sku=sku).first()
        if product is None:
            raise ValidationError("No product with SKU '%(sku)s'.", code="unknown", params={"sku": sku})
        return product


class SkuListField(forms.Field):
    """A repeated SKU parameter (?p=A&p=B), returned as Products in the given order, one query for all."""

    widget = forms.MultipleHiddenInput

    def clean(self, value: Any) -> list[Product]:
        skus = list(dict.fromkeys(str(v).strip() for v in value or [] if str(v).strip()))
        if not skus:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(skus) > MAX_SKUS:
            raise ValidationError(f"At most {MAX_SKUS} SKUs.", code="too_many")
        for sku in skus:
            if "\x00" in sku or len(sku) > SKU_MAX_LENGTH:
                raise ValidationError(
                    f"A SKU has at most {SKU_MAX_LENGTH} characters and no null characters.", code="invalid"
                )
        found = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
        unknown = [sku for sku in skus if sku not in found]
        if unknown:
            raise ValidationError(
                "No product with SKU %(skus)s.", code="unknown", params={"skus": ", ".join(unknown)}
            )
        return [found[sku] for sku in skus]


class IntegerFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class SkuFilter(django_filters.Filter):
    field_class = SkuField


class SkuListFilter(django_filters.MultipleChoiceFilter):
    # A MultipleChoiceFilter so that drf-spectacular documents it as a repeated (exploded) parameter.
    field_class = SkuListField


# Django's form fields refuse a NUL character in text (400); the schema says so, or a schema-valid
# request would be refused.
NO_NUL = "^[^\\x00]*$"


def _documented(schema: dict[str, Any], filter_: django_filters.Filter) -> django_filters.Filter:
    # An explicit schema replaces drf-spectacular's guess, description included, so the help text
    # goes into it too.
    return extend_schema_field({**schema, "description": filter_.extra["help_text"]})(filter_)


# Total digits capped: a value like 1e400000 is refused here instead of overflowing the database's
# numeric type. Two decimals (øre, hundredths of a percent), so 18 before the point; the schema states
# the same bounds, so what it allows the filter takes and what it refuses the filter refuses.
_DIGITS, _DECIMALS = 20, 2
_LARGEST = 10 ** (_DIGITS - _DECIMALS - 1)
DECIMAL_SCHEMA = {"type": "number", "multipleOf": 10**-_DECIMALS, "minimum": -_LARGEST, "maximum": _LARGEST}
_BOUNDS = {"min_value": Decimal(-_LARGEST), "max_value": Decimal(_LARGEST)}


def _amount(field_name: str, lookup: str, help_text: str) -> django_filters.Filter:
    return _documented(
        DECIMAL_SCHEMA,
        django_filters.NumberFilter(
            field_name=field_name,
            lookup_expr=lookup,
            max_digits=_DIGITS,
            decimal_places=_DECIMALS,
            help_text=help_text,
            **_BOUNDS,
        ),
    )


def _nps(lookup: str, help_text: str) -> django_filters.Filter:
    return _documented(
        {"type": "integer", "minimum": 0, "maximum": 10},
        IntegerFilter(
            field_name="satisfaction__latest_nps",
            lookup_expr=lookup,
            min_value=0,
            max_value=10,
            help_text=help_text,
        ),
    )


def _flag(method: str, help_text: str) -> django_filters.Filter:
    return _documented({"type": "boolean"}, StrictBooleanFilter(method=method, help_text=help_text))


def _skus(method: str, help_text: str) -> django_filters.Filter:
    return _documented(
        {"type": "string", "pattern": NO_NUL, "maxLength": SKU_MAX_LENGTH},
        SkuListFilter(method=method, help_text=help_text),
    )


class CustomerSegmentFilter(django_filters.FilterSet):
    """The filters shared by the customer list and the upsell candidates."""

    tier = _documented(
        {"type": "string", "enum": [t.value for t in Tier]},
        django_filters.MultipleChoiceFilter(
            choices=Tier.choices,
            method="filter_tier",
            help_text="Revenue tier; repeat for several (?tier=B&tier=C).",
        ),
    )
    nps_min = _nps(
        "gte", "Latest NPS answer (any contact) at least this (0-10). Customers without one are left out."
    )
    nps_max = _nps(
        "lte", "Latest NPS answer (any contact) at most this (0-10). Customers without one are left out."
    )
    nps_category = _documented(
        {"type": "string", "enum": [c.value for c in Category]},
        django_filters.ChoiceFilter(
            choices=Category.choices,
            method="filter_nps_category",
            help_text="Category of the latest NPS answer: detractor 0-6, passive 7-8, promoter 9-10.",
        ),
    )
    revenue_min = _amount("revenue_12m", "gte", "Revenue over the last 12 months (NOK) at least this.")
    revenue_max = _amount("revenue_12m", "lte", "Revenue over the last 12 months (NOK) at most this.")
    margin_min = _amount(
        "contribution_margin_12m", "gte", "Contribution margin, 12 months (NOK), at least this."
    )
    margin_max = _amount(
        "contribution_margin_12m", "lte", "Contribution margin, 12 months (NOK), at most this."
    )
    margin_pct_min = _documented(
        DECIMAL_SCHEMA,
        django_filters.NumberFilter(
            method="filter_margin_pct_min",
            max_digits=_DIGITS,
            decimal_places=_DECIMALS,
            **_BOUNDS,
            help_text="Contribution margin as % of revenue at least this; customers without revenue are left out.",
        ),
    )
    time_cost = _documented(
        {"type": "boolean"},
        StrictBooleanFilter(
            field_name="time_cost_flag",
            help_text="true: only time thieves (service cost out of proportion to margin); false: none of them.",
        ),
    )
    account_manager = _documented(
        {"type": "string", "pattern": NO_NUL, "maxLength": 150},
        django_filters.CharFilter(
            method="filter_account_manager",
            max_length=150,
            help_text="The account manager's user id or username.",
        ),
    )
    industry = _documented(
        {"type": "string", "pattern": NO_NUL, "maxLength": 100},
        django_filters.CharFilter(
            lookup_expr="iexact", max_length=100, help_text="Industry, exact (any case)."
        ),
    )
    region = _documented(
        {"type": "string", "pattern": NO_NUL, "maxLength": 100},
        django_filters.CharFilter(
            lookup_expr="iexact", max_length=100, help_text="Region, exact (any case)."
        ),
    )
    has_product = _skus(
        "filter_has_product",
        f"Holds (bought in the last 12 months) this SKU; repeat for several: holds every one. At most {MAX_SKUS}.",
    )
    lacks_product = _skus(
        "filter_lacks_product",
        f"Does not hold this SKU; repeat for several: holds none of them. At most {MAX_SKUS}.",
    )
    potential_min = _documented(
        {"type": "integer", "minimum": 0, "maximum": 100},
        IntegerFilter(
            field_name="potential_score",
            lookup_expr="gte",
            min_value=0,
            max_value=100,
            help_text="Potential (0-100, resemblance to today's A customers) at least this; unscored customers are left out.",
        ),
    )
    search = _documented(
        {"type": "string", "pattern": NO_NUL, "maxLength": 200},
        django_filters.CharFilter(
            method="filter_search",
            max_length=200,
            help_text="Name contains, or external ID or organisation number (spaces allowed) equals.",
        ),
    )

    class Meta:
        model = Customer
        fields: list[str] = []

    def filter_tier(self, queryset: QuerySet[Customer], name: str, value: list[str]) -> QuerySet[Customer]:
        return queryset.filter(tier__in=value)

    def filter_nps_category(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return queryset.filter(satisfaction__latest_nps__range=NPS_BANDS[value])

    def filter_margin_pct_min(
        self, queryset: QuerySet[Customer], name: str, value: Decimal
    ) -> QuerySet[Customer]:
        return queryset.alias(margin_pct_value=MARGIN_PCT).filter(margin_pct_value__gte=value)

    def filter_account_manager(
        self, queryset: QuerySet[Customer], name: str, value: str
    ) -> QuerySet[Customer]:
        return queryset.filter(account_manager_condition(value))

    def filter_has_product(
        self, queryset: QuerySet[Customer], name: str, value: list[Product]
    ) -> QuerySet[Customer]:
        # One EXISTS per SKU: "holds A and B" is a conjunction, each served by holding_product_idx.
        for product in value:
            queryset = queryset.filter(holds_any([product.pk]))
        return queryset

    def filter_lacks_product(
        self, queryset: QuerySet[Customer], name: str, value: list[Product]
    ) -> QuerySet[Customer]:
        return queryset.filter(~holds_any([product.pk for product in value]))

    def filter_search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return queryset.filter(search_condition(value))


class CustomerFilter(CustomerSegmentFilter):
    """Filters and ordering of GET /api/customers/."""

    open_followup = _flag(
        "filter_open_followup", "true: only customers with an open or in-progress follow-up."
    )
    ordering = _documented(
        {"type": "string", "enum": [value for value, _ in ORDERING_CHOICES], "default": DEFAULT_ORDERING},
        django_filters.ChoiceFilter(
            choices=ORDERING_CHOICES,
            method="keep",
            help_text=f"Sort field, '-' for descending; ties by id. Default {DEFAULT_ORDERING}. "
            "latest_nps and potential_score put customers without a value last either way.",
        ),
    )

    def filter_open_followup(
        self, queryset: QuerySet[Customer], name: str, value: bool
    ) -> QuerySet[Customer]:
        return queryset.filter(active_followup_exists() if value else ~active_followup_exists())

    def keep(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        # Ordering is the pagination's business (keyset segments); the value is read from cleaned_data.
        return queryset

    @property
    def ordering_value(self) -> str:
        return self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING


class UpsellCandidateFilter(CustomerSegmentFilter):
    """Filters of GET /api/upsell-candidates/: the target product and the shared customer filters."""

    product = _documented(
        {"type": "string", "pattern": NO_NUL, "maxLength": SKU_MAX_LENGTH},
        SkuFilter(
            method="keep",
            required=True,
            help_text="SKU of the product to offer (required). Candidates lack it, answered NPS above 6 last "
            "time and have no open follow-up.",
        ),
    )

    def keep(self, queryset: QuerySet[Customer], name: str, value: Product) -> QuerySet[Customer]:
        # The product picks the ranking (selectors.upsell_ranking), read from cleaned_data.
        return queryset

    @property
    def product_value(self) -> Product:
        return self.form.cleaned_data["product"]
