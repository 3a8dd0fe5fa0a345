"""The page's chart data, with every label and tooltip already written in the active language.

The browser only draws: months come from Django's date formats and numbers from its l10n, so the
charts read as the tables under them do ("+12,5", "desember 2026") without a second formatter in JS.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext, ngettext

from customers.models import Tier
from surveys.selectors import NpsFigures

from .selectors import ALL, Dashboard, RateMonth, ScoreMonth


def signed(value: float | None) -> str:
    """+30,0 / -12,5 / 0,0 in the active language; an en dash for None."""
    if value is None:
        return "\u2013"
    text = number_format(value, 1, use_l10n=True, force_grouping=True)
    return f"+{text}" if value > 0 else text


def _answers(count: int) -> str:
    return ngettext("%(count)s answer", "%(count)s answers", count) % {
        "count": number_format(count, 0, use_l10n=True, force_grouping=True)
    }


def _tier_label(tier: str) -> str:
    return gettext("%(tier)s customers") % {"tier": tier}


def _nps_dataset(label: str, line: Sequence[NpsFigures]) -> dict[str, Any]:
    return {
        "label": label,
        "data": [figures.score for figures in line],
        "tooltips": [f"{label}: {signed(f.score)} ({_answers(f.responses)})" for f in line],
    }


def _score_dataset(label: str, months: Sequence[ScoreMonth], axis: str) -> dict[str, Any]:
    return {
        "label": label,
        "data": [month.average for month in months],
        "yAxisID": axis,
        "tooltips": [
            f"{label}: {number_format(m.average, 2, use_l10n=True) if m.average is not None else chr(0x2013)}"
            f" ({_answers(m.responses)})"
            for m in months
        ],
    }


def _rate_dataset(months: Sequence[RateMonth]) -> dict[str, Any]:
    label = gettext("Response rate")
    return {
        "label": label,
        "data": [month.percent for month in months],
        "tooltips": [
            gettext("%(label)s: %(percent)s (%(responded)s of %(sent)s invitations)")
            % {
                "label": label,
                "percent": f"{number_format(m.percent, 1, use_l10n=True)}\u00a0%"
                if m.percent is not None
                else "\u2013",
                "responded": number_format(m.responded, 0, use_l10n=True, force_grouping=True),
                "sent": number_format(m.sent, 0, use_l10n=True, force_grouping=True),
            }
            for m in months
        ],
    }


def chart_data(board: Dashboard) -> dict[str, Any]:
    """Give the three charts (NPS per tier, CSAT and CES, response rate) ready for Chart.js."""
    labels = [date_format(month, "YEAR_MONTH_FORMAT") for month in board.nps.months]
    lines = board.nps.lines
    return {
        "nps": {
            "labels": labels,
            "datasets": [
                _nps_dataset(gettext("All customers"), lines[ALL]),
                *(_nps_dataset(_tier_label(tier), lines[tier]) for tier in Tier.values),
            ],
            "axes": {"y": {"min": -100, "max": 100, "title": gettext("NPS")}},
        },
        "scores": {
            "labels": labels,
            "datasets": [
                _score_dataset(gettext("CSAT (1-5)"), board.scores["csat"], "y"),
                _score_dataset(gettext("CES (1-7)"), board.scores["ces"], "y1"),
            ],
            "axes": {
                "y": {"min": 1, "max": 5, "title": gettext("CSAT, average")},
                "y1": {"min": 1, "max": 7, "title": gettext("CES, average"), "position": "right"},
            },
        },
        "rate": {
            "labels": labels,
            "datasets": [_rate_dataset(board.response_rate)],
            "axes": {"y": {"min": 0, "max": 100, "title": gettext("% of invitations answered")}},
        },
    }
