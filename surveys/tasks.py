"""Celery entry points of the surveys app: thin, idempotent wrappers around one service each."""

from celery import shared_task
from django.db import OperationalError

from surveys import services


@shared_task(name="surveys.invite_after_purchases", acks_late=True, soft_time_limit=600, time_limit=660)
def invite_after_purchases() -> int:
    """Invite customers' contacts to NPS after a purchase; return how many were invited."""
    return sum(dispatch.invited for dispatch in services.invite_after_purchases())


@shared_task(name="surveys.send_pending_invitations", acks_late=True, soft_time_limit=240, time_limit=280)
def send_pending_invitations() -> int:
    """Send unsent invitation emails from the outbox; return how many were sent."""
    return services.send_pending_invitations()


@shared_task(
    name="surveys.refresh_customer_satisfaction",
    acks_late=True,
    # A million customers take a few minutes (see surveys.services.satisfaction); the limits stop a
    # stuck run well before the broker's visibility timeout hands the message to a second worker.
    soft_time_limit=45 * 60,
    time_limit=50 * 60,
    autoretry_for=(OperationalError,),
    retry_backoff=60,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=3,
)
def refresh_customer_satisfaction() -> int:
    """Rebuild every customer's latest NPS and account NPS; return how many rows changed.

    Idempotent: chunks that committed before a failure are simply found unchanged by the retry.
    """
    return services.refresh_customer_satisfaction()
