"""The dashboard's figures as plain JSON-ready data: the API's answer and the page's chart data.

One function, so the page's charts and tables and the API cannot drift apart. Amounts are decimal
strings (as DRF writes DecimalFields), months "YYYY-MM", times ISO 8601.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from surveys.selectors import NpsFigures

from .selectors import Breakdown, ChurnGroup, Dashboard, Recovery
from .stats import MAX_INTERVAL_WIDTH, MIN_SAMPLE, Proportion


def _amount(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def _nps(figures: NpsFigures) -> dict[str, Any]:
    return {
        "responses": figures.responses,
        "promoters": figures.promoters,
        "passives": figures.passives,
        "detractors": figures.detractors,
        "nps": figures.score,
    }


def _proportion(value: Proportion) -> dict[str, Any]:
    return {
        "successes": value.successes,
        "n": value.n,
        "percent": value.percent,
        "low": value.low,
        "high": value.high,
        "too_small": value.too_small,
    }


def _recovery(value: Recovery) -> dict[str, Any]:
    return {"followed_up": _proportion(value.followed_up), "comparison": _proportion(value.comparison)}


def _breakdown(breakdown: Breakdown, shape: Any) -> dict[str, Any]:
    return {
        "total": shape(breakdown.total),
        "tiers": {tier: shape(value) for tier, value in breakdown.tiers.items()},
        "account_managers": [
            {"id": key, "name": name, **shape(value)} for key, name, value in breakdown.managers
        ],
    }


def _churn_group(group: ChurnGroup) -> dict[str, Any]:
    return {
        "customers": group.customers,
        "revenue_lost": _amount(group.revenue_lost),
        "last_nps": {
            "promoters": group.promoters,
            "passives": group.passives,
            "detractors": group.detractors,
            "never_answered": group.never_answered,
        },
    }


def dashboard_data(board: Dashboard) -> dict[str, Any]:
    """Give every figure of the dashboard as JSON-ready data."""
    filters = board.filters
    rate = board.response_rate_total
    waited = board.median_first_contact
    weighted = board.weighted_nps
    coverage = board.coverage
    churn = board.churn
    return {
        "period": {
            "start": f"{filters.first_month:%Y-%m}",
            "end": f"{filters.last_month:%Y-%m}",
            "since": filters.since.isoformat(),
            "until": filters.until.isoformat(),
        },
        "filters": {
            "tier": filters.tier,
            "account_manager": filters.account_manager_id,
            "industry": filters.industry,
            "churn_months": filters.churn_months,
        },
        "thresholds": {"min_sample": MIN_SAMPLE, "max_interval_width": MAX_INTERVAL_WIDTH},
        "account_managers_shown": "all" if board.shows_colleagues else "own",
        "months": [f"{month:%Y-%m}" for month in board.nps.months],
        "nps": {
            "overall": _nps(board.nps.total),
            "lines": {key: [_nps(figures) for figures in line] for key, line in board.nps.lines.items()},
        },
        "scores": {
            kind: [{"responses": month.responses, "average": month.average} for month in months]
            for kind, months in board.scores.items()
        },
        "response_rate": {
            "total": {"sent": rate.sent, "responded": rate.responded, "percent": rate.percent},
            "months": [
                {"sent": month.sent, "responded": month.responded, "percent": month.percent}
                for month in board.response_rate
            ],
        },
        "followups": {
            "median_time_to_first_contact_seconds": waited.total_seconds() if waited is not None else None,
            "contacted": board.contacted,
            "on_time": _breakdown(board.timeliness, _proportion),
            "recovery": _breakdown(board.recovery, _recovery),
        },
        "revenue_weighted_nps": {
            "plain_nps": board.nps.total.score,
            "responses": board.nps.total.responses,
            "accounts": weighted.accounts,
            "average_account_nps": weighted.average,
            "revenue_weighted_account_nps": weighted.weighted,
            "revenue": _amount(weighted.revenue),
        },
        "revenue_coverage": {
            "answered_since": coverage.since.isoformat(),
            "revenue": _amount(coverage.revenue),
            "covered_revenue": _amount(coverage.covered_revenue),
            "percent": coverage.percent,
            "customers": coverage.customers,
            "covered_customers": coverage.covered_customers,
        },
        "computed_at": board.computed_at.isoformat(),
        "churn": {
            "months": churn.months,
            "active_since": churn.active_since.isoformat(),
            "quiet_since": churn.quiet_since.isoformat(),
            "until": churn.until.isoformat(),
            "total": _churn_group(churn.total),
            "tiers": {tier: _churn_group(group) for tier, group in churn.tiers.items()},
        },
    }
