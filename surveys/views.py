"""The public survey pages: answer through an invitation link, and unsubscribe. No login.

The signed token in the URL is the only credential, so every page keeps it from leaking: no
Referer to other sites, no caching, no framing, no indexing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import Resolver404, ResolverMatch, resolve, reverse
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.functional import Promise
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django.views.csrf import csrf_failure as django_csrf_failure
from django.views.decorators.clickjacking import xframe_options_deny
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.errors import BadInput
from customers.models import Contact
from surveys.models import SurveyInvitation
from surveys.services.invitations import opt_out_contact
from surveys.services.language import contact_language
from surveys.services.links import (
    InvalidLink,
    contact_id_from_unsubscribe_token,
    invitation_id_from_token,
    unsubscribe_url,
)
from surveys.services.public import (
    InvitationAlreadyAnswered,
    InvitationExpired,
    submit_invitation_response,
)

# Long enough for a real explanation, short enough that the page is no free file store.
COMMENT_MAX_LENGTH = 5000

# The pages need their inline stylesheet and a form posting back to this site; nothing else.
_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

View = Callable[..., HttpResponse]

# The title and text of each one-message page, by the key the template exposes as data-page.
_MESSAGES: dict[str, tuple[Promise, Promise]] = {
    "thanks": (
        _("Thank you for your answer!"),
        _("We have received your answer. It helps us get better."),
    ),
    "answered": (
        _("You have already answered"),
        _("This survey has already been answered, so nothing new was saved. Thank you!"),
    ),
    "cookies": (
        _("Your answer was not sent"),
        _(
            "Your browser did not send the cookie this page needs. Reload the page and try again, "
            "or open the link in another browser."
        ),
    ),
    "expired": (
        _("This link has expired"),
        _("This survey no longer takes answers. Thank you for wanting to answer!"),
    ),
    "unsubscribed": (
        _("You are unsubscribed"),
        _("You will not receive any more surveys from us at %(email)s."),
    ),
}


def _public_page(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        # The token is in the URL: a click on any link must not hand it to another site as Referer.
        # "same-origin" keeps it here, and unlike "no-referrer" it lets the browser send our real
        # Origin on the page's own form post: under "no-referrer" Chromium sends `Origin: null`,
        # which Django's CSRF check refuses, so no customer could submit an answer.
        response["Referrer-Policy"] = "same-origin"
        # A shared or back-button cache must not replay someone's survey page or answer.
        add_never_cache_headers(response)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Content-Security-Policy"] = _CONTENT_SECURITY_POLICY
        return response

    # DENY is also the global setting; stated here so the pages stay unframable if that changes.
    return xframe_options_deny(wrapped)


class AnswerForm(forms.Form):
    score = forms.TypedChoiceField(coerce=int)
    comment = forms.CharField(required=False, max_length=COMMENT_MAX_LENGTH)

    # Built under the contact's translation.override, so the errors speak the contact's language.
    def __init__(self, *args: Any, scale: range, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        score_error = gettext("Choose a number from %(low)s to %(high)s before sending.") % {
            "low": scale[0],
            "high": scale[-1],
        }
        score = cast(forms.TypedChoiceField, self.fields["score"])
        score.choices = [(value, str(value)) for value in scale]
        score.error_messages = {"required": score_error, "invalid_choice": score_error}
        self.fields["comment"].error_messages["max_length"] = gettext(
            "The comment can be at most %(max)s characters."
        ) % {"max": COMMENT_MAX_LENGTH}


@_public_page
@require_http_methods(["GET", "HEAD", "POST"])
def respond(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation_from_token(token)
    if invitation is None:
        return _invalid_link(request)
    language = contact_language(invitation.contact.language)
    # Everything from here on, form errors included, speaks the contact's language.
    with translation.override(language):
        return _respond(request, invitation, token, language)


def _respond(request: HttpRequest, invitation: SurveyInvitation, token: str, language: str) -> HttpResponse:
    if invitation.responded_at is not None:
        return _message(request, language, "answered")
    if invitation.is_expired:
        return _message(request, language, "expired")
    scale = invitation.survey.scale
    if request.method != "POST":
        form = AnswerForm(initial={"score": _preselected(request, scale)}, scale=scale)
        return _answer_page(request, invitation, form, language)
    form = AnswerForm(data=request.POST, scale=scale)
    if form.is_valid():
        try:
            submit_invitation_response(
                invitation_id=invitation.pk,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except SurveyInvitation.DoesNotExist:
            # Deleted with its contact between the page load and the submit.
            return _invalid_link(request)
        except InvitationAlreadyAnswered:
            return _message(request, language, "answered")
        except InvitationExpired:
            return _message(request, language, "expired")
        except BadInput as exc:
            # The form checks the same scale; this is the service's word if the survey changed.
            form.add_error(None, exc.message)
        else:
            # Post/redirect/get: reloading the thank-you page does not offer to post again.
            return HttpResponseRedirect(reverse("surveys:thanks", args=[token]))
    if form.has_error("comment"):
        # A refused comment is too long (the only check on it): the page shows the error with an
        # empty box rather than sending back whatever size of text was posted. A comment within
        # the limit stays, so a wrong score does not cost the contact what they wrote.
        form.data = {**request.POST.dict(), "comment": ""}
    return _answer_page(request, invitation, form, language, status=400)


@_public_page
@require_http_methods(["GET", "HEAD"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _invitation_from_token(token)
    if invitation is None:
        return _invalid_link(request)
    if invitation.responded_at is None:
        return HttpResponseRedirect(reverse("surveys:respond", args=[token]))
    return _message(request, contact_language(invitation.contact.language), "thanks")


# Exempt from CSRF because the signed token in the URL is the authorisation: CSRF protects requests
# that ride on a victim's cookies, and this one needs none, while mail clients' RFC 8058 one-click
# POST ("List-Unsubscribe=One-Click") comes with no cookie and no CSRF token at all. Anyone holding
# the link could unsubscribe with or without a form; a GET alone never does (link scanners).
@csrf_exempt
@_public_page
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        contact_id = contact_id_from_unsubscribe_token(token)
    except InvalidLink:
        return _invalid_link(request)
    contact = Contact.objects.filter(pk=contact_id).only("pk", "email", "language", "opted_out").first()
    if contact is None:
        return _invalid_link(request)
    language = contact_language(contact.language)
    if request.method == "POST":
        opt_out_contact(contact_id=contact.pk)
        return _message(request, language, "unsubscribed", email=contact.email)
    if contact.opted_out:
        return _message(request, language, "unsubscribed", email=contact.email)
    with translation.override(language):
        return _render(
            request,
            "surveys/unsubscribe.html",
            {
                "language": language,
                "title": gettext("Stop surveys"),
                "body": gettext("Do you want to stop receiving surveys from us at %(email)s?")
                % {"email": contact.email},
            },
        )


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    # Rendered now, while the caller's translation.override is active: a lazy TemplateResponse
    # would render after it, in the browser's language that LocaleMiddleware picked.
    response = render(request, template, context, status=status)
    # The page speaks the contact's language, not the browser's; LocaleMiddleware only sets this
    # header when it is missing, and still adds "Vary: Accept-Language", which is harmless here.
    response["Content-Language"] = context["language"]
    return response


def _invitation_from_token(token: str) -> SurveyInvitation | None:
    try:
        invitation_id = invitation_id_from_token(token)
    except InvalidLink:
        return None
    return (
        SurveyInvitation.objects.select_related("survey", "contact", "customer")
        .filter(pk=invitation_id)
        .first()
    )


def _preselected(request: HttpRequest, scale: range) -> int | None:
    # The email links one URL per number (?score=N); the click only chooses, the form submits.
    raw = request.GET.get("score", "")
    return int(raw) if raw.isdigit() and int(raw) in scale else None


def _answer_page(
    request: HttpRequest, invitation: SurveyInvitation, form: AnswerForm, language: str, *, status: int = 200
) -> HttpResponse:
    survey = invitation.survey
    low_label, high_label = survey.labels(language)
    scale = survey.scale
    selected = form["score"].value()
    return _render(
        request,
        "surveys/respond.html",
        {
            "language": language,
            "title": pgettext("public survey page title", "Survey"),
            "kind": survey.kind,
            "question": survey.question(language),
            "scores": list(scale),
            "selected": str(selected) if selected not in (None, "") else "",
            "low_label": low_label,
            "high_label": high_label,
            "scale_hint": gettext("Choose a number from %(low)s to %(high)s.")
            % {"low": scale[0], "high": scale[-1]},
            "contact_name": invitation.contact.name,
            "form": form,
            "unsubscribe_url": unsubscribe_url(invitation.contact_id),
        },
        status=status,
    )


def _message(request: HttpRequest, language: str, key: str, **values: str) -> HttpResponse:
    title, body = _MESSAGES[key]
    with translation.override(language):
        return _render(
            request,
            "surveys/message.html",
            {"language": language, "key": key, "title": str(title), "body": str(body) % values},
        )


def _invalid_link(request: HttpRequest) -> HttpResponse:
    # Nothing tells us the reader's language here, so the page says it in both (the template
    # switches with {% language %}); the document and its title are Norwegian.
    with translation.override("nb"):
        return _render(
            request,
            "surveys/invalid_link.html",
            {"language": "nb", "title": gettext("This link does not work")},
            status=404,
        )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A refused form post: on the public survey pages a friendly page in the contact's language.

    The customer answering a survey is not a logged-in user who can make sense of Django's page; a
    browser that blocks cookies is the usual cause. Everywhere else Django's own page is right.
    """
    match = _resolve_or_none(request.path_info)
    if match is None or match.namespace != "surveys":
        return django_csrf_failure(request, reason=reason)
    invitation = _invitation_from_token(match.kwargs.get("token", ""))
    language = contact_language(invitation.contact.language if invitation else None)
    response = _message(request, language, "cookies")
    response.status_code = 403
    return response


def _resolve_or_none(path: str) -> ResolverMatch | None:
    try:
        return resolve(path)
    except Resolver404:
        return None
