"""Admin pages of the followups app that are not a model's change list."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from customers.models import Tier
from followups.dashboard import (
    MAX_INTERVAL_WIDTH,
    MIN_SAMPLE,
    DashboardFilterForm,
    DashboardFilters,
    cached_dashboard,
    dashboard_data,
)
from followups.dashboard.charts import chart_data
from followups.dashboard.selectors import ALL, Dashboard, Recovery
from followups.dashboard.stats import Proportion
from surveys.selectors import OSLO

NONE = Proportion(0, 0)


def _followup_rows(board: Dashboard) -> list[dict[str, Any]]:
    """The follow-up table: the total, each tier, each account manager; on time and both recovery rates."""
    on_time, recovered = board.timeliness, board.recovery

    def cells(timely: Proportion, recovery: Recovery | None) -> list[Proportion]:
        return [timely, *((recovery.followed_up, recovery.comparison) if recovery else (NONE, NONE))]

    rows = [
        {"kind": "total", "label": gettext("All customers"), "cells": cells(on_time.total, recovered.total)}
    ]
    rows += [
        {
            "kind": "tier",
            "label": gettext("%(tier)s customers") % {"tier": tier},
            "cells": cells(on_time.tiers[tier], recovered.tiers[tier]),
        }
        for tier in Tier.values
    ]
    # A manager may have follow-ups but no detractor who answered again, or the other way round.
    names = {key: name for key, name, _ in [*on_time.managers, *recovered.managers]}
    timely_of = {key: value for key, _, value in on_time.managers}
    recovery_of = {key: value for key, _, value in recovered.managers}
    ordered = sorted(names.items(), key=lambda item: (item[0] is None, item[1].casefold(), item[0] or 0))
    rows += [
        {"kind": "manager", "label": name, "cells": cells(timely_of.get(key, NONE), recovery_of.get(key))}
        for key, name in ordered
    ]
    return rows


def _table_rows(board: Dashboard) -> dict[str, Any]:
    lines = board.nps.lines
    keys = [ALL, *Tier.values]
    churn = board.churn
    return {
        "tiers": Tier.values,
        "nps_rows": [
            {"month": month, "cells": [lines[key][index] for key in keys]}
            for index, month in enumerate(board.nps.months)
        ],
        "score_rows": [
            {"month": csat.month, "csat": csat, "ces": ces}
            for csat, ces in zip(board.scores["csat"], board.scores["ces"], strict=True)
        ],
        "followup_rows": _followup_rows(board),
        "churn_rows": [
            *((gettext("%(tier)s customers") % {"tier": tier}, churn.tiers[tier]) for tier in Tier.values),
            (gettext("All customers"), churn.total),
        ],
    }


# staff_member_required sends anyone not signed in as staff to the admin login, like every admin page;
# a staff member without the permission gets 403 rather than a login loop.
@staff_member_required
@permission_required("surveys.view_surveyresponse", raise_exception=True)
def satisfaction_numbers(request: HttpRequest) -> HttpResponse:
    """Show the dashboard "Numbers and trends" for the filters of the query string."""
    form = DashboardFilterForm(request.GET, viewer=request.user)
    # An invalid filter (a month typed by hand) shows its error above the default period's figures
    # rather than an empty page.
    filters = form.filters() if form.is_valid() else DashboardFilters.default()
    board = cached_dashboard(filters, viewer=request.user)
    data = dashboard_data(board)
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": gettext("Numbers and trends"),
        # Said under the title, quietly: the figures may come from the cache (not the admin's
        # `subtitle`, which would read as a second heading and lead the browser tab's title).
        "computed": gettext("Computed %(time)s")
        % {"time": date_format(timezone.localtime(board.computed_at, OSLO), "SHORT_DATETIME_FORMAT")},
        "form": form,
        "board": board,
        "data": data,
        "chart_data": chart_data(board),
        "min_sample": MIN_SAMPLE,
        "max_interval_width": MAX_INTERVAL_WIDTH,
        **_table_rows(board),
    }
    return render(request, "followups/metrics.html", context)
