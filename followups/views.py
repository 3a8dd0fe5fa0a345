"""Admin pages of the followups app that are not a model's change list."""

from __future__ import annotations

from datetime import datetime, time

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from followups.metrics import median_time_to_first_contact, recovery_rate
from surveys.models import SurveyResponse
from surveys.selectors import (
    OSLO,
    largest_customers_account_nps,
    nps,
    nps_by_month,
    nps_by_tier,
    response_rate,
)

MONTHS = 12
LARGEST_CUSTOMERS = 20


# staff_member_required sends anyone not signed in as staff to the admin login, like every admin page;
# a staff member without the permission gets 403 rather than a login loop.
@staff_member_required
@permission_required("surveys.view_surveyresponse", raise_exception=True)
def satisfaction_numbers(request: HttpRequest) -> HttpResponse:
    """Show NPS overall, per tier, per month and per large account, response rate and follow-up effect."""
    by_month = nps_by_month(MONTHS)
    # Every figure covers the months in the table, so the numbers on the page add up to each other.
    since = datetime.combine(by_month[0].month, time(), tzinfo=OSLO)
    recent = SurveyResponse.objects.filter(submitted_at__gte=since)
    context = {
        **admin.site.each_context(request),
        "title": "Satisfaction numbers",
        "since": since,
        "overall": nps(recent),
        "by_tier": nps_by_tier(recent),
        "by_month": by_month,
        "response_rate": response_rate(since),
        "median_first_contact": median_time_to_first_contact(since),
        "recovery": recovery_rate(since),
        "accounts": largest_customers_account_nps(LARGEST_CUSTOMERS),
    }
    return render(request, "followups/metrics.html", context)
