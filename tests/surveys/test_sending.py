"""The invitation outbox: what the email says, who gets it, and what happens when sending fails."""

import smtplib
from collections.abc import Sequence
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.utils import timezone

from surveys.models import SurveyInvitation, SurveyKind
from surveys.services import retry_failed_invitations, send_pending_invitations
from surveys.services.links import survey_url, unsubscribe_url
from surveys.services.sending import MAX_SEND_ATTEMPTS
from tests.factories import ContactFactory, SurveyInvitationFactory, active_survey

pytestmark = pytest.mark.django_db

FAILING_BACKEND = "tests.surveys.test_sending.RejectingBackend"


class RejectingBackend(LocmemBackend):
    """Delivers like locmem, except that the server refuses any address at bounce.example."""

    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        for message in messages:
            refused = [address for address in message.recipients() if address.endswith("@bounce.example")]
            if refused:
                raise smtplib.SMTPRecipientsRefused({address: (550, b"No such user") for address in refused})
        return super().send_messages(messages)


class LongErrorBackend(LocmemBackend):
    def send_messages(self, messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPDataError(554, "x" * 2000)


def invitation_for(*, language: str = "nb", email: str | None = None, **kwargs) -> SurveyInvitation:
    contact_kwargs = {"language": language} if email is None else {"language": language, "email": email}
    return SurveyInvitationFactory.create(contact=ContactFactory.create(**contact_kwargs), **kwargs)


def test_an_invitation_email_speaks_norwegian_to_a_norwegian_contact(mailoutbox):
    invitation = invitation_for(language="nb")

    send_pending_invitations()

    [message] = mailoutbox
    assert message.to == [invitation.contact.email]
    assert message.subject == "Et raskt spørsmål fra oss"
    assert invitation.survey.question_nb in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="nb">' in html
    assert invitation.survey.question_nb in html


def test_an_invitation_email_speaks_english_to_an_english_contact(mailoutbox):
    invitation = invitation_for(language="en")

    send_pending_invitations()

    [message] = mailoutbox
    assert message.subject == "A quick question from us"
    assert invitation.survey.question_en in message.body
    assert invitation.survey.question_en in message.alternatives[0][0]


def test_an_invitation_email_comes_from_the_default_sender(mailoutbox, settings):
    settings.DEFAULT_FROM_EMAIL = "Kundeservice <kundeservice@firma.no>"
    invitation_for()

    send_pending_invitations()

    assert mailoutbox[0].from_email == "Kundeservice <kundeservice@firma.no>"


def test_an_invitation_email_links_the_survey_and_one_preselecting_link_per_score(mailoutbox):
    invitation = invitation_for()

    # The link's signature carries the second it was made: frozen, the link built here is the mailed one.
    with time_machine.travel(timezone.now(), tick=False):
        send_pending_invitations()
        url = survey_url(invitation.pk)

    message = mailoutbox[0]
    html = message.alternatives[0][0]
    assert url in message.body
    for score in range(0, 11):
        assert f'href="{url}?score={score}"' in html


def test_an_invitation_email_carries_one_click_unsubscribe_headers_and_link(mailoutbox):
    invitation = invitation_for()

    with time_machine.travel(timezone.now(), tick=False):
        send_pending_invitations()
        opt_out = unsubscribe_url(invitation.contact_id)

    message = mailoutbox[0]
    assert message.extra_headers["List-Unsubscribe"] == f"<{opt_out}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert opt_out in message.body
    assert opt_out in message.alternatives[0][0]


def test_the_link_in_the_email_opens_the_survey_page(mailoutbox, client):
    invitation = invitation_for(language="en")
    send_pending_invitations()
    link = next(word for word in mailoutbox[0].body.split() if word.startswith("http") and "/s/" in word)

    response = client.get(urlsplit(link).path, secure=True)

    assert response.status_code == 200
    assert invitation.survey.question_en in response.content.decode()


def test_sending_marks_the_invitation_sent_and_a_second_run_sends_nothing(mailoutbox):
    invitation = invitation_for()

    first = send_pending_invitations()
    second = send_pending_invitations()

    assert (first, second) == (1, 0)
    assert len(mailoutbox) == 1
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    assert invitation.send_attempts == 1
    assert invitation.last_error == ""


def test_expired_invitations_are_not_sent(mailoutbox):
    invitation = invitation_for(expires_at=timezone.now() - timedelta(seconds=1))

    sent = send_pending_invitations()

    assert sent == 0
    assert mailoutbox == []
    invitation.refresh_from_db()
    assert invitation.sent_at is None


def test_invitations_to_contacts_who_opted_out_after_the_invitation_are_not_sent(mailoutbox):
    invitation = invitation_for()
    invitation.contact.opted_out = True
    invitation.contact.save(update_fields=["opted_out"])

    sent = send_pending_invitations()

    assert sent == 0
    assert mailoutbox == []


def test_invitations_to_contacts_whose_email_was_removed_are_not_sent(mailoutbox):
    invitation = invitation_for()
    invitation.contact.email = ""
    invitation.contact.save(update_fields=["email"])

    sent = send_pending_invitations()

    assert sent == 0
    assert mailoutbox == []


def test_a_refused_address_records_the_error_and_the_others_are_still_sent(mailoutbox, settings):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    before = invitation_for(email="ola@firma.no")
    refused = invitation_for(email="borte@bounce.example")
    after = invitation_for(email="kari@firma.no")

    sent = send_pending_invitations()

    assert sent == 2
    assert sorted(message.to[0] for message in mail.outbox) == ["kari@firma.no", "ola@firma.no"]
    refused.refresh_from_db()
    assert refused.sent_at is None
    assert refused.send_attempts == 1
    assert refused.last_error.startswith("SMTPRecipientsRefused")
    before.refresh_from_db()
    after.refresh_from_db()
    assert before.sent_at is not None
    assert after.sent_at is not None


def test_a_failed_invitation_is_tried_once_per_run_and_given_up_after_the_maximum(mailoutbox, settings):
    settings.EMAIL_BACKEND = FAILING_BACKEND
    refused = invitation_for(email="borte@bounce.example")

    for _ in range(MAX_SEND_ATTEMPTS + 2):
        send_pending_invitations()

    refused.refresh_from_db()
    assert refused.send_attempts == MAX_SEND_ATTEMPTS
    assert refused.sent_at is None


def test_a_long_error_is_truncated_to_fit(mailoutbox, settings):
    settings.EMAIL_BACKEND = "tests.surveys.test_sending.LongErrorBackend"
    invitation = invitation_for()

    send_pending_invitations()

    invitation.refresh_from_db()
    assert len(invitation.last_error) == 500
    assert invitation.last_error.startswith("SMTPDataError")


def test_retrying_gives_an_invitation_that_gave_up_a_fresh_start(mailoutbox):
    invitation = invitation_for(send_attempts=MAX_SEND_ATTEMPTS, last_error="SMTPServerDisconnected")

    reset = retry_failed_invitations(invitation_ids=[invitation.pk])
    sent = send_pending_invitations()

    assert (reset, sent) == (1, 1)
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    assert invitation.last_error == ""


def test_the_outbox_sends_the_oldest_first_and_stops_at_the_limit(mailoutbox):
    now = timezone.now()
    newest = invitation_for(created_at=now)
    oldest = invitation_for(created_at=now - timedelta(hours=2))
    middle = invitation_for(created_at=now - timedelta(hours=1))

    sent = send_pending_invitations(limit=2)

    assert sent == 2
    assert [message.to[0] for message in mailoutbox] == [oldest.contact.email, middle.contact.email]
    newest.refresh_from_db()
    assert newest.sent_at is None


def test_the_outbox_works_through_more_than_one_batch(mailoutbox):
    SurveyInvitationFactory.create_batch(45)

    sent = send_pending_invitations()

    assert sent == 45
    assert not SurveyInvitation.objects.filter(sent_at__isnull=True).exists()


def test_a_csat_invitation_email_links_its_own_scale(mailoutbox):
    invitation = invitation_for(survey=active_survey(SurveyKind.CSAT))

    send_pending_invitations()

    html = mailoutbox[0].alternatives[0][0]
    url = survey_url(invitation.pk)
    assert [score for score in range(0, 11) if f'href="{url}?score={score}"' in html] == [1, 2, 3, 4, 5]
