"""Query parameters of the follow-up list: parsing and narrowing only; who sees what is the view's."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from customers.models import Tier
from followups.models import ACTIVE_STATUSES, FollowUpTask, Status

QUEUE_CHOICES = [
    ("mine", _("Assigned to me")),
    ("shared", _("In the shared queue (unassigned)")),
    ("all", _("Everything I may see")),
]
# The values are what a client sends, not words for a person: not translated.
# ChoiceFilter rather than BooleanFilter: django-filter reads an unknown boolean as "no filter",
# and a typo like overdue=ture should answer 400, not quietly list everything.
BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


# help_text is OpenAPI documentation for developers (English); the queue labels are translated.
class FollowUpTaskFilter(filters.FilterSet):
    status = filters.MultipleChoiceFilter(
        choices=Status.choices,
        help_text="Repeat for several, e.g. status=open&status=in_progress for the work still to do.",
    )
    queue = filters.ChoiceFilter(
        choices=QUEUE_CHOICES,
        method="filter_queue",
        help_text="mine: assigned to me; shared: unassigned; all (default): everything I may see.",
    )
    overdue = filters.ChoiceFilter(
        choices=BOOLEAN_CHOICES,
        method="filter_overdue",
        help_text="true: open or in progress and past the due time; false: everything else.",
    )
    tier = filters.MultipleChoiceFilter(
        choices=Tier.choices,
        help_text="The customer's tier when the follow-up was created; repeat for several.",
    )

    class Meta:
        model = FollowUpTask
        fields = ["status", "queue", "overdue", "tier"]

    def filter_queue(self, queryset: QuerySet[FollowUpTask], name: str, value: str) -> QuerySet[FollowUpTask]:
        if value == "mine":
            return queryset.filter(assigned_to_id=self.request.user.pk)
        if value == "shared":
            return queryset.filter(assigned_to__isnull=True)
        return queryset

    def filter_overdue(
        self, queryset: QuerySet[FollowUpTask], name: str, value: str
    ) -> QuerySet[FollowUpTask]:
        late = Q(status__in=ACTIVE_STATUSES, due_at__lt=timezone.now())
        return queryset.filter(late) if value == "true" else queryset.exclude(late)
