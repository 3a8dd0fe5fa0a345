"""Shapes of the followups API: follow-ups in and out, the NPS metrics, and the error bodies."""

from __future__ import annotations

import inspect
import re
from datetime import datetime
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from customers.models import Customer
from followups.models import FollowUpNote, FollowUpTask, Outcome, Status
from followups.selectors import assignable_users
from surveys.api.serializers import ShortEchoChoiceField
from surveys.models import SurveyResponse

# Error messages go through gettext and answer in the request's language; help texts and schema
# descriptions are the OpenAPI documentation for developers and stay English.

# --- errors


class ErrorSerializer(serializers.Serializer):
    """The body of 401, 403, 404, 409 and 429 answers."""

    detail = serializers.CharField(help_text="What went wrong, in words a person can act on.")


# 400 answers: each offending field (or `non_field_errors`) with its messages, DRF's usual shape; a
# body that is not JSON at all gets {"detail": message}, as DRF's parsers answer it.
FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Field errors: {field: [message, ...]}, `non_field_errors` for the request as a whole; "
    "{detail: message} when the body could not be parsed.",
    "additionalProperties": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "string"}]},
    "example": {"outcome": ["An outcome is required when the status is done."]},
}


# --- follow-ups out


def person_name(user: AbstractBaseUser) -> str:
    full_name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return full_name or user.get_username()


class FollowUpUserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: AbstractBaseUser) -> str:
        return person_name(user)


class FollowUpCustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "external_id", "name", "tier"]
        read_only_fields = fields


class FollowUpCustomerDetailSerializer(serializers.ModelSerializer):
    """What the account manager needs on the phone: size, margin, owner and satisfaction."""

    account_manager = FollowUpUserSerializer(allow_null=True)
    # A customer without NPS answers has no satisfaction row; DRF reads the missing row as null.
    latest_nps = serializers.IntegerField(
        source="satisfaction.latest_nps", allow_null=True, help_text="The latest NPS answer from any contact."
    )
    latest_nps_at = serializers.DateTimeField(source="satisfaction.latest_nps_at", allow_null=True)
    account_nps = serializers.DecimalField(
        source="satisfaction.account_nps",
        max_digits=5,
        decimal_places=1,
        allow_null=True,
        help_text="NPS over each contact's latest answer (-100 to 100).",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "external_id",
            "name",
            "tier",
            "industry",
            "revenue_12m",
            "contribution_margin_12m",
            "time_cost_flag",
            "account_manager",
            "latest_nps",
            "latest_nps_at",
            "account_nps",
        ]
        read_only_fields = fields


class FollowUpContactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    phone = serializers.CharField()
    role = serializers.CharField()


class FollowUpResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = SurveyResponse
        fields = ["id", "kind", "score", "category", "comment", "submitted_at", "source"]
        read_only_fields = fields


class FollowUpNoteSerializer(serializers.ModelSerializer):
    author = FollowUpUserSerializer(allow_null=True)

    class Meta:
        model = FollowUpNote
        fields = ["id", "author", "text", "created_at"]
        read_only_fields = fields


class OutcomeField(serializers.ChoiceField):
    """A follow-up's outcome, null until it is done.

    The model stores "" for "no outcome yet"; answered as "", it matched no value of OutcomeEnum, and
    generated clients that check enums refused every open follow-up.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Outcome.choices, allow_null=True, read_only=True, **kwargs)

    def to_representation(self, value: Any) -> Any:
        return super().to_representation(value) if value else None


class FollowUpTaskSerializer(serializers.ModelSerializer):
    """A follow-up in the list: enough to triage without opening it."""

    is_overdue = serializers.BooleanField(read_only=True, help_text="Active and past its due time.")
    outcome = OutcomeField(help_text="Null until the follow-up is done.")
    assigned_to = FollowUpUserSerializer(allow_null=True, help_text="Null: in the shared queue.")
    # Typed as the base class: the detail serializer answers with the customer's larger shape.
    customer: serializers.ModelSerializer[Customer] = FollowUpCustomerSerializer()
    contact = FollowUpContactSerializer(allow_null=True)
    response = FollowUpResponseSerializer(help_text="The unhappy answer the follow-up is about.")

    class Meta:
        model = FollowUpTask
        fields = [
            "id",
            "status",
            "outcome",
            "tier",
            "priority",
            "due_at",
            "is_overdue",
            "created_at",
            "first_contact_at",
            "completed_at",
            "assigned_to",
            "customer",
            "contact",
            "response",
        ]
        read_only_fields = fields


class FollowUpTaskDetailSerializer(FollowUpTaskSerializer):
    """One follow-up with its customer summary and the notes log, oldest note first."""

    customer = FollowUpCustomerDetailSerializer()
    notes = FollowUpNoteSerializer(many=True)

    class Meta(FollowUpTaskSerializer.Meta):
        fields = [*FollowUpTaskSerializer.Meta.fields, "notified_at", "escalated_at", "notes"]
        read_only_fields = fields


# --- follow-ups in

CHANGEABLE_STATUSES = [
    (Status.IN_PROGRESS.value, "In progress: first contact made"),
    (Status.DONE.value, "Done: needs an outcome"),
    (Status.CANCELLED.value, "Cancelled: needs a note saying why"),
]


# drf-spectacular turns every enum property into a component named after the property; a second
# choice set under the name "status" (next to Status itself) is a naming collision it warns about,
# and its warnings fail `check --deploy`. Wrapped in allOf, the enum stays inline: precise for
# clients, no collision. (An ENUM_NAME_OVERRIDES entry in settings would do the same.)
@extend_schema_field(
    {
        "allOf": [{"type": "string", "enum": [value for value, _label in CHANGEABLE_STATUSES]}],
        "description": "The status to move to: in_progress, done or cancelled.",
    }
)
class ChangeableStatusField(ShortEchoChoiceField):
    """The statuses a PATCH may set."""


class FollowUpTaskUpdateSerializer(serializers.Serializer):
    """A change to one follow-up: a status move (with an outcome or note), a note, or a reassignment.

    - `status: in_progress` records the first contact; `done` needs an `outcome`; `cancelled` needs a
      `note` saying why. A `note` alone is added to the log.
    - `assigned_to` (a user id, or null for the shared queue) is for follow-up leads, and goes in a
      request of its own.
    """

    status = ChangeableStatusField(
        choices=CHANGEABLE_STATUSES,
        required=False,
        error_messages={
            "invalid_choice": _('"{input}" is not a status you can set; use in_progress, done or cancelled.')
        },
    )
    outcome = ShortEchoChoiceField(choices=Outcome.choices, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, trim_whitespace=True)
    assigned_to = serializers.PrimaryKeyRelatedField(
        queryset=assignable_users(),
        required=False,
        allow_null=True,
        help_text="An active account manager or lead; null returns the task to the shared queue.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("note"):
            attrs.pop("note", None)
        if not attrs:
            raise serializers.ValidationError(
                gettext("Send at least one of status, outcome, note or assigned_to.")
            )
        if "assigned_to" in attrs and len(attrs) > 1:
            # Reassigning and working a task are different people's acts; mixed in one request, a
            # refusal of one half would leave the other half done.
            raise serializers.ValidationError(
                gettext("Send assigned_to on its own, without status, outcome or note.")
            )
        status = attrs.get("status")
        if status == Status.DONE and "outcome" not in attrs:
            raise serializers.ValidationError(
                {"outcome": [gettext("An outcome is required when the status is done.")]}
            )
        if "outcome" in attrs and status != Status.DONE:
            raise serializers.ValidationError(
                {"outcome": [gettext('An outcome goes with "status": "done" only.')]}
            )
        if status == Status.CANCELLED and "note" not in attrs:
            raise serializers.ValidationError({"note": [gettext("Say why the follow-up is cancelled.")]})
        return attrs


# Python's str.strip (DRF's trim_whitespace) and its `\s` agree on what is blank; NUL is refused by
# every DRF CharField. A note that must say something holds one other character.
_SAYS_SOMETHING = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
_NO_NUL = r"^[^\u0000]*$"


class FollowUpTaskUpdateSchema(OpenApiSerializerExtension):
    """The PATCH body as the five requests the server takes, each a closed object.

    One object of four optional fields promised that any mix would do, and the server refused most
    of them (an empty body, an outcome without done, assigned_to with anything else).
    """

    target_class = FollowUpTaskUpdateSerializer

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        fields: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)["properties"]
        note = {**fields["note"], "pattern": _NO_NUL}
        said = {**fields["note"], "minLength": 1, "pattern": _SAYS_SOMETHING}

        def status(value: str) -> dict[str, Any]:
            return {
                "allOf": [{"type": "string", "enum": [value]}],
                "description": fields["status"]["description"],
            }

        def alternative(title: str, required: list[str], **properties: Any) -> dict[str, Any]:
            return {
                "type": "object",
                "title": title,
                "properties": properties,
                "required": required,
                # Closed: a field of another alternative changes what the request means, and the
                # server refuses the mix.
                "additionalProperties": False,
            }

        return {
            "oneOf": [
                alternative("Start", ["status"], status=status(Status.IN_PROGRESS), note=note),
                alternative(
                    "Complete",
                    ["status", "outcome"],
                    status=status(Status.DONE),
                    outcome=fields["outcome"],
                    note=note,
                ),
                alternative("Cancel", ["status", "note"], status=status(Status.CANCELLED), note=said),
                alternative("Note", ["note"], note=said),
                alternative("Reassign", ["assigned_to"], assigned_to=fields["assigned_to"]),
            ],
            "description": inspect.cleandoc(FollowUpTaskUpdateSerializer.__doc__ or ""),
        }


# --- NPS metrics

GROUP_BY_CHOICES = ["tier", "month", "account_manager", "industry"]


# Times at the calendar's edges overflow when the database converts them to UTC. The bound is on
# the year as written, so the schema's pattern says exactly what the server takes, whatever the offset.
SINCE_YEARS = r"^(19|20|21)\d\d-"


@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": SINCE_YEARS,
        "description": "A time in the years 1900 to 2199.",
    }
)
class BoundedDateTimeField(serializers.DateTimeField):
    """A DateTimeField for the years 1900 to 2199 whose calendar-edge inputs answer 400, not 500.

    DRF localizes a naive time such as 0001-01-01 by probing the hour before it, which overflows
    (OverflowError) outside its own overflow check.
    """

    default_error_messages = {"years": _("Use a time in the years 1900 to 2199.")}

    def to_internal_value(self, value: Any) -> datetime:
        if not isinstance(value, str) or not re.match(SINCE_YEARS, value):
            self.fail("years")
        try:
            return super().to_internal_value(value)
        except OverflowError:
            self.fail("overflow")


class NpsMetricsQuerySerializer(serializers.Serializer):
    group_by = ShortEchoChoiceField(
        choices=GROUP_BY_CHOICES,
        default="tier",
        help_text="How to split the answers into groups.",
        error_messages={
            # DRF fills in {input} after this; the choices are filled in when the message is read.
            "invalid_choice": lazy(
                lambda: (
                    gettext('"{input}" cannot be grouped by; use one of: %(choices)s.')
                    % {"choices": ", ".join(GROUP_BY_CHOICES)}
                ),
                str,
            )()
        },
    )
    since = BoundedDateTimeField(
        required=False,
        help_text="Count only answers, invitations and follow-ups from this time (ISO 8601; a date alone "
        "means its midnight, Oslo time). With group_by=month, the months shown also bound it.",
    )

    months = serializers.IntegerField(
        default=12,
        min_value=1,
        max_value=60,
        help_text="With group_by=month: how many calendar months, up to now.",
    )


class NpsFiguresSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(
        allow_null=True, help_text="% promoters - % detractors, one decimal; null without answers."
    )


class NpsGroupSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True,
        help_text="Tier letter, month (YYYY-MM), account manager's user id, or industry; null for answers "
        "of customers without an account manager or industry.",
    )
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    nps = serializers.FloatField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        # `label` is declared here rather than as a class attribute, where it would stand for
        # Field.label (a field's own caption) to type checkers; it follows `key` in the answer.
        fields = super().get_fields()
        return {"key": fields.pop("key"), "label": serializers.CharField(), **fields}


class ResponseRateSerializer(serializers.Serializer):
    sent = serializers.IntegerField(help_text="Invitations sent.")
    responded = serializers.IntegerField(help_text="Of those, answered.")
    percent = serializers.FloatField(allow_null=True)


class RecoveryGroupSerializer(serializers.Serializer):
    detractors = serializers.IntegerField(help_text="NPS detractors whose contact has answered NPS again.")
    recovered = serializers.IntegerField(help_text="Of those, how many answered 7 or more next time.")
    percent = serializers.FloatField(allow_null=True)


class RecoverySerializer(serializers.Serializer):
    followed_up = RecoveryGroupSerializer(help_text="Detractors whose follow-up is done.")
    not_followed_up = RecoveryGroupSerializer(help_text="No follow-up, or one still open or cancelled.")


class NpsMetricsSerializer(serializers.Serializer):
    group_by = serializers.ChoiceField(choices=GROUP_BY_CHOICES)
    since = serializers.DateTimeField(
        allow_null=True, help_text="Start of the period counted; null: all time."
    )
    overall = NpsFiguresSerializer()
    groups = NpsGroupSerializer(many=True)
    response_rate = ResponseRateSerializer()
    median_time_to_first_contact_seconds = serializers.FloatField(
        allow_null=True, help_text="Median time from a follow-up's creation to its first contact."
    )
    recovery = RecoverySerializer()
