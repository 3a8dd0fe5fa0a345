"""The operators' UI for surveys: sending by hand, the policy, and read-only records of what happened.

For the customer and contact pages, which the top app composes (sales/admin.py), this module exports
pieces rather than registering anything for those models: the "send survey" actions
(`CustomerSurveyActions`, `ContactSurveyActions`, named in `SEND_SURVEY_ACTIONS`) and the customer's
survey history (`SurveyHistoryPanel`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import uuid4

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin, SingletonAdmin, domain_errors_as_messages
from core.formats import MISSING, format_datetime
from core.permissions import has_perm
from core.types import AuthenticatedHttpRequest
from customers.models import Contact, Customer
from surveys.models import (
    Category,
    Survey,
    SurveyDispatch,
    SurveyInvitation,
    SurveyKind,
    SurveyPolicy,
    SurveyResponse,
    SurveySuppression,
    Trigger,
)
from surveys.services import invite_contacts, retry_failed_invitations
from surveys.services.sending import MAX_SEND_ATTEMPTS

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldsetSpec

# The customer page shows this many of the newest responses and links to the rest.
SURVEY_HISTORY_ROWS = 20

SEND_SURVEY_PERMISSION = "surveys.add_surveyinvitation"
# Lazy, and formatted only when read: the heading is built at import, the language per request.
_SURVEY_HISTORY_TITLE = lazy(
    lambda: gettext("Survey history (newest %(count)s)") % {"count": SURVEY_HISTORY_ROWS}, str
)()

_CATEGORY_COLOURS: dict[str, str] = {
    Category.DETRACTOR: "#b3261e",
    Category.PASSIVE: "#a55a00",
    Category.PROMOTER: "#1b7f3b",
}
# Inline styles, as the customers app's badges: the badge appears on lists and on the customer page.
_BADGE = "display:inline-block;padding:1px 8px;border-radius:9px;color:#fff;font-weight:600;background:{}"


def category_badge(category: str) -> SafeString:
    """A coloured 'Detractor', 'Passive' or 'Promoter'."""
    return format_html(
        '<span style="{}">{}</span>',
        _BADGE.format(_CATEGORY_COLOURS.get(Category(category), "#6b6f76")),
        Category(category).label,
    )


def _dispatch_message(kind: str, dispatch: SurveyDispatch) -> str:
    return gettext(
        "%(kind)s survey: %(invited)s invited (emails go out from the outbox). Skipped: %(opted_out)s "
        "opted out, %(no_email)s without email, %(cooldown)s in the cool-down, %(suppressed)s with an open "
        "follow-up, %(already)s already invited."
    ) % {
        "kind": SurveyKind(kind).label,
        "invited": dispatch.invited,
        "opted_out": dispatch.skipped_opted_out,
        "no_email": dispatch.skipped_no_email,
        "cooldown": dispatch.skipped_cooldown,
        "suppressed": dispatch.skipped_suppressed,
        "already": dispatch.skipped_already_invited,
    }


class SendSurveyActions(admin.ModelAdmin):
    """Admin actions that invite the selected people to a survey under the fatigue policy.

    A piece to compose into a ModelAdmin (before its base class); the composed class lists
    SEND_SURVEY_ACTIONS in its `actions`. Subclasses say who the selected rows' people are.
    """

    def contacts_for(self, queryset: QuerySet[Any]) -> QuerySet[Contact]:
        raise NotImplementedError

    def has_send_survey_permission(self, request: HttpRequest) -> bool:
        # Sending is adding invitations; the permission exists on every install and needs no migration.
        return has_perm(request.user, SEND_SURVEY_PERMISSION)

    def _send(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Any], kind: str) -> None:
        with domain_errors_as_messages(request) as failed:
            dispatch = invite_contacts(
                contacts=self.contacts_for(queryset),
                kind=kind,
                trigger=Trigger.MANUAL,
                # Each click is its own cause; the cool-down, not the key, keeps people from being
                # asked twice.
                trigger_key=f"manual:{uuid4()}",
                created_by=request.user,
            )
        if failed:
            return
        level = messages.SUCCESS if dispatch.invited else messages.WARNING
        messages.add_message(request, level, _dispatch_message(kind, dispatch))

    @admin.action(description=_("Send NPS survey"), permissions=["send_survey"])
    def send_nps_survey(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Any]) -> None:
        self._send(request, queryset, SurveyKind.NPS)

    @admin.action(description=_("Send CSAT survey"), permissions=["send_survey"])
    def send_csat_survey(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Any]) -> None:
        self._send(request, queryset, SurveyKind.CSAT)

    @admin.action(description=_("Send CES survey"), permissions=["send_survey"])
    def send_ces_survey(self, request: AuthenticatedHttpRequest, queryset: QuerySet[Any]) -> None:
        self._send(request, queryset, SurveyKind.CES)


SEND_SURVEY_ACTIONS = ["send_nps_survey", "send_csat_survey", "send_ces_survey"]


class CustomerSurveyActions(SendSurveyActions):
    """The send-survey actions for the customer list: every contact of the selected customers."""

    def contacts_for(self, queryset: QuerySet[Customer]) -> QuerySet[Contact]:
        # The changelist queryset may carry ordering, joins and DISTINCT from search; only its ids
        # matter, and invite_contacts locks the contacts itself.
        return Contact.objects.filter(customer__in=queryset.values("pk"))


class ContactSurveyActions(SendSurveyActions):
    """The send-survey actions for the contact list: the selected contacts."""

    def contacts_for(self, queryset: QuerySet[Contact]) -> QuerySet[Contact]:
        return Contact.objects.filter(pk__in=queryset.values("pk"))


class SurveyHistoryPanel(admin.ModelAdmin):
    """The customer's newest survey responses as a read-only section at the end of its page.

    A piece to compose into the customer ModelAdmin, before its base class: it appends its section to
    whatever fieldsets and read-only fields the rest of the composition gives.
    """

    def get_fieldsets(self, request: HttpRequest, obj: Customer | None = None) -> _FieldsetSpec:
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and obj.pk is not None:
            fieldsets.append((gettext("Surveys"), {"fields": ["survey_history"]}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Customer | None = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), "survey_history"]

    @admin.display(description=_SURVEY_HISTORY_TITLE)
    def survey_history(self, customer: Customer) -> SafeString:
        responses = list(
            SurveyResponse.objects.filter(customer=customer)
            .select_related("contact")
            .order_by("-submitted_at", "-pk")[:SURVEY_HISTORY_ROWS]
        )
        all_url = f"{reverse('admin:surveys_surveyresponse_changelist')}?customer__id__exact={customer.pk}"
        invitations_url = (
            f"{reverse('admin:surveys_surveyinvitation_changelist')}?customer__id__exact={customer.pk}"
        )
        links = format_html(
            '<p class="more"><a href="{}">{}</a> · <a href="{}">{}</a></p>',
            all_url,
            gettext("All responses"),
            invitations_url,
            gettext("Invitations"),
        )
        if not responses:
            return format_html("<p>{}</p>{}", gettext("No survey responses yet."), links)
        rows = format_html_join(
            "",
            '<tr><td><a href="{}">{}</a></td><td>{}</td><td class="number">{}</td><td>{}</td><td>{}</td>'
            "<td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:surveys_surveyresponse_change", args=[response.pk]),
                    format_datetime(response.submitted_at),
                    response.get_kind_display(),
                    response.score,
                    category_badge(response.category),
                    response.contact or MISSING,
                    response.get_source_display(),
                    Truncator(response.comment).chars(120),
                )
                for response in responses
            ),
        )
        return format_html(
            '<table class="figures" id="survey-history"><thead><tr><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col" class="number">{}</th><th scope="col">{}</th>'
            '<th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead>'
            "<tbody>{}</tbody></table>{}",
            gettext("Submitted"),
            gettext("Kind"),
            gettext("Score"),
            gettext("Category"),
            gettext("Contact"),
            gettext("Source"),
            gettext("Comment"),
            rows,
            links,
        )


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["kind", "name", "is_active"]
    list_filter = ["kind", "is_active"]
    fieldsets = [
        (None, {"fields": ["kind", "name", "is_active"]}),
        (_("Norwegian"), {"fields": ["question_nb", "low_label_nb", "high_label_nb"]}),
        (_("English"), {"fields": ["question_en", "low_label_en", "high_label_en"]}),
        (
            pgettext_lazy("admin section: when the row was made", "Record"),
            {"fields": ["created_at"], "classes": ["collapse"]},
        ),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Survey | None = None) -> list[str]:
        # Responses carry the survey's kind; changing it afterwards would mislabel every score.
        return ["kind", "created_at"] if obj is not None else ["created_at"]


@admin.register(SurveyPolicy)
class SurveyPolicyAdmin(SingletonAdmin):
    """The one policy row: the list goes straight to it; it is neither added nor deleted."""

    fields = [
        "cooldown_days",
        "invitation_valid_days",
        "purchase_delay_days",
        "csat_detractor_max",
        "ces_detractor_max",
        "updated_at",
    ]
    readonly_fields = ["updated_at"]


class DeliveryFilter(admin.SimpleListFilter):
    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("sent", gettext("Sent")),
            ("waiting", gettext("Waiting to be sent")),
            ("failing", gettext("Failed, will retry")),
            ("gave_up", gettext("Gave up after %(count)s attempts") % {"count": MAX_SEND_ATTEMPTS}),
        ]

    def queryset(
        self, request: HttpRequest, queryset: QuerySet[SurveyInvitation]
    ) -> QuerySet[SurveyInvitation]:
        unsent = Q(sent_at__isnull=True)
        conditions = {
            "sent": Q(sent_at__isnull=False),
            "waiting": unsent & Q(send_attempts=0),
            "failing": unsent & Q(send_attempts__gt=0, send_attempts__lt=MAX_SEND_ATTEMPTS),
            "gave_up": unsent & Q(send_attempts__gte=MAX_SEND_ATTEMPTS),
        }
        condition = conditions.get(self.value() or "")
        return queryset.filter(condition) if condition is not None else queryset


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "customer",
        "contact",
        "survey_kind",
        "trigger",
        "sent_at",
        "expires_at",
        "responded_at",
        "send_attempts",
    ]
    list_filter = [
        "survey__kind",
        "trigger",
        DeliveryFilter,
        ("responded_at", admin.EmptyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["customer", "contact", "survey"]
    search_fields = ["customer__name", "=customer__external_id", "contact__email"]
    date_hierarchy = "created_at"
    actions = ["retry_sending"]
    # No token or link is shown: a link is made only for the email, from the secret key.
    fields = [
        "survey",
        "customer",
        "contact",
        "trigger",
        "trigger_key",
        "created_at",
        "created_by",
        "sent_at",
        "send_attempts",
        "last_error",
        "expires_at",
        "responded_at",
    ]

    @admin.display(description=_("kind"), ordering="survey__kind")
    def survey_kind(self, invitation: SurveyInvitation) -> str:
        return invitation.survey.get_kind_display()

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return has_perm(request.user, SEND_SURVEY_PERMISSION)

    @admin.action(description=_("Retry sending (invitations that gave up)"), permissions=["retry"])
    def retry_sending(self, request: HttpRequest, queryset: QuerySet[SurveyInvitation]) -> None:
        reset = retry_failed_invitations(invitation_ids=queryset.values_list("pk", flat=True))
        messages.info(
            request,
            ngettext(
                "%(count)s invitation will be sent again.", "%(count)s invitations will be sent again.", reset
            )
            % {"count": reset},
        )


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdmin):
    list_display = [
        "submitted_at",
        "customer",
        "contact",
        "kind",
        "score",
        "category_display",
        "source",
        "contact_opted_out",
        "comment_excerpt",
    ]
    list_filter = [
        "kind",
        "category",
        "source",
        "contact_opted_out",
        ("submitted_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["customer", "contact"]
    search_fields = ["customer__name", "=customer__external_id", "contact__email"]
    date_hierarchy = "submitted_at"
    fields = [
        "survey",
        "kind",
        "customer",
        "contact",
        "score",
        "category",
        "comment",
        "source",
        "submitted_at",
        "invitation",
        "external_id",
        "contact_opted_out",
        "created_at",
    ]

    @admin.display(description=_("category"), ordering="category")
    def category_display(self, response: SurveyResponse) -> SafeString:
        return category_badge(response.category)

    @admin.display(description=_("comment"))
    def comment_excerpt(self, response: SurveyResponse) -> str:
        return Truncator(response.comment).chars(80)


@admin.register(SurveyDispatch)
class SurveyDispatchAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "trigger",
        "created_by",
        "candidates",
        "invited",
        "skipped_opted_out",
        "skipped_no_email",
        "skipped_cooldown",
        "skipped_suppressed",
        "skipped_already_invited",
    ]
    list_filter = ["trigger", ("started_at", admin.DateFieldListFilter)]
    list_select_related = ["created_by"]
    date_hierarchy = "started_at"


@admin.register(SurveySuppression)
class SurveySuppressionAdmin(ReadOnlyAdmin):
    list_display = ["customer", "reason", "created_at", "lifted_at"]
    list_filter = [("lifted_at", admin.EmptyFieldListFilter)]
    list_select_related = ["customer"]
    search_fields = ["customer__name", "=customer__external_id", "reason"]
