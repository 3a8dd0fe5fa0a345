"""Every public form, posted with the headers a real browser sends, through Django's CSRF check.

Django's test client sends no Origin and no Sec-Fetch-* headers, and by default skips the CSRF check,
so it never saw that Chromium could not post the survey page: under `Referrer-Policy: no-referrer`
a form post carries `Origin: null`, and Django refuses an Origin that is not the site's (403). These
tests post the way Chromium does on a page served with the site's own policy: the real Origin, the
Sec-Fetch-* headers of a top-level form submit, a same-origin Referer, and the CSRF cookie and token
from GETting the page first. They need no browser; tests/browser/test_journeys.py does the same in
Chromium.
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from customers.models import Contact
from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse
from surveys.services.links import invitation_token, unsubscribe_token
from tests.factories import ContactFactory, SurveyInvitationFactory, active_survey

pytestmark = pytest.mark.django_db

# The tests run with DEBUG off, so every request is HTTPS (secure=True) to the test client's host.
ORIGIN = "https://testserver"


def browser_headers(*, referer: str | None, origin: str = ORIGIN) -> dict[str, str]:
    """What Chromium sends with a form submitted from a page of this site."""
    headers = {
        "HTTP_ORIGIN": origin,
        "HTTP_SEC_FETCH_SITE": "same-origin",
        "HTTP_SEC_FETCH_MODE": "navigate",
        "HTTP_SEC_FETCH_DEST": "document",
        "HTTP_SEC_FETCH_USER": "?1",
    }
    if referer is not None:
        headers["HTTP_REFERER"] = referer
    return headers


def csrf_token_of(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def invitation_for(kind: str) -> SurveyInvitation:
    return SurveyInvitationFactory.create(
        survey=active_survey(kind), contact=ContactFactory.create(language="nb")
    )


def open_answer_page(browser: Client, invitation: SurveyInvitation) -> tuple[str, str]:
    """GET the answer page like a browser following the email link; its URL and the form's token."""
    url = reverse("surveys:respond", args=[invitation_token(invitation.pk)])
    page = browser.get(url, secure=True)
    assert page.status_code == 200
    return url, csrf_token_of(page.content.decode())


@pytest.mark.parametrize("kind", [SurveyKind.NPS, SurveyKind.CSAT, SurveyKind.CES])
def test_an_answer_posted_as_chromium_posts_it_passes_the_csrf_check_and_is_stored(kind):
    invitation = invitation_for(kind)
    browser = Client(enforce_csrf_checks=True)
    url, token = open_answer_page(browser, invitation)
    score = invitation.survey.scale[-1]

    response = browser.post(
        url,
        {"csrfmiddlewaretoken": token, "score": str(score), "comment": "Rask hjelp."},
        secure=True,
        **browser_headers(referer=f"{ORIGIN}{url}"),
    )

    assert response.status_code == 302
    assert response["Location"] == f"{url}thanks/"
    stored = SurveyResponse.objects.get(invitation=invitation)
    assert (stored.kind, stored.score, stored.comment) == (kind, score, "Rask hjelp.")


def test_an_answer_posted_without_any_referer_passes_as_well():
    # Some privacy settings strip the Referer even same-origin; the Origin alone must do.
    invitation = invitation_for(SurveyKind.NPS)
    browser = Client(enforce_csrf_checks=True)
    url, token = open_answer_page(browser, invitation)

    response = browser.post(
        url, {"csrfmiddlewaretoken": token, "score": "10"}, secure=True, **browser_headers(referer=None)
    )

    assert response.status_code == 302
    assert SurveyResponse.objects.filter(invitation=invitation, score=10).exists()


def test_an_answer_posted_with_origin_null_is_refused_and_nothing_is_stored():
    # What Chromium sent while the page said `Referrer-Policy: no-referrer`: pinned, so that policy
    # cannot come back unnoticed.
    invitation = invitation_for(SurveyKind.NPS)
    browser = Client(enforce_csrf_checks=True)
    url, token = open_answer_page(browser, invitation)

    response = browser.post(
        url,
        {"csrfmiddlewaretoken": token, "score": "10"},
        secure=True,
        **browser_headers(referer=None, origin="null"),
    )

    assert response.status_code == 403
    assert not SurveyResponse.objects.filter(invitation=invitation).exists()
    invitation.refresh_from_db()
    assert invitation.responded_at is None


def test_the_answer_page_keeps_the_token_on_this_site_without_nulling_the_origin_of_its_form():
    # `no-referrer` would keep the token in the URL from other sites too, but it also makes the
    # browser send `Origin: null` with the page's own form, which CSRF refuses (the test above).
    # `same-origin` sends no Referer to any other site and the real Origin to this one.
    invitation = invitation_for(SurveyKind.NPS)

    page = Client().get(reverse("surveys:respond", args=[invitation_token(invitation.pk)]), secure=True)

    assert page["Referrer-Policy"] != "no-referrer"
    assert page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    assert '<meta name="referrer" content="same-origin">' in html
    assert "no-referrer" not in html.replace('rel="noreferrer"', "")


def test_the_unsubscribe_confirmation_posted_as_chromium_posts_it_opts_the_contact_out():
    contact = ContactFactory.create(language="nb")
    browser = Client(enforce_csrf_checks=True)
    url = reverse("surveys:unsubscribe", args=[unsubscribe_token(contact.pk)])
    page = browser.get(url, secure=True)
    assert page.status_code == 200
    assert page["Referrer-Policy"] == "same-origin"

    response = browser.post(url, {}, secure=True, **browser_headers(referer=f"{ORIGIN}{url}"))

    assert response.status_code == 200
    assert "Du er meldt av" in response.content.decode()
    assert Contact.objects.get(pk=contact.pk).opted_out is True
