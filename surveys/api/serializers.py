"""Shapes of the surveys API: what an incoming answer must look like, and what we answer with."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.text import Truncator
from rest_framework import serializers

from core.api import as_api_exception
from core.errors import BadInput
from customers.models import Customer
from surveys.models import Category, SurveyKind, SurveyResponse
from surveys.services import validate_score

# Clocks of the sending systems drift a little; an answer dated further ahead than this is a bug
# there, and stored it would stay every metric's "latest score" for that contact until that date.
_FUTURE_TOLERANCE = timedelta(minutes=5)


# How much of a refused value an error message repeats: enough to spot a typo, never the megabyte
# someone posted.
ECHO_LENGTH = 40


class ShortEchoChoiceField(serializers.ChoiceField):
    """A ChoiceField whose "not a valid choice" message quotes at most ECHO_LENGTH characters of the input."""

    def fail(self, key: str, **kwargs: Any) -> None:
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

    customer = serializers.CharField(max_length=64, help_text="The customer's external ID.")
    kind = ShortEchoChoiceField(choices=SurveyKind.choices)
    score = serializers.IntegerField(help_text="NPS 0-10, CSAT 1-5, CES 1-7.")
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
            raise serializers.ValidationError(f"No customer with external_id '{value}'.")
        return customer

    def validate_submitted_at(self, value: datetime | None) -> datetime | None:
        if value is not None and value > timezone.now() + _FUTURE_TOLERANCE:
            raise serializers.ValidationError("submitted_at lies in the future.")
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
        help_text="Whether the answer counts as unhappy, so a personal follow-up is on its way."
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
