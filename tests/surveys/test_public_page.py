"""The public survey page and the unsubscribe page: what a contact sees and what a click changes."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.errors import BadInput
from customers.models import Contact
from surveys.models import Category, Source, SurveyInvitation, SurveyKind, SurveyResponse
from surveys.services import (
    InvitationAlreadyAnswered,
    InvitationExpired,
    submit_invitation_response,
)
from surveys.services.links import invitation_token, unsubscribe_token
from tests.factories import ContactFactory, SurveyInvitationFactory, active_survey

pytestmark = pytest.mark.django_db


def respond_url(invitation: SurveyInvitation) -> str:
    return reverse("surveys:respond", args=[invitation_token(invitation.pk)])


def unsubscribe_path(contact: Contact) -> str:
    return reverse("surveys:unsubscribe", args=[unsubscribe_token(contact.pk)])


def invitation_for(*, kind: str = SurveyKind.NPS, language: str = "nb", **kwargs) -> SurveyInvitation:
    return SurveyInvitationFactory.create(
        survey=active_survey(kind), contact=ContactFactory.create(language=language), **kwargs
    )


def score_values(html: str) -> list[int]:
    return [int(value) for value in re.findall(r'name="score" id="score-\d+" value="(\d+)"', html)]


def tampered(token: str) -> str:
    """The token with one character changed."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


# --- The page


def test_page_asks_the_question_in_norwegian_for_a_norwegian_contact(client):
    invitation = invitation_for(language="nb")

    response = client.get(respond_url(invitation), secure=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="nb">' in html
    assert response["Content-Language"] == "nb"
    assert invitation.survey.question_nb in html
    assert invitation.survey.low_label_nb in html
    assert "Send svar" in html
    assert invitation.survey.question_en not in html


def test_page_asks_the_question_in_english_for_an_english_contact(client):
    invitation = invitation_for(language="en")

    response = client.get(respond_url(invitation), secure=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert invitation.survey.question_en in html
    assert invitation.survey.high_label_en in html
    assert "Send answer" in html


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (SurveyKind.NPS, list(range(0, 11))),
        (SurveyKind.CSAT, list(range(1, 6))),
        (SurveyKind.CES, list(range(1, 8))),
    ],
)
def test_each_kind_shows_one_button_per_point_of_its_scale(client, kind, expected):
    invitation = invitation_for(kind=kind)

    response = client.get(respond_url(invitation), secure=True)

    assert score_values(response.content.decode()) == expected


def test_each_score_button_has_a_label_bound_to_its_radio_input(client):
    invitation = invitation_for(kind=SurveyKind.CSAT)

    html = client.get(respond_url(invitation), secure=True).content.decode()

    for value in range(1, 6):
        assert f'id="score-{value}"' in html
        assert f'<label for="score-{value}">' in html
    assert '<label class="comment" for="comment">' in html


def test_a_score_in_the_link_is_preselected_but_not_stored(client):
    invitation = invitation_for()

    response = client.get(respond_url(invitation) + "?score=9", secure=True)

    assert 'value="9" checked' in response.content.decode()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.responded_at is None


def test_page_is_not_cached_framed_or_leaking_its_token_as_referer(client):
    invitation = invitation_for()

    response = client.get(respond_url(invitation), secure=True)

    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


# --- Answering


def test_submit_stores_a_link_response_and_marks_the_invitation_answered(client):
    invitation = invitation_for()

    response = client.post(respond_url(invitation), {"score": "9", "comment": " Rask levering "}, secure=True)

    assert response.status_code == 302
    stored = SurveyResponse.objects.get()
    assert (stored.kind, stored.score, stored.comment, stored.source) == (
        SurveyKind.NPS,
        9,
        "Rask levering",
        Source.LINK,
    )
    assert (stored.invitation_id, stored.customer_id, stored.contact_id) == (
        invitation.pk,
        invitation.customer_id,
        invitation.contact_id,
    )
    invitation.refresh_from_db()
    assert invitation.responded_at == stored.submitted_at


def test_after_submitting_the_contact_is_thanked_in_their_language(client):
    invitation = invitation_for(language="en")

    response = client.post(respond_url(invitation), {"score": "8"}, secure=True, follow=True)

    assert response.status_code == 200
    assert "Thank you for your answer!" in response.content.decode()


def test_the_thank_you_page_of_an_unanswered_link_leads_back_to_the_question(client):
    invitation = invitation_for()
    token = invitation_token(invitation.pk)

    response = client.get(reverse("surveys:thanks", args=[token]), secure=True)

    assert response.status_code == 302
    assert response["Location"] == reverse("surveys:respond", args=[token])


def test_a_detractor_answer_is_stored_as_detractor_and_queues_its_follow_up_after_commit(
    client, django_capture_on_commit_callbacks
):
    invitation = invitation_for()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(respond_url(invitation), {"score": "3", "comment": "Treg support"}, secure=True)

    stored = SurveyResponse.objects.get()
    assert stored.category == Category.DETRACTOR
    # Without a broker the queued follow-up runs in-process; with one (CI), a worker creates it and
    # the Celery tests assert on it.
    assert callbacks


def test_a_promoter_answer_queues_nothing(client, django_capture_on_commit_callbacks):
    invitation = invitation_for()

    with django_capture_on_commit_callbacks() as callbacks:
        client.post(respond_url(invitation), {"score": "10"}, secure=True)

    assert SurveyResponse.objects.get().category == Category.PROMOTER
    assert callbacks == []


def test_a_second_submit_shows_the_already_answered_page_and_stores_nothing(client):
    invitation = invitation_for()
    client.post(respond_url(invitation), {"score": "9"}, secure=True)

    response = client.post(respond_url(invitation), {"score": "2", "comment": "Endret mening"}, secure=True)

    assert response.status_code == 200
    assert "Du har allerede svart" in response.content.decode()
    assert SurveyResponse.objects.get().score == 9


def test_opening_an_answered_link_shows_the_already_answered_page(client):
    invitation = invitation_for(language="en")
    submit_invitation_response(invitation_id=invitation.pk, score=7, comment="")

    response = client.get(respond_url(invitation), secure=True)

    assert response.status_code == 200
    assert "You have already answered" in response.content.decode()


def test_an_expired_link_shows_the_expired_page_and_stores_nothing(client):
    invitation = invitation_for(expires_at=timezone.now() - timedelta(seconds=1))

    shown = client.get(respond_url(invitation), secure=True)
    posted = client.post(respond_url(invitation), {"score": "9"}, secure=True)

    assert shown.status_code == posted.status_code == 200
    assert "Lenken er utløpt" in shown.content.decode()
    assert "Lenken er utløpt" in posted.content.decode()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.responded_at is None


def test_a_tampered_link_gets_the_friendly_not_found_page_and_changes_nothing(client):
    invitation = invitation_for()
    url = reverse("surveys:respond", args=[tampered(invitation_token(invitation.pk))])

    shown = client.get(url, secure=True)
    posted = client.post(url, {"score": "9"}, secure=True)

    assert shown.status_code == posted.status_code == 404
    html = shown.content.decode()
    assert "Lenken virker ikke" in html
    assert "This link does not work" in html
    assert not SurveyResponse.objects.exists()


def test_a_link_signed_with_another_secret_key_is_rejected(client, settings):
    invitation = invitation_for()
    real_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-installation-0123456789abcdefghijklmnopqrstuvwxyz"
    forged = reverse("surveys:respond", args=[invitation_token(invitation.pk)])
    settings.SECRET_KEY = real_key

    response = client.post(forged, {"score": "9"}, secure=True)

    assert response.status_code == 404
    assert not SurveyResponse.objects.exists()


def test_an_unsubscribe_token_does_not_open_a_survey(client):
    invitation = invitation_for()
    # The same number signed for another purpose (salt) must not pass as an invitation.
    url = reverse("surveys:respond", args=[unsubscribe_token(invitation.pk)])

    response = client.get(url, secure=True)

    assert response.status_code == 404


def test_a_link_to_a_deleted_invitation_is_not_found(client):
    invitation = invitation_for()
    url = respond_url(invitation)
    invitation.delete()

    response = client.get(url, secure=True)

    assert response.status_code == 404
    assert "Lenken virker ikke" in response.content.decode()


@pytest.mark.parametrize(
    ("kind", "score"),
    [(SurveyKind.NPS, "11"), (SurveyKind.CSAT, "0"), (SurveyKind.CES, "8"), (SurveyKind.NPS, "-1")],
)
def test_a_score_off_the_scale_is_rejected_with_400_and_nothing_is_stored(client, kind, score):
    invitation = invitation_for(kind=kind)

    response = client.post(respond_url(invitation), {"score": score, "comment": "Hei"}, secure=True)

    assert response.status_code == 400
    assert "Velg et tall fra" in response.content.decode()
    assert not SurveyResponse.objects.exists()
    invitation.refresh_from_db()
    assert invitation.responded_at is None


def test_a_rejected_form_keeps_the_comment_the_contact_wrote(client):
    invitation = invitation_for(language="en")

    response = client.post(respond_url(invitation), {"comment": "Leveransen kom for sent"}, secure=True)

    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a number from 0 to 10 before sending." in html
    assert "Leveransen kom for sent</textarea>" in html


def test_a_comment_longer_than_the_limit_is_rejected(client):
    invitation = invitation_for()

    response = client.post(respond_url(invitation), {"score": "5", "comment": "x" * 5001}, secure=True)

    assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_the_answer_form_requires_the_csrf_token():
    invitation = invitation_for()
    strict = Client(enforce_csrf_checks=True)

    response = strict.post(respond_url(invitation), {"score": "9"}, secure=True)

    assert response.status_code == 403
    assert not SurveyResponse.objects.exists()


# --- The service behind the form


def test_submitting_twice_through_the_service_raises_already_answered():
    invitation = invitation_for()
    submit_invitation_response(invitation_id=invitation.pk, score=9, comment="")

    with pytest.raises(InvitationAlreadyAnswered):
        submit_invitation_response(invitation_id=invitation.pk, score=1, comment="")

    assert SurveyResponse.objects.count() == 1


def test_submitting_to_an_expired_invitation_raises_expired():
    invitation = invitation_for(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(InvitationExpired):
        submit_invitation_response(invitation_id=invitation.pk, score=9, comment="")

    assert not SurveyResponse.objects.exists()


def test_an_invalid_score_does_not_use_up_the_invitation():
    invitation = invitation_for(kind=SurveyKind.CSAT)

    with pytest.raises(BadInput):
        submit_invitation_response(invitation_id=invitation.pk, score=6, comment="")
    response = submit_invitation_response(invitation_id=invitation.pk, score=5, comment="")

    assert response.score == 5


# --- Unsubscribe


def test_unsubscribe_page_asks_first_in_the_contacts_language_and_changes_nothing(client):
    contact = ContactFactory.create(language="en")

    response = client.get(unsubscribe_path(contact), secure=True)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Yes, unsubscribe me" in html
    contact.refresh_from_db()
    assert contact.opted_out is False


def test_confirming_the_unsubscribe_page_opts_the_contact_out(client):
    contact = ContactFactory.create(language="nb")

    response = client.post(unsubscribe_path(contact), secure=True)

    assert response.status_code == 200
    assert "Du er meldt av" in response.content.decode()
    contact.refresh_from_db()
    assert contact.opted_out is True
    assert contact.opted_out_at is not None


def test_one_click_unsubscribe_from_a_mail_client_opts_out_without_a_csrf_token():
    contact = ContactFactory.create()
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        unsubscribe_path(contact),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        secure=True,
    )

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out is True


def test_unsubscribing_twice_keeps_the_first_opt_out_time(client):
    contact = ContactFactory.create()
    client.post(unsubscribe_path(contact), secure=True)
    contact.refresh_from_db()
    first = contact.opted_out_at

    response = client.post(unsubscribe_path(contact), secure=True)

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.opted_out_at == first


def test_a_tampered_unsubscribe_link_is_not_found_and_opts_no_one_out(client):
    contact = ContactFactory.create()
    url = reverse("surveys:unsubscribe", args=[tampered(unsubscribe_token(contact.pk))])

    response = client.post(url, secure=True)

    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.opted_out is False


def test_a_survey_token_does_not_unsubscribe_anyone(client):
    contact = ContactFactory.create()
    url = reverse("surveys:unsubscribe", args=[invitation_token(contact.pk)])

    response = client.post(url, secure=True)

    assert response.status_code == 404
    contact.refresh_from_db()
    assert contact.opted_out is False


def test_unsubscribe_page_is_not_cached_and_sends_no_referer_to_other_sites(client):
    contact = ContactFactory.create()

    response = client.get(unsubscribe_path(contact), secure=True)

    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]


def test_a_refused_form_post_on_the_survey_page_explains_itself_in_the_contacts_language():

    invitation = SurveyInvitationFactory.create(contact=ContactFactory.create(language="en"))
    browser_without_cookies = Client(enforce_csrf_checks=True)

    response = browser_without_cookies.post(
        reverse("surveys:respond", args=[invitation_token(invitation.pk)]), {"score": "9"}, secure=True
    )

    assert response.status_code == 403
    assert "Your answer was not sent" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_refused_form_post_elsewhere_gets_djangos_page():

    response = Client(enforce_csrf_checks=True).post(reverse("admin:login"), {}, secure=True)

    assert response.status_code == 403
    assert "CSRF verification failed" in response.content.decode()


def test_a_megabyte_comment_is_refused_and_not_sent_back_in_the_page(client):
    invitation = invitation_for(language="en")

    response = client.post(respond_url(invitation), {"score": "5", "comment": "x" * 1_000_000}, secure=True)

    html = response.content.decode()
    assert response.status_code == 400
    assert len(response.content) < 20_000
    assert 'aria-invalid="true"' in html
    assert "xxxxxxxxxx" not in html
    assert not SurveyResponse.objects.exists()
