"""The small forms behind the follow-up page's buttons; each one feeds one service call."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import AbstractUser
from django.utils.translation import gettext_lazy as _

from customers.models import Channel, Contact, Customer, Direction, Interaction
from followups.models import Outcome
from followups.selectors import assignable_users


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("What was said, what was agreed…")}),
        strip=True,
    )


class CompleteForm(forms.Form):
    # No default: the first option is "choose", so completing takes a deliberate pick. Starting on
    # "Recovered" let one careless click inflate the recovery rate.
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose the outcome…")), *Outcome.choices],
        error_messages={"required": _("Choose the outcome of the follow-up.")},
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": _("Optional: how it ended")}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": _("E.g. duplicate of another follow-up")}),
        error_messages={"required": _("Say why the follow-up is cancelled.")},
    )


def name_and_username(user: Any) -> str:
    """'Kari Nordmann (kari)': as colleagues know them, with the username to tell two apart."""
    full_name = user.get_full_name() if isinstance(user, AbstractUser) else ""
    username = user.get_username()
    return f"{full_name} ({username})" if full_name else username


class AssigneeChoiceField(forms.ModelChoiceField):
    """People by full name and username (name_and_username), in the queryset's order."""

    def label_from_instance(self, obj: Any) -> str:
        return name_and_username(obj)


class ReassignForm(forms.Form):
    # Empty means the shared queue, which is a real choice here, not a missing value.
    to = AssigneeChoiceField(
        label=_("Assign to"),
        queryset=assignable_users(),
        required=False,
        empty_label=_("Shared queue"),
    )


class AssignSelectedForm(ReassignForm):
    """The list's "Assign to ..." action: the same choice, for the ticked follow-ups."""

    # The admin's action form fields, carried through the intermediate page.
    action = forms.CharField(widget=forms.HiddenInput)
    post = forms.CharField(widget=forms.HiddenInput, initial="yes")


# The channels the follow-up page logs (the others are the customer's own: chats and web forms).
LOGGED_CHANNELS = (Channel.PHONE, Channel.MEETING, Channel.EMAIL)
_LOCAL_MINUTE = "%Y-%m-%dT%H:%M"


class InteractionLogForm(forms.ModelForm):
    """A call, meeting or email about a follow-up, for customers.services.log_interaction.

    The duration is optional in the form so that an email needs none; Interaction.clean() (run by
    the form) refuses 0 or empty for calls and meetings, with the message on the duration field.
    """

    channel = forms.ChoiceField(label=_("Channel"), choices=[(c.value, c.label) for c in LOGGED_CHANNELS])
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    # The phone's own date and time picker; the value is in the user's time zone (Oslo).
    occurred_at = forms.DateTimeField(
        label=_("When"),
        input_formats=[_LOCAL_MINUTE],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_MINUTE),
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        required=False,
        min_value=0,
        max_value=24 * 60,
        help_text=_("Required for calls and meetings."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    summary = forms.CharField(
        label=_("Summary"),
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": _("What was said, what was agreed…")}),
    )

    class Meta:
        model = Interaction
        fields = ["channel", "direction", "contact", "occurred_at", "duration_minutes", "summary"]
        labels = {"contact": _("Contact person")}

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The customer is the follow-up's, not a choice: the model's clean() and the service read it.
        self.instance.customer = customer
        contact = self.fields["contact"]
        if isinstance(contact, forms.ModelChoiceField):  # always: the model's foreign key
            contact.queryset = Contact.objects.filter(customer_id=customer.pk).order_by("name")

    def clean_duration_minutes(self) -> int:
        return self.cleaned_data.get("duration_minutes") or 0
