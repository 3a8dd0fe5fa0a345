"""Which language a contact's survey pages and emails speak."""

from __future__ import annotations

from customers.models import Language

# The customers are Norwegian companies: a contact without a usable language reads Norwegian.
DEFAULT_LANGUAGE: str = Language.NB


def contact_language(code: str | None) -> str:
    """The language for a contact's language code; unknown or empty codes fall back to Norwegian.

    The public pages and the invitation email render under ``translation.override`` of this
    language, never the browser's: the contact chose it, and a link forwarded to a colleague or
    opened on a shared computer should still read the same.
    """
    return code if code in Language.values else DEFAULT_LANGUAGE
