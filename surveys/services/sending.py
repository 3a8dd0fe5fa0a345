"""The invitation outbox: unsent invitation rows become emails, a few at a time, safely in parallel."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.tasks import enqueue_on_commit
from surveys.models import SurveyInvitation, SurveySuppression

from .language import contact_language
from .links import survey_url, unsubscribe_url

logger = logging.getLogger(__name__)

# An invitation whose email failed this many times stays unsent until an operator retries it: a
# bad address or a rejecting server would otherwise be hammered every five minutes for a month.
MAX_SEND_ATTEMPTS = 5
# Rows claimed per transaction. The row locks are held while the SMTP server answers (a second or
# so per message), so a small batch keeps each transaction short and lets parallel workers share
# the queue through SKIP LOCKED instead of one worker holding it all.
BATCH_SIZE = 20
_ERROR_LENGTH = SurveyInvitation._meta.get_field("last_error").max_length or 500


def send_pending_invitations(*, limit: int = 200) -> int:
    """Email unsent, unexpired invitations, oldest first; return how many were sent.

    Each batch is claimed with SELECT ... FOR UPDATE SKIP LOCKED and sent inside the claiming
    transaction, so two workers never send the same invitation. A worker killed after the SMTP
    server accepted a message but before the commit sends it again on the next run: at least once,
    never lost. A failed send counts an attempt, keeps the error and moves on to the next row.
    """
    sent = 0
    # Rows that failed in this run are still eligible by the filter; without this they would be
    # retried over and over within one run instead of at the next scheduled one.
    tried: list[int] = []
    while len(tried) < limit:
        now = timezone.now()
        with transaction.atomic():
            batch = list(
                SurveyInvitation.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("survey", "contact", "customer")
                .filter(
                    sent_at__isnull=True,
                    expires_at__gt=now,
                    send_attempts__lt=MAX_SEND_ATTEMPTS,
                    contact__opted_out=False,
                )
                .exclude(contact__email="")
                # A follow-up opened after the invitation was made holds it back until it closes.
                .exclude(
                    Exists(
                        SurveySuppression.objects.filter(
                            customer=OuterRef("customer_id"), lifted_at__isnull=True
                        )
                    )
                )
                .exclude(pk__in=tried)
                .order_by("created_at", "pk")[: min(BATCH_SIZE, limit - len(tried))]
            )
            if not batch:
                break
            sent += _send_batch(batch)
        tried.extend(invitation.pk for invitation in batch)
    return sent


def retry_failed_invitations(*, invitation_ids: Iterable[int]) -> int:
    """Give unsent invitations that ran out of attempts a fresh start; return how many were reset.

    For after an operator fixed the cause (the mail server, an address); the outbox picks them up at
    once rather than at its next scheduled run.
    """
    with transaction.atomic():
        reset = SurveyInvitation.objects.filter(
            pk__in=list(invitation_ids), sent_at__isnull=True, send_attempts__gte=MAX_SEND_ATTEMPTS
        ).update(send_attempts=0, last_error="")
        if reset:
            # surveys.tasks imports the services, so the task is looked up when needed.
            from surveys.tasks import send_pending_invitations as send_task

            enqueue_on_commit(send_task)
    return reset


def _send_batch(batch: list[SurveyInvitation]) -> int:
    connection = get_connection()
    try:
        # One SMTP session for the batch rather than one per message.
        connection.open()
    except Exception:
        # Unreachable server: each send below tries to connect again and records the error on its
        # own invitation, so the attempt is counted and nothing is lost.
        logger.warning("Could not open the email connection", exc_info=True)
    sent = 0
    try:
        for invitation in batch:
            sent += _send_one(invitation, connection)
    finally:
        connection.close()
    return sent


def _send_one(invitation: SurveyInvitation, connection: BaseEmailBackend) -> int:
    try:
        invitation_email(invitation, connection=connection).send()
    except Exception as exc:
        # Any failure of the mail layer (SMTPException, OSError, a template error) belongs to this
        # invitation only; the rest of the batch still goes out.
        logger.warning("Survey invitation %s could not be sent", invitation.pk, exc_info=True)
        SurveyInvitation.objects.filter(pk=invitation.pk).update(
            send_attempts=F("send_attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:_ERROR_LENGTH]
        )
        # A dropped SMTP session would fail every later message of the batch; the next send
        # reconnects.
        connection.close()
        return 0
    SurveyInvitation.objects.filter(pk=invitation.pk).update(
        sent_at=timezone.now(), send_attempts=F("send_attempts") + 1, last_error=""
    )
    return 1


def invitation_email(
    invitation: SurveyInvitation, *, connection: BaseEmailBackend | None = None
) -> EmailMultiAlternatives:
    """The invitation email in the contact's language: text and HTML, one link per score."""
    contact = invitation.contact
    language = contact_language(contact.language)
    # The subject and both bodies are rendered here, in the contact's language, whatever language
    # the worker or the admin request that triggered the send happens to have active.
    with translation.override(language):
        return _invitation_email(invitation, language=language, connection=connection)


def _invitation_email(
    invitation: SurveyInvitation, *, language: str, connection: BaseEmailBackend | None
) -> EmailMultiAlternatives:
    contact = invitation.contact
    survey = invitation.survey
    url = survey_url(invitation.pk)
    opt_out_url = unsubscribe_url(contact.pk)
    low_label, high_label = survey.labels(language)
    subject = gettext("A quick question from us")
    context = {
        "language": language,
        "subject": subject,
        "contact_name": contact.name,
        "customer_name": invitation.customer.name,
        "question": survey.question(language),
        "low_label": low_label,
        "high_label": high_label,
        # One click on a number opens the page with that number chosen; the answer is stored only
        # when the form is sent, because mail scanners follow every link in a message.
        "scores": [(score, f"{url}?score={score}") for score in survey.scale],
        "survey_url": url,
        "unsubscribe_url": opt_out_url,
    }
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("surveys/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[contact.email],
        connection=connection,
        headers={
            # RFC 2369 and RFC 8058: mail clients show their own "unsubscribe" button, which POSTs
            # "List-Unsubscribe=One-Click" to the URL; large mailbox providers require both headers.
            "List-Unsubscribe": f"<{opt_out_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("surveys/email/invitation.html", context), "text/html")
    return message
