"""Celery entry points of the surveys app: thin, idempotent wrappers around one service each."""

from celery import shared_task

from surveys import services


@shared_task(name="surveys.invite_after_purchases", acks_late=True, soft_time_limit=600, time_limit=660)
def invite_after_purchases() -> int:
    """Invite customers' contacts to NPS after a purchase; return how many were invited."""
    return sum(dispatch.invited for dispatch in services.invite_after_purchases())


@shared_task(name="surveys.send_pending_invitations", acks_late=True, soft_time_limit=240, time_limit=280)
def send_pending_invitations() -> int:
    """Send unsent invitation emails from the outbox; return how many were sent."""
    return services.send_pending_invitations()
