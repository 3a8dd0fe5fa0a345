"""The small forms behind the follow-up page's buttons; each one feeds one service call."""

from __future__ import annotations

from django import forms

from followups.models import Outcome
from followups.selectors import assignable_users


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What was said, what was agreed…"}),
        strip=True,
    )


class CompleteForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=Outcome.choices)
    note = forms.CharField(
        label="Note",
        required=False,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "Optional: how it ended"}),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": "E.g. duplicate of another follow-up"}),
    )


class ReassignForm(forms.Form):
    # Empty means the shared queue, which is a real choice here, not a missing value.
    to = forms.ModelChoiceField(
        label="Assign to",
        queryset=assignable_users(),
        required=False,
        empty_label="Shared queue",
    )
