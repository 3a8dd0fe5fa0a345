"""What the public survey pages and invitation emails say, in Norwegian (bokmål) and English.

A plain dict rather than gettext: the project has no message-compilation step, the pages speak the
contact's language (not the browser's), and two languages fit on one screen for review.
"""

from __future__ import annotations

from customers.models import Language

DEFAULT_LANGUAGE = Language.NB

TEXTS: dict[str, dict[str, str]] = {
    Language.NB: {
        "page_title": "Spørreundersøkelse",
        "greeting": "Hei {name},",
        "intro": "Vi vil gjerne vite hva du synes. Det tar under ett minutt.",
        "email_subject": "Et raskt spørsmål fra oss",
        "email_click_hint": "Klikk på tallet som passer best, så kan du legge til en kommentar.",
        "email_open_link": "Åpne undersøkelsen",
        "email_footer": "Du får denne e-posten fordi du er kontaktperson hos {customer}.",
        "unsubscribe_link": "Jeg vil ikke få flere undersøkelser",
        "scale_hint": "Velg et tall fra {low} til {high}.",
        "comment_label": "Vil du fortelle oss hvorfor? (valgfritt)",
        "submit": "Send svar",
        "error_score": "Velg et tall fra {low} til {high} før du sender.",
        "error_comment": "Kommentaren kan være på høyst {max} tegn.",
        "thanks_title": "Takk for svaret!",
        "thanks_body": "Vi har mottatt svaret ditt. Det hjelper oss å bli bedre.",
        "answered_title": "Du har allerede svart",
        "answered_body": "Denne undersøkelsen er allerede besvart, så vi har ikke lagret noe nytt. Takk!",
        "cookies_title": "Svaret ble ikke sendt",
        "cookies_body": "Nettleseren sendte ikke med informasjonskapselen siden trenger. Last inn siden på nytt "
        "og prøv igjen, eller åpne lenken i en annen nettleser.",
        "expired_title": "Lenken er utløpt",
        "expired_body": "Denne undersøkelsen er ikke lenger åpen for svar. Takk for at du ville svare!",
        "invalid_title": "Lenken virker ikke",
        "invalid_body": "Vi fant ikke denne undersøkelsen. Sjekk at hele lenken fra e-posten ble med.",
        "unsubscribe_title": "Avslutt undersøkelser",
        "unsubscribe_body": "Vil du slutte å få spørreundersøkelser fra oss på {email}?",
        "unsubscribe_button": "Ja, meld meg av",
        "unsubscribed_title": "Du er meldt av",
        "unsubscribed_body": "Du får ikke flere spørreundersøkelser fra oss på {email}.",
    },
    Language.EN: {
        "page_title": "Survey",
        "greeting": "Hi {name},",
        "intro": "We would like to know what you think. It takes less than a minute.",
        "email_subject": "A quick question from us",
        "email_click_hint": "Click the number that fits best; you can add a comment next.",
        "email_open_link": "Open the survey",
        "email_footer": "You receive this email because you are a contact person at {customer}.",
        "unsubscribe_link": "I don't want any more surveys",
        "scale_hint": "Choose a number from {low} to {high}.",
        "comment_label": "Would you tell us why? (optional)",
        "submit": "Send answer",
        "error_score": "Choose a number from {low} to {high} before sending.",
        "error_comment": "The comment can be at most {max} characters.",
        "thanks_title": "Thank you for your answer!",
        "thanks_body": "We have received your answer. It helps us get better.",
        "answered_title": "You have already answered",
        "answered_body": "This survey has already been answered, so nothing new was saved. Thank you!",
        "cookies_title": "Your answer was not sent",
        "cookies_body": "Your browser did not send the cookie this page needs. Reload the page and try again, "
        "or open the link in another browser.",
        "expired_title": "This link has expired",
        "expired_body": "This survey no longer takes answers. Thank you for wanting to answer!",
        "invalid_title": "This link does not work",
        "invalid_body": "We could not find this survey. Check that the whole link from the email was copied.",
        "unsubscribe_title": "Stop surveys",
        "unsubscribe_body": "Do you want to stop receiving surveys from us at {email}?",
        "unsubscribe_button": "Yes, unsubscribe me",
        "unsubscribed_title": "You are unsubscribed",
        "unsubscribed_body": "You will not receive any more surveys from us at {email}.",
    },
}


def language_of(code: str | None) -> str:
    """The page language for a contact's language code; unknown codes fall back to Norwegian."""
    return code if code in TEXTS else DEFAULT_LANGUAGE


def texts_for(language: str | None) -> dict[str, str]:
    """All strings in one language (Norwegian for an unknown code)."""
    return TEXTS[language_of(language)]
