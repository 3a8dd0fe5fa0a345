"""The survey pages and the invitation email speak the contact's language, whatever the browser says.

The texts live in the gettext catalogues (locale/); these tests read them through the compiled .mo,
so a missing or broken Norwegian translation fails here.
"""

import pytest
from django.urls import reverse
from django.utils import translation

from surveys.models import SurveyInvitation
from surveys.services.links import invitation_token, unsubscribe_token
from surveys.services.sending import invitation_email
from tests.factories import ContactFactory, SurveyInvitationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    # A request activates the browser's language in this thread and nothing deactivates it; without
    # this, the next test module would run in Norwegian and read "linje" where it expects "line".
    yield
    translation.deactivate()


def invitation_for(language: str) -> SurveyInvitation:
    return SurveyInvitationFactory.create(contact=ContactFactory.create(language=language, name="Kari"))


def respond_url(invitation: SurveyInvitation) -> str:
    return reverse("surveys:respond", args=[invitation_token(invitation.pk)])


def test_a_norwegian_contact_reads_norwegian_with_an_english_browser(client):
    invitation = invitation_for("nb")

    response = client.get(respond_url(invitation), secure=True, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    html = response.content.decode()
    assert '<html lang="nb">' in html
    assert response["Content-Language"] == "nb"
    assert "Hei Kari," in html
    assert "Vi vil gjerne vite hva du synes. Det tar under ett minutt." in html
    assert "<title>Spørreundersøkelse</title>" in html
    assert "Send svar" in html
    assert "Jeg vil ikke få flere undersøkelser" in html
    assert "Send answer" not in html


def test_an_english_contact_reads_english_with_a_norwegian_browser(client):
    invitation = invitation_for("en")

    response = client.get(respond_url(invitation), secure=True, HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9")

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert response["Content-Language"] == "en"
    assert "Hi Kari," in html
    assert "<title>Survey</title>" in html
    assert "Send answer" in html
    assert "Send svar" not in html


def test_the_page_varies_on_accept_language_for_caches(client):
    invitation = invitation_for("nb")

    response = client.get(respond_url(invitation), secure=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Accept-Language" in response["Vary"]


def test_a_refused_answer_is_explained_in_the_contacts_language(client):
    invitation = invitation_for("nb")

    response = client.post(respond_url(invitation), {"score": ""}, secure=True, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert "Velg et tall fra 0 til 10 før du sender." in response.content.decode()


def test_the_thank_you_page_is_in_the_contacts_language(client):
    invitation = invitation_for("nb")

    response = client.post(
        respond_url(invitation), {"score": "9"}, secure=True, follow=True, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert "Takk for svaret!" in response.content.decode()
    assert response["Content-Language"] == "nb"


def test_the_unsubscribe_page_is_in_the_contacts_language(client):
    contact = ContactFactory.create(language="nb", email="kari@firma.no")
    url = reverse("surveys:unsubscribe", args=[unsubscribe_token(contact.pk)])

    shown = client.get(url, secure=True, HTTP_ACCEPT_LANGUAGE="en")
    done = client.post(url, secure=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "Vil du slutte å få spørreundersøkelser fra oss på kari@firma.no?" in shown.content.decode()
    assert "Ja, meld meg av" in shown.content.decode()
    assert "Du får ikke flere spørreundersøkelser fra oss på kari@firma.no." in done.content.decode()
    assert done["Content-Language"] == "nb"


def test_a_broken_link_says_it_in_both_languages_under_any_browser(client):
    url = reverse("surveys:respond", args=["not-a-token"])

    response = client.get(url, secure=True, HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="nb">' in html
    assert "<h1>Lenken virker ikke</h1>" in html
    assert "Vi fant ikke denne undersøkelsen." in html
    assert "<h2>This link does not work</h2>" in html
    assert "We could not find this survey." in html


def test_the_email_to_a_norwegian_contact_is_norwegian_whatever_language_is_active():
    invitation = invitation_for("nb")

    with translation.override("en"):
        message = invitation_email(invitation)

    html = message.alternatives[0][0]
    assert message.subject == "Et raskt spørsmål fra oss"
    assert message.body.startswith("Hei Kari,")
    assert f"Du får denne e-posten fordi du er kontaktperson hos {invitation.customer.name}." in message.body
    assert "Åpne undersøkelsen:" in message.body
    assert "Klikk på tallet som passer best, så kan du legge til en kommentar." in html
    assert '<html lang="nb">' in html
    # The caller's language is back in place afterwards.
    assert translation.get_language() != "nb"


def test_the_email_to_an_english_contact_is_english_whatever_language_is_active():
    invitation = invitation_for("en")

    with translation.override("nb"):
        message = invitation_email(invitation)
        active_after = translation.get_language()

    assert message.subject == "A quick question from us"
    assert message.body.startswith("Hi Kari,")
    assert "I don't want any more surveys:" in message.body
    assert '<html lang="en">' in message.alternatives[0][0]
    assert active_after == "nb"


def test_an_unknown_contact_language_falls_back_to_norwegian(client):
    invitation = invitation_for("nb")
    # A language code from an old import that the choices no longer list.
    type(invitation.contact).objects.filter(pk=invitation.contact_id).update(language="de")

    response = client.get(respond_url(invitation), secure=True, HTTP_ACCEPT_LANGUAGE="de")

    assert '<html lang="nb">' in response.content.decode()
    assert "Send svar" in response.content.decode()
