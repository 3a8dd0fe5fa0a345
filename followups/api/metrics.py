"""The /api/metrics/ endpoints: satisfaction and follow-up figures for reading, never for changing.

They read the same selectors as the admin's dashboard page, with the same filters and the same
default period, so a figure in the API and on the page agree.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, cast

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import permissions, serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from followups.dashboard import DashboardFilterForm, DashboardFilters, cached_dashboard, dashboard_data
from followups.dashboard.filters import MAX_CHURN_MONTHS, MAX_ID, MAX_MONTHS
from followups.metrics import median_time_to_first_contact, recovery_rate
from surveys.models import SurveyResponse
from surveys.selectors import (
    OSLO,
    NpsFigures,
    NpsGroup,
    nps,
    nps_by_account_manager,
    nps_by_industry,
    nps_by_month,
    nps_by_tier,
    response_rate,
)

from .serializers import NpsFiguresSerializer, NpsMetricsQuerySerializer, NpsMetricsSerializer
from .views import FIELD_ERRORS, THROTTLED, UNAUTHENTICATED, _error

METRICS_PERMISSION = "surveys.view_surveyresponse"


class CanReadSatisfactionNumbers(permissions.BasePermission):
    """Holders of surveys.view_surveyresponse (Sales, account managers, leads) and superusers."""

    # Lazy, read by DRF when it refuses (in the request's language); typed as the str it stands for.
    message = cast(str, _("You need the permission 'surveys | survey response | Can view survey response'."))

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm(METRICS_PERMISSION))


def _figures(figures: NpsFigures) -> dict[str, Any]:
    return {
        "responses": figures.responses,
        "promoters": figures.promoters,
        "passives": figures.passives,
        "detractors": figures.detractors,
        "nps": figures.score,
    }


def _group(group: NpsGroup) -> dict[str, Any]:
    return {"key": group.key, "label": group.label, **_figures(group.figures)}


class NpsMetricsView(APIView):
    """NPS overall and per group, with the response rate and how well follow-up closes the loop."""

    permission_classes = [CanReadSatisfactionNumbers]

    @extend_schema(
        operation_id="metrics_nps_retrieve",
        summary="NPS figures by tier, month, account manager or industry",
        description="Every figure covers the same period (`since`, by default the start of the "
        "dashboard's default period: the last 12 Oslo calendar months, this one included; with "
        "group_by=month also the months shown), so the groups add up to `overall`. Account manager and "
        "industry are the customer's today.",
        parameters=[NpsMetricsQuerySerializer],
        responses={
            200: NpsMetricsSerializer,
            400: FIELD_ERRORS,
            401: UNAUTHENTICATED,
            403: _error("Lacks the permission to view survey responses."),
            429: THROTTLED,
        },
    )
    def get(self, request: Request) -> Response:
        query = NpsMetricsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        group_by: str = query.validated_data["group_by"]
        # Without `since`, the dashboard's default period (the last 12 Oslo months, this one
        # included), so the API and the page count the same answers unless asked otherwise.
        since: datetime = query.validated_data.get("since") or DashboardFilters.default().since
        if group_by == "month":
            months = nps_by_month(query.validated_data["months"], _answered_since(since))
            # Every other figure covers the months shown, so the groups add up to `overall`.
            first_month = datetime.combine(months[0].month, time(), tzinfo=OSLO)
            since = max(since, first_month)
            groups = [NpsGroup(f"{m.month:%Y-%m}", f"{m.month:%B %Y}", m.figures) for m in months]
        responses = _answered_since(since)
        if group_by == "tier":
            groups = [NpsGroup(tier, tier, figures) for tier, figures in nps_by_tier(responses).items()]
        elif group_by == "account_manager":
            groups = nps_by_account_manager(responses)
        elif group_by == "industry":
            groups = nps_by_industry(responses)
        rate = response_rate(since)
        waited = median_time_to_first_contact(since)
        recovery = recovery_rate(since)
        body = {
            "group_by": group_by,
            "since": since,
            "overall": _figures(nps(responses)),
            "groups": [_group(group) for group in groups],
            "response_rate": {"sent": rate.sent, "responded": rate.responded, "percent": rate.percent},
            "median_time_to_first_contact_seconds": waited.total_seconds() if waited is not None else None,
            "recovery": {
                name: {"detractors": group.detractors, "recovered": group.recovered, "percent": group.percent}
                for name, group in (
                    ("followed_up", recovery.followed_up),
                    ("not_followed_up", recovery.not_followed_up),
                )
            },
        }
        return Response(NpsMetricsSerializer(body).data)


def _answered_since(since: datetime) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(submitted_at__gte=since)


class _ProportionSerializer(serializers.Serializer):
    successes = serializers.IntegerField()
    n = serializers.IntegerField(help_text="The sample size.")
    percent = serializers.FloatField(allow_null=True, help_text="successes / n in percent; null when n is 0.")
    low = serializers.FloatField(allow_null=True, help_text="95 % Wilson score interval, lower end, percent.")
    high = serializers.FloatField(
        allow_null=True, help_text="95 % Wilson score interval, upper end, percent."
    )
    too_small = serializers.BooleanField(
        help_text="n below thresholds.min_sample or an interval wider than thresholds.max_interval_width."
    )


class _ManagerProportionSerializer(_ProportionSerializer):
    id = serializers.IntegerField(allow_null=True, help_text="The account manager's user id; null: none.")
    name = serializers.CharField()


class _RecoverySerializer(serializers.Serializer):
    followed_up = _ProportionSerializer(help_text="Detractors with a completed follow-up who answered again.")
    comparison = _ProportionSerializer(
        help_text="Detractors without a completed follow-up who answered again."
    )


class _ManagerRecoverySerializer(_RecoverySerializer):
    id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()


def _per_tier(child: serializers.Serializer) -> serializers.DictField:
    return serializers.DictField(child=child, help_text="Keyed by tier: A, B, C.")


class _OnTimeSerializer(serializers.Serializer):
    total = _ProportionSerializer()
    tiers = _per_tier(_ProportionSerializer())
    account_managers = _ManagerProportionSerializer(many=True)


class _RecoveryBreakdownSerializer(serializers.Serializer):
    total = _RecoverySerializer()
    tiers = _per_tier(_RecoverySerializer())
    account_managers = _ManagerRecoverySerializer(many=True)


class _FollowUpsSerializer(serializers.Serializer):
    median_time_to_first_contact_seconds = serializers.FloatField(allow_null=True)
    contacted = serializers.IntegerField(help_text="The contacted follow-ups the median is taken over.")
    on_time = _OnTimeSerializer(
        help_text="First contact by the due time, among follow-ups contacted or past due."
    )
    recovery = _RecoveryBreakdownSerializer()


class _PeriodSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="First month, YYYY-MM (Oslo).")
    end = serializers.CharField(help_text="Last month, YYYY-MM, included.")
    since = serializers.DateTimeField()
    until = serializers.DateTimeField(help_text="Exclusive end.")


class _FiltersSerializer(serializers.Serializer):
    tier = serializers.CharField(allow_null=True)
    account_manager = serializers.IntegerField(allow_null=True)
    industry = serializers.CharField(allow_null=True)
    churn_months = serializers.IntegerField()


class _ThresholdsSerializer(serializers.Serializer):
    min_sample = serializers.IntegerField()
    max_interval_width = serializers.FloatField(help_text="Percentage points.")


class _NpsSerializer(serializers.Serializer):
    overall = NpsFiguresSerializer()
    lines = serializers.DictField(
        child=NpsFiguresSerializer(many=True),
        help_text="Keyed by tier (A, B, C) and `all`; one entry per month of `months`.",
    )


class _ScoreMonthSerializer(serializers.Serializer):
    responses = serializers.IntegerField()
    average = serializers.FloatField(allow_null=True, help_text="Mean score (CSAT 1-5, CES 1-7).")


class _RateSerializer(serializers.Serializer):
    sent = serializers.IntegerField()
    responded = serializers.IntegerField()
    percent = serializers.FloatField(allow_null=True)


class _ResponseRateSerializer(serializers.Serializer):
    total = _RateSerializer()
    months = _RateSerializer(many=True)


class _WeightedNpsSerializer(serializers.Serializer):
    plain_nps = serializers.FloatField(allow_null=True, help_text="NPS of the period's answers.")
    responses = serializers.IntegerField()
    accounts = serializers.IntegerField(help_text="Customers whose latest NPS answer is in the period.")
    average_account_nps = serializers.FloatField(allow_null=True)
    revenue_weighted_account_nps = serializers.FloatField(
        allow_null=True, help_text="Account NPS weighted by 12-month revenue."
    )
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2, help_text="The weights' sum.")


class _CoverageSerializer(serializers.Serializer):
    answered_since = serializers.DateTimeField()
    revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    covered_revenue = serializers.DecimalField(max_digits=20, decimal_places=2)
    percent = serializers.FloatField(allow_null=True)
    customers = serializers.IntegerField()
    covered_customers = serializers.IntegerField()


class _LastNpsSerializer(serializers.Serializer):
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    never_answered = serializers.IntegerField()


class _ChurnGroupSerializer(serializers.Serializer):
    customers = serializers.IntegerField()
    revenue_lost = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="Their revenue from active_since to quiet_since."
    )
    last_nps = _LastNpsSerializer()


class _ChurnSerializer(serializers.Serializer):
    months = serializers.IntegerField()
    active_since = serializers.DateField()
    quiet_since = serializers.DateField()
    until = serializers.DateField(help_text="Exclusive.")
    total = _ChurnGroupSerializer()
    tiers = _per_tier(_ChurnGroupSerializer())


class DashboardMetricsSerializer(serializers.Serializer):
    period = _PeriodSerializer()
    filters = _FiltersSerializer()
    thresholds = _ThresholdsSerializer()
    account_managers_shown = serializers.ChoiceField(
        choices=["all", "own"], help_text="`own`: the per-account-manager rows are the caller's own only."
    )
    months = serializers.ListField(child=serializers.CharField(), help_text="YYYY-MM, oldest first.")
    nps = _NpsSerializer()
    scores = serializers.DictField(
        child=_ScoreMonthSerializer(many=True), help_text="Keyed by csat and ces; one entry per month."
    )
    response_rate = _ResponseRateSerializer()
    followups = _FollowUpsSerializer()
    revenue_weighted_nps = _WeightedNpsSerializer()
    revenue_coverage = _CoverageSerializer()
    churn = _ChurnSerializer()
    computed_at = serializers.DateTimeField(
        help_text="When these figures were computed: they are cached for up to 15 minutes (a nightly "
        "copy of the default view until 11:00 Oslo time)."
    )


# Raw schemas, so the documented bounds are exactly what DashboardFilterForm accepts.
DASHBOARD_PARAMETERS = [
    OpenApiParameter(
        "end",
        {"type": "string", "pattern": r"^20[0-9]{2}-(0[1-9]|1[0-2])$"},
        description="The period's last month (included), YYYY-MM, Oslo calendar; default this month.",
    ),
    OpenApiParameter(
        "months",
        {"type": "integer", "minimum": 1, "maximum": MAX_MONTHS},
        description="How many months up to `end`; default 12.",
    ),
    OpenApiParameter("tier", str, enum=["A", "B", "C"], description="The customers' tier today."),
    OpenApiParameter(
        "account_manager",
        {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        description="The customers' account manager (a user id); 403 for anyone but a follow-up lead "
        "giving another's. An unknown id matches no customer.",
    ),
    OpenApiParameter(
        "industry", {"type": "string", "maxLength": 100}, description="The customers' industry, exactly."
    ),
    OpenApiParameter(
        "churn_months",
        {"type": "integer", "minimum": 1, "maximum": MAX_CHURN_MONTHS},
        description="Churned: no revenue in this many months; default 3.",
    ),
]


class DashboardMetricsView(APIView):
    """Every figure of the admin's "Numbers and trends" page, for the same filters."""

    permission_classes = [CanReadSatisfactionNumbers]

    @extend_schema(
        operation_id="metrics_dashboard_retrieve",
        summary="The dashboard: NPS, CSAT, CES, response rate, follow-ups, revenue-weighted NPS, churn",
        description="The same selectors and query parameters as the admin page /admin/numbers/, so both "
        "agree. Per-account-manager rows name colleagues only for follow-up leads. The figures are "
        "cached for a quarter of an hour; `computed_at` says when they were computed.",
        parameters=DASHBOARD_PARAMETERS,
        responses={
            200: DashboardMetricsSerializer,
            400: FIELD_ERRORS,
            401: UNAUTHENTICATED,
            403: _error(
                "Lacks the permission to view survey responses, or (not a lead) filters on another "
                "account manager."
            ),
            429: THROTTLED,
        },
    )
    def get(self, request: Request) -> Response:
        form = DashboardFilterForm(request.query_params, viewer=request.user)
        if not form.is_valid() and form.forbidden:
            raise PermissionDenied(str(form.errors["account_manager"][0]))
        if not form.is_valid():
            raise ValidationError(
                {field: [str(error) for error in errors] for field, errors in form.errors.items()}
            )
        board = cached_dashboard(form.filters(), viewer=request.user)
        return Response(DashboardMetricsSerializer(dashboard_data(board)).data)
