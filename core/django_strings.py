"""Strings of Django's own admin that its Norwegian catalogue (Django 5.x) does not translate yet.

Listed here so makemessages puts them into our catalogue: LOCALE_PATHS come before the apps'
catalogues, so our translation is the one the admin shows. Drop an entry once Django ships it.
"""

from django.utils.translation import gettext_noop

DJANGO_ADMIN_STRINGS = (
    gettext_noop("Show counts"),
    gettext_noop("Hide counts"),
    gettext_noop("Error:"),
    # Django's msgid has typographic apostrophes; the msgid must match it character for character.
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),  # noqa: RUF001
)
