"""Output shapes of the sales API (JSON rows and the CSV columns) and its error bodies for the schema."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

from django.contrib.auth.models import AbstractUser
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Contact, Customer, TierChange
from customers.selectors import format_potential_explanation
from followups.api.serializers import OutcomeField
from followups.models import FollowUpTask
from sales.selectors import NO_RELEVANCE, CustomerRow, Driver, held_skus
from surveys.models import SurveyResponse


def manager_name(user: AbstractUser | None) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, user: AbstractUser) -> str:
        return manager_name(user) or ""


class PotentialFactorSerializer(serializers.Serializer):
    """One attribute value behind a potential score: how over-represented it is among A customers."""

    attribute = serializers.CharField(help_text="industry, size, business_model or region.")
    value = serializers.CharField(help_text="The customer's value; for size the employee band.")
    lift = serializers.DecimalField(
        max_digits=12, decimal_places=3, help_text="Share among A customers over share among all."
    )
    a_customers = serializers.IntegerField(help_text="A customers with this value.")
    customers = serializers.IntegerField(help_text="Customers with this value, all tiers.")


class CustomerRowSerializer(serializers.ModelSerializer):
    """One customer in a list: economics, satisfaction, potential and what it holds."""

    # margin_pct has no max_digits: a tiny revenue with a large cost gives a percentage of any size.
    margin_pct = serializers.DecimalField(
        max_digits=None,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="Contribution margin as % of revenue; null without revenue.",
    )
    latest_nps = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="The latest NPS answer from any contact (0-10)."
    )
    latest_nps_at = serializers.DateTimeField(read_only=True, allow_null=True)
    account_nps = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        read_only=True,
        allow_null=True,
        help_text="NPS over each contact's latest answer (-100 to +100).",
    )
    account_manager = UserRefSerializer(read_only=True, allow_null=True)
    products_held = serializers.SerializerMethodField(help_text="SKUs bought in the last 12 months.")
    open_followup = serializers.BooleanField(
        read_only=True, help_text="An open or in-progress follow-up exists (e.g. after a detractor answer)."
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "name",
            "org_number",
            "tier",
            "revenue_12m",
            "contribution_margin_12m",
            "margin_pct",
            "time_cost_flag",
            "latest_nps",
            "latest_nps_at",
            "account_nps",
            "potential_score",
            "account_manager",
            "products_held",
            "open_followup",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_products_held(self, customer: Customer) -> list[str]:
        return held_skus(customer)


class UpsellCandidateSerializer(CustomerRowSerializer):
    """A customer to offer the product to, with why: relevance, its driver, satisfaction and potential."""

    relevance = serializers.SerializerMethodField(
        help_text="The best lift among the products the customer holds toward the product; 0 when none."
    )
    driver_product = serializers.SerializerMethodField(
        help_text="SKU of the held product behind the relevance."
    )
    lift = serializers.SerializerMethodField(
        help_text="How many times as often holders of driver_product take it."
    )
    potential_explanation = PotentialFactorSerializer(
        source="potential_factors",
        many=True,
        read_only=True,
        help_text="The attribute values behind the potential score, strongest first; empty without a score.",
    )
    reason = serializers.SerializerMethodField(
        help_text='One line, e.g. "holds X and Y; customers with X take SKU 3.1x as often; NPS 9 on '
        '2026-10-02; potential 82".'
    )

    class Meta(CustomerRowSerializer.Meta):
        fields = [
            *(name for name in CustomerRowSerializer.Meta.fields if name != "open_followup"),
            "relevance",
            "driver_product",
            "lift",
            "potential_explanation",
            "reason",
        ]
        read_only_fields = fields

    @staticmethod
    def _driver(customer: Customer) -> Driver | None:
        return getattr(customer, "upsell_driver", None)

    @extend_schema_field(serializers.DecimalField(max_digits=9, decimal_places=3))
    def get_relevance(self, customer: Customer) -> str:
        driver = self._driver(customer)
        return str(driver.lift if driver else NO_RELEVANCE)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_driver_product(self, customer: Customer) -> str | None:
        driver = self._driver(customer)
        return driver.sku if driver else None

    @extend_schema_field(serializers.DecimalField(max_digits=9, decimal_places=3, allow_null=True))
    def get_lift(self, customer: Customer) -> str | None:
        driver = self._driver(customer)
        return str(driver.lift) if driver else None

    @extend_schema_field(serializers.CharField())
    def get_reason(self, customer: Customer) -> str:
        return getattr(customer, "upsell_reason", "")


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "phone", "role", "language", "opted_out"]
        read_only_fields = fields


class ProductRevenueSerializer(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=20, decimal_places=3)
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    margin = serializers.DecimalField(max_digits=20, decimal_places=2)
    margin_pct = serializers.DecimalField(max_digits=None, decimal_places=1, allow_null=True)


class RevenueSummarySerializer(serializers.Serializer):
    start = serializers.DateField(source="window.start", help_text="Window start (exclusive).")
    end = serializers.DateField(source="window.end", help_text="Window end (inclusive).")
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    margin = serializers.DecimalField(max_digits=20, decimal_places=2)
    products = ProductRevenueSerializer(many=True, help_text="Largest revenue first.")


# Tiers of a change and the follow-up status as plain strings in the schema: the same choice set
# under another property name, or a second "status" set beside the follow-up API's, makes
# drf-spectacular warn about enum names, and the deploy check fails on warnings. With
# SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] naming Tier and followups Status they could be
# ChoiceFields again.
@extend_schema_field({"type": "string", "pattern": "^[ABC]$", "description": "A, B or C."})
class TierStringField(serializers.CharField):
    pass


@extend_schema_field(
    {
        "type": "string",
        "pattern": "^(open|in_progress|done|cancelled)$",
        "description": "open, in_progress, done or cancelled.",
    }
)
class FollowUpStatusField(serializers.CharField):
    pass


class TierChangeSerializer(serializers.ModelSerializer):
    from_tier = TierStringField(read_only=True)
    to_tier = TierStringField(read_only=True)

    class Meta:
        model = TierChange
        fields = ["from_tier", "to_tier", "revenue_12m", "changed_at"]
        read_only_fields = fields


class SurveyAnswerSerializer(serializers.ModelSerializer):
    contact = serializers.CharField(source="contact.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = SurveyResponse
        fields = ["id", "kind", "score", "category", "comment", "contact", "source", "submitted_at"]
        read_only_fields = fields


class FollowUpSummarySerializer(serializers.ModelSerializer):
    status = FollowUpStatusField(read_only=True)
    assigned_to = UserRefSerializer(read_only=True, allow_null=True)
    response_score = serializers.IntegerField(source="response.score", read_only=True)
    outcome = OutcomeField(help_text="Null until the follow-up is done.")

    class Meta:
        model = FollowUpTask
        fields = [
            "id",
            "status",
            "outcome",
            "priority",
            "assigned_to",
            "response_score",
            "due_at",
            "created_at",
            "first_contact_at",
            "completed_at",
        ]
        read_only_fields = fields


class CustomerDetailSerializer(CustomerRowSerializer):
    """One customer with everything a salesperson reads before a call (selectors.customer_detail)."""

    potential_explanation = PotentialFactorSerializer(
        source="potential_factors",
        many=True,
        read_only=True,
        help_text="The attribute values behind the potential score, strongest first; empty without a score.",
    )
    contacts = ContactSerializer(many=True, read_only=True)
    revenue_by_product = RevenueSummarySerializer(
        source="revenue_summary", read_only=True, help_text="The window of the last recalculation."
    )
    tier_history = TierChangeSerializer(
        source="recent_tier_changes", many=True, read_only=True, help_text="Latest first, at most 20."
    )
    surveys = SurveyAnswerSerializer(
        source="recent_surveys", many=True, read_only=True, help_text="Latest answers first, at most 20."
    )
    followups = FollowUpSummarySerializer(
        source="recent_followups", many=True, read_only=True, help_text="Latest first, at most 20."
    )

    class Meta(CustomerRowSerializer.Meta):
        fields = [
            *CustomerRowSerializer.Meta.fields,
            "industry",
            "employees",
            "business_model",
            "region",
            "service_minutes_12m",
            "service_cost_12m",
            "economics_as_of",
            "potential_explanation",
            "contacts",
            "revenue_by_product",
            "tier_history",
            "surveys",
            "followups",
        ]
        read_only_fields = fields


class ErrorDetailSerializer(serializers.Serializer):
    """401, 403, 404 and 429 bodies."""

    detail = serializers.CharField()


# 400 bodies: {"parameter": ["message", ...]}, e.g. {"tier": ["Select a valid choice. D is not one of
# the available choices."]}.
VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"nps_min": ["Enter a whole number."]},
}


# (CSV header, value of a row) per column of the customer export.
Column: TypeAlias = "tuple[str, Callable[[CustomerRow], Any]]"

CUSTOMER_COLUMNS: list[Column] = [
    ("id", lambda c: c.pk),
    ("external_id", lambda c: c.external_id),
    ("name", lambda c: c.name),
    ("org_number", lambda c: c.org_number),
    ("tier", lambda c: c.tier),
    ("revenue_12m", lambda c: c.revenue_12m),
    ("contribution_margin_12m", lambda c: c.contribution_margin_12m),
    ("margin_pct", lambda c: c.margin_pct),
    ("time_cost_flag", lambda c: c.time_cost_flag),
    ("latest_nps", lambda c: c.latest_nps),
    ("latest_nps_at", lambda c: c.latest_nps_at),
    ("account_nps", lambda c: c.account_nps),
    ("potential_score", lambda c: c.potential_score),
    ("account_manager", lambda c: manager_name(c.account_manager)),
    ("account_manager_email", lambda c: c.account_manager.email if c.account_manager else None),
    ("products_held", held_skus),
]

UPSELL_COLUMNS: list[Column] = [
    *CUSTOMER_COLUMNS,
    ("relevance", lambda c: c.upsell_driver.lift if c.upsell_driver else NO_RELEVANCE),
    ("driver_product", lambda c: c.upsell_driver.sku if c.upsell_driver else None),
    ("lift", lambda c: c.upsell_driver.lift if c.upsell_driver else None),
    ("potential_explanation", lambda c: format_potential_explanation(c.potential_factors)),
    ("reason", lambda c: c.upsell_reason),
]

CUSTOMER_EXPORT_COLUMNS: list[Column] = [*CUSTOMER_COLUMNS, ("open_followup", lambda c: c.open_followup)]


def csv_header(columns: Sequence[Column]) -> list[str]:
    return [header for header, _ in columns]


def csv_values(columns: Sequence[Column], customer: CustomerRow) -> list[Any]:
    return [value(customer) for _, value in columns]
