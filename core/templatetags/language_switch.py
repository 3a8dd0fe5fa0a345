"""`{% language_switch %}`: the language buttons of the admin header (core.i18n.switch_language)."""

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language

register = template.Library()


@register.inclusion_tag("core/language_switch.html", takes_context=True)
def language_switch(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    return {
        # Each language in its own name, untranslated ("Norsk", "English"): whoever cannot read the
        # current language still finds theirs ({% get_available_languages %} would translate them).
        "languages": settings.LANGUAGES,
        "current": get_language(),
        "next": request.get_full_path() if request is not None else "",
        "csrf_token": context.get("csrf_token"),
    }
