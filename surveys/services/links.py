"""Signed survey and unsubscribe links.

A link carries the invitation (or contact) id and an HMAC made with SECRET_KEY, and nothing is stored
that would let someone who reads the database make one. Expiry and single use are checked against the
invitation row, so a leaked link stops working once answered or expired.
"""

from django.conf import settings
from django.core import signing
from django.urls import reverse

_INVITATION_SALT = "surveys.invitation"
_UNSUBSCRIBE_SALT = "surveys.unsubscribe"


class InvalidLink(Exception):
    """The token was altered, truncated or made with another key."""


def _id_from_token(token: str, *, salt: str, what: str) -> int:
    try:
        value = signing.loads(token, salt=salt)
    except signing.BadSignature as exc:
        raise InvalidLink(str(exc)) from exc
    if not isinstance(value, int):
        raise InvalidLink(f"token does not carry {what}")
    return value


def invitation_token(invitation_id: int) -> str:
    return signing.dumps(invitation_id, salt=_INVITATION_SALT, compress=False)


def invitation_id_from_token(token: str) -> int:
    return _id_from_token(token, salt=_INVITATION_SALT, what="an invitation id")


def unsubscribe_token(contact_id: int) -> str:
    return signing.dumps(contact_id, salt=_UNSUBSCRIBE_SALT, compress=False)


def contact_id_from_unsubscribe_token(token: str) -> int:
    return _id_from_token(token, salt=_UNSUBSCRIBE_SALT, what="a contact id")


def survey_url(invitation_id: int) -> str:
    return settings.TILFREDS_BASE_URL.rstrip("/") + reverse(
        "surveys:respond", args=[invitation_token(invitation_id)]
    )


def unsubscribe_url(contact_id: int) -> str:
    return settings.TILFREDS_BASE_URL.rstrip("/") + reverse(
        "surveys:unsubscribe", args=[unsubscribe_token(contact_id)]
    )
