"""Who gets asked, when: invitations under one survey-fatigue policy, and survey suppression."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from core.tasks import enqueue_on_commit
from core.types import User
from customers.models import Contact, RevenueLine
from surveys.models import (
    SurveyDispatch,
    SurveyInvitation,
    SurveyKind,
    SurveyPolicy,
    SurveySuppression,
    Trigger,
)

from .responses import active_survey


def invite_contacts(
    *,
    contacts: QuerySet[Contact],
    kind: str,
    trigger: str,
    trigger_key: str,
    created_by: User | None = None,
    respect_cooldown: bool = True,
) -> SurveyDispatch:
    """Invite contacts to the active survey of a kind, skipping and counting whom the policy protects.

    A contact is skipped, and counted under the first rule that stops it, when it has opted out, has no
    email, was already invited for this `trigger_key`, belongs to a customer with an active suppression
    (an open follow-up), or was invited within the cool-down. `respect_cooldown=False` is for the
    recovery survey after a follow-up, which continues the conversation the contact started.
    Idempotent per (contact, trigger_key). Emails go out from the outbox after commit.
    """
    policy = SurveyPolicy.current()
    survey = active_survey(kind)
    now = timezone.now()
    with transaction.atomic():
        # Lock the people in pk order: two dispatches reaching the same contact queue up here instead
        # of both passing the cool-down check.
        ids = list(contacts.select_for_update().order_by("pk").values_list("pk", flat=True))
        people = Contact.objects.filter(pk__in=ids).annotate(
            invited_for_this=Exists(
                SurveyInvitation.objects.filter(contact=OuterRef("pk"), trigger_key=trigger_key)
            ),
            suppressed=Exists(
                SurveySuppression.objects.filter(customer=OuterRef("customer_id"), lifted_at__isnull=True)
            ),
            recently_invited=Exists(
                SurveyInvitation.objects.filter(
                    contact=OuterRef("pk"), created_at__gte=now - timedelta(days=policy.cooldown_days)
                )
            ),
        )
        reachable = Q(opted_out=False) & ~Q(email="")
        not_yet = reachable & Q(invited_for_this=False)
        unsuppressed = not_yet & Q(suppressed=False)
        eligible = unsuppressed & Q(recently_invited=False) if respect_cooldown else unsuppressed
        counts = people.aggregate(
            n_candidates=Count("pk"),
            n_opted_out=Count("pk", filter=Q(opted_out=True)),
            n_no_email=Count("pk", filter=Q(opted_out=False, email="")),
            n_already=Count("pk", filter=reachable & Q(invited_for_this=True)),
            n_suppressed=Count("pk", filter=not_yet & Q(suppressed=True)),
            n_cooldown=Count(
                "pk", filter=unsuppressed & Q(recently_invited=True) if respect_cooldown else Q(pk=None)
            ),
        )
        expires_at = now + timedelta(days=policy.invitation_valid_days)
        created = SurveyInvitation.objects.bulk_create(
            [
                SurveyInvitation(
                    survey=survey,
                    customer_id=row["customer_id"],
                    contact_id=row["pk"],
                    trigger=trigger,
                    trigger_key=trigger_key,
                    created_by=created_by,
                    created_at=now,
                    expires_at=expires_at,
                )
                for row in people.filter(eligible).values("pk", "customer_id")
            ],
            batch_size=1000,
        )
        dispatch = SurveyDispatch.objects.create(
            trigger=trigger,
            started_at=now,
            created_by=created_by,
            candidates=counts["n_candidates"],
            invited=len(created),
            skipped_opted_out=counts["n_opted_out"],
            skipped_no_email=counts["n_no_email"],
            skipped_already_invited=counts["n_already"],
            skipped_suppressed=counts["n_suppressed"],
            skipped_cooldown=counts["n_cooldown"],
        )
        if created:
            # surveys.tasks imports these services, so the task is looked up when needed.
            from surveys.tasks import send_pending_invitations

            enqueue_on_commit(send_pending_invitations)
    return dispatch


def invite_after_purchases(*, today: date | None = None, catch_up_days: int = 3) -> list[SurveyDispatch]:
    """Invite the contacts of customers who bought something `purchase_delay_days` ago (NPS).

    Looks back `catch_up_days` purchase dates so a day the job did not run is made up for; the
    per-date trigger key keeps a rerun from inviting anyone twice.
    """
    today = today or timezone.localdate()
    policy = SurveyPolicy.current()
    newest = today - timedelta(days=policy.purchase_delay_days)
    dispatches = []
    for offset in range(catch_up_days - 1, -1, -1):
        purchase_date = newest - timedelta(days=offset)
        buyers = RevenueLine.objects.filter(date=purchase_date).values("customer_id")
        dispatches.append(
            invite_contacts(
                contacts=Contact.objects.filter(customer_id__in=buyers),
                kind=SurveyKind.NPS,
                trigger=Trigger.PURCHASE,
                trigger_key=f"purchase:{purchase_date.isoformat()}",
            )
        )
    return dispatches


def suppress_surveys(*, customer_id: int, reason: str) -> None:
    """Hold back surveys to a customer until lifted (idempotent per reason)."""
    SurveySuppression.objects.get_or_create(customer_id=customer_id, reason=reason)


def lift_survey_suppression(*, customer_id: int, reason: str) -> None:
    """Let surveys reach the customer again, unless another reason still holds them back."""
    SurveySuppression.objects.filter(customer_id=customer_id, reason=reason, lifted_at__isnull=True).update(
        lifted_at=timezone.now()
    )


def opt_out_contact(*, contact_id: int) -> bool:
    """Stop all surveys to a person; return whether anything changed (it is safe to repeat)."""
    return bool(
        Contact.objects.filter(pk=contact_id, opted_out=False).update(
            opted_out=True, opted_out_at=timezone.now()
        )
    )
