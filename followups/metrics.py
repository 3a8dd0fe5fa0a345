"""How well the loop closes: time to first contact, and whether follow-up recovers the score.

Reads only, each a small fixed number of set-based queries that give the same answers on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)

from followups.models import FollowUpTask, Status
from surveys.models import SurveyKind, SurveyResponse
from surveys.selectors import percentage


def median_time_to_first_contact(
    since: datetime | None = None, *, tasks: QuerySet[FollowUpTask] | None = None
) -> timedelta | None:
    """Give the median time from a follow-up's creation to its first contact (follow-ups created since).

    `tasks` narrows the follow-ups counted (the dashboard's filters); all of them by default.
    """
    return first_contact_wait(since, tasks=tasks)[0]


def first_contact_wait(
    since: datetime | None = None, *, tasks: QuerySet[FollowUpTask] | None = None
) -> tuple[timedelta | None, int]:
    """Give the median wait for a first contact and the number of contacted follow-ups it is the median of."""
    contacted = (FollowUpTask.objects.all() if tasks is None else tasks).filter(
        first_contact_at__isnull=False
    )
    if since is not None:
        contacted = contacted.filter(created_at__gte=since)
    count = contacted.count()
    if not count:
        return None, 0
    # Neither backend has a portable MEDIAN/PERCENTILE_CONT, so sort the durations in SQL and read
    # the middle one (or two) with OFFSET: two queries whatever the number of follow-ups.
    middle = (
        contacted.annotate(
            waited=ExpressionWrapper(F("first_contact_at") - F("created_at"), output_field=DurationField())
        )
        .order_by("waited", "pk")
        .values_list("waited", flat=True)
    )
    if count % 2:
        return middle[count // 2], count
    low, high = middle[count // 2 - 1 : count // 2 + 1]
    return (low + high) / 2, count


@dataclass(frozen=True)
class RecoveryGroup:
    """Detractors with a later NPS answer, and how many of those answered 7 or more."""

    detractors: int
    recovered: int

    @property
    def percent(self) -> float | None:
        return percentage(self.recovered, self.detractors)


@dataclass(frozen=True)
class RecoveryFigures:
    followed_up: RecoveryGroup  # the detractor's follow-up is done
    not_followed_up: RecoveryGroup  # no follow-up, or one still open or cancelled


def recovery_rate(since: datetime | None = None) -> RecoveryFigures:
    """Compare how often NPS detractors answer 7 or more next time, with and without a completed follow-up.

    Only detractors (answered since `since`) whose contact has answered NPS again count: without a
    next answer nothing is known about recovery yet.
    """
    counts = (
        recovery_detractors(since)
        .order_by()
        .aggregate(
            followed_up=Count("pk", filter=Q(completed=True)),
            followed_up_recovered=Count("pk", filter=Q(completed=True, next_nps__gte=7)),
            not_followed_up=Count("pk", filter=Q(completed=False)),
            not_followed_up_recovered=Count("pk", filter=Q(completed=False, next_nps__gte=7)),
        )
    )
    return RecoveryFigures(
        followed_up=RecoveryGroup(counts["followed_up"], counts["followed_up_recovered"]),
        not_followed_up=RecoveryGroup(counts["not_followed_up"], counts["not_followed_up_recovered"]),
    )


def recovery_detractors(
    since: datetime | None = None, responses: QuerySet[SurveyResponse] | None = None
) -> QuerySet[SurveyResponse]:
    """Give the NPS detractors (answered since, among `responses`) whose contact has answered NPS again.

    Each is annotated with `next_nps` (the contact's next NPS score) and `completed` (whether its
    follow-up is done), for recovery_rate() and the dashboard's breakdowns to count.
    """
    next_score = (
        SurveyResponse.objects.filter(
            contact_id=OuterRef("contact_id"),
            kind=SurveyKind.NPS,
            submitted_at__gt=OuterRef("submitted_at"),
        )
        .order_by("submitted_at", "pk")
        .values("score")[:1]
    )
    detractors = (SurveyResponse.objects.all() if responses is None else responses).filter(
        kind=SurveyKind.NPS, score__lte=6, contact__isnull=False
    )
    if since is not None:
        detractors = detractors.filter(submitted_at__gte=since)
    return detractors.annotate(
        next_nps=Subquery(next_score),
        completed=Exists(FollowUpTask.objects.filter(response_id=OuterRef("pk"), status=Status.DONE)),
    ).filter(next_nps__isnull=False)
