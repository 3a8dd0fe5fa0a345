"""Shapes of the surveys API: what an incoming answer must look like, and what we answer with."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, NoReturn

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from core.api import as_api_exception
from core.errors import BadInput
from customers.models import Customer
from surveys.models import SCALES, Category, SurveyKind, SurveyResponse
from surveys.services import validate_score

# Clocks of the sending systems drift a little; an answer dated further ahead than this is a bug
# there, and stored it would stay every metric's "latest score" for that contact until that date.
_FUTURE_TOLERANCE = timedelta(minutes=5)


# How much of a refused value an error message repeats: enough to spot a typo, never the megabyte
# someone posted.
ECHO_LENGTH = 40


class ShortEchoChoiceField(serializers.ChoiceField):
    """A ChoiceField whose "not a valid choice" message quotes at most ECHO_LENGTH characters of the input."""

    def fail(self, key: str, **kwargs: Any) -> NoReturn:
        if "input" in kwargs:
            kwargs["input"] = Truncator(str(kwargs["input"])).chars(ECHO_LENGTH)
        super().fail(key, **kwargs)


class SurveyResponseInputSerializer(serializers.Serializer):
    """One answer from another survey tool or form.

    `customer` is the customer's external ID (the ERP key). `external_id` is the sender's idempotency
    key: sending the same key again stores nothing new and answers with the stored response; the same
    key with a different kind, customer or score is a conflict (409).

    `contact_email` is matched case-insensitively against the customer's contacts. When none has it,
    a contact is created (named after the email's local part, language nb) so that no answer is lost
    and the person's later answers count as one contact in the account-level NPS; operators can
    correct the name and language in the admin.

    `submitted_at` (ISO 8601) defaults to now; a time without an offset is read as Oslo time.
    """

    customer = serializers.CharField(max_length=64, help_text=_("The customer's external ID."))
    kind = ShortEchoChoiceField(choices=SurveyKind.choices)
    score = serializers.IntegerField(help_text=_("NPS 0-10, CSAT 1-5, CES 1-7."))
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    contact_email = serializers.EmailField(required=False, allow_blank=True, default="")
    external_id = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, max_length=100
    )
    submitted_at = serializers.DateTimeField(required=False, allow_null=True, default=None)

    def validate_customer(self, value: str) -> Customer:
        customer = Customer.objects.filter(external_id=value).first()
        if customer is None:
            # The value is at most max_length (64) characters: the field checked that first.
            raise serializers.ValidationError(
                gettext("No customer with external_id '%(value)s'.") % {"value": value}
            )
        return customer

    def validate_submitted_at(self, value: datetime | None) -> datetime | None:
        if value is not None and value > timezone.now() + _FUTURE_TOLERANCE:
            raise serializers.ValidationError(gettext("submitted_at lies in the future."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # The service owns the scales; asking it here turns an off-scale score into a field error
        # before anything is written, instead of duplicating the ranges in the API.
        try:
            validate_score(attrs["kind"], attrs["score"])
        except BadInput as exc:
            raise as_api_exception(exc) from exc
        return attrs


class SurveyResponseSerializer(serializers.ModelSerializer):
    """A stored answer as the API reports it."""

    customer = serializers.CharField(source="customer.external_id", read_only=True)
    contact_email = serializers.EmailField(source="contact.email", read_only=True, allow_null=True)
    followup_queued = serializers.SerializerMethodField(
        help_text=_("Whether the answer counts as unhappy, so a personal follow-up is on its way.")
    )

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "customer",
            "kind",
            "score",
            "category",
            "comment",
            "contact_email",
            "external_id",
            "submitted_at",
            "source",
            "followup_queued",
        ]
        read_only_fields = fields

    def get_followup_queued(self, obj: SurveyResponse) -> bool:
        return obj.category == Category.DETRACTOR


class SurveyResponseInputSchema(OpenApiSerializerExtension):
    """The answer's schema as one alternative per kind, each with its own score range.

    One object with `score: integer` promised clients that an NPS scale fits every kind, and the
    server refused a CSAT 9 that the schema allowed. The scales come from surveys.models.SCALES, as
    the server's check does.
    """

    target_class = SurveyResponseInputSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        alternatives = []
        for kind, (low, high) in SCALES.items():
            properties = dict(schema["properties"])
            # Wrapped in allOf, as ChangeableStatusField is: a bare one-value enum per alternative would
            # be lifted into components named after `kind` and collide with KindEnum.
            properties["kind"] = {"allOf": [{"type": "string", "enum": [kind]}]}
            properties["score"] = {
                "type": "integer",
                "minimum": low,
                "maximum": high,
                "description": f"{SurveyKind(kind).label}: {low} to {high}.",
            }
            alternatives.append(
                {**{k: v for k, v in schema.items() if k != "description"}, "properties": properties}
                | {"title": SurveyKind(kind).label}
            )
        # Stated outside the alternatives too, so drf-spectacular marks the request body required.
        return {
            "oneOf": alternatives,
            "required": schema["required"],
            "description": schema.get("description", ""),
        }
