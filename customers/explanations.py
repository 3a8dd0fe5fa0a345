"""The customer's figures in words: why it is (or is not) a time thief, and what its potential means.

Pure functions over figures already stored or read (no queries), so a list page can explain every row
at no cost per row. Sentences are whole msgids with named placeholders: Norwegian and English put
the numbers in different places, and a sentence glued from translated pieces reads wrong in both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.formats import NBSP, format_nok, format_number, group_thousands
from customers.models import Customer, PotentialAttribute, TierPolicy
from customers.selectors import Factor

# --- Time thief -----------------------------------------------------------------------------------

# A non-thief is told how close it is once its service cost has used half of the allowed share of the
# margin; below that the sentence is noise on a page that already shows the figures.
NEAR_FRACTION = Decimal("0.5")


@dataclass(frozen=True)
class TimeThiefRule:
    """The two numbers of the tier policy that decide the time-thief flag."""

    share_pct: Decimal
    hourly_cost: Decimal

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any] | None) -> TimeThiefRule:
        """The rule a recalculation used (its policy snapshot), or the policy in force without one.

        The stored flags were decided by the last run's snapshot, and every run rewrites each flag
        its policy changes, so the snapshot is what explains them; the policy edited since decides
        the next run's flags, not these.
        """
        if snapshot and "time_cost_share_pct" in snapshot and "hourly_service_cost" in snapshot:
            return cls(Decimal(snapshot["time_cost_share_pct"]), Decimal(snapshot["hourly_service_cost"]))
        policy = TierPolicy.current()
        return cls(policy.time_cost_share_pct, policy.hourly_service_cost)

    def flags(self, *, service_cost: Decimal, margin: Decimal) -> bool:
        """The recalculation's rule (customers.services.economics), in Python."""
        return service_cost > 0 and (margin <= 0 or service_cost * 100 > self.share_pct * margin)


def _quantized(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _number(value: Decimal, places: int) -> str:
    # The active language's way ("2,4" in nb, "2.4" in en), rounded half up as every number shown.
    return format_number(value, places)


def _percent(value: Decimal, places: int) -> str:
    return f"{_number(value, places)}{NBSP}%"


def _limit_places(limit: Decimal) -> int:
    # The policy's share as typed: "25 %", "22,5 %", never "25,00 %".
    exponent = limit.normalize().as_tuple().exponent
    return min(-exponent, 2) if isinstance(exponent, int) and exponent < 0 else 0


def _share_places(share: Decimal, limit: Decimal, limit_places: int) -> int:
    # One decimal, as the margin % column; more when one decimal would round the share onto the limit
    # and make "25,0 % of the margin, above the 25 % limit" read as a contradiction.
    places = max(1, limit_places)
    while places < 3 and _quantized(share, places) == _quantized(limit, places):
        places += 1
    return places


def time_thief_sentence(customer: Customer, rule: TimeThiefRule) -> str:
    """Why the customer is a time thief, with its numbers; how close a non-thief is, or ''.

    Decided from the stored figures and the rule, as the recalculation decided the flag; if the stored
    flag disagrees (the figures were edited since, or the run stopped part-way), the sentence says so.
    """
    if customer.economics_as_of is None:
        return ""
    cost = customer.service_cost_12m
    margin = customer.contribution_margin_12m
    limit_places = _limit_places(rule.share_pct)
    values = {
        "cost": format_nok(cost),
        "margin": format_nok(margin),
        "limit": _percent(rule.share_pct, limit_places),
    }
    flagged = rule.flags(service_cost=cost, margin=margin)
    if flagged and margin <= 0:
        sentence = gettext(
            "Service cost %(cost)s against a margin of %(margin)s: with a margin of 0 or less, any "
            "service cost makes a time thief."
        )
    elif flagged:
        share = cost * 100 / margin
        values["share"] = _percent(share, _share_places(share, rule.share_pct, limit_places))
        sentence = gettext("Service cost %(cost)s is %(share)s of the margin, above the %(limit)s limit.")
    elif cost > 0 and margin > 0 and cost * 100 >= NEAR_FRACTION * rule.share_pct * margin:
        share = cost * 100 / margin
        values["share"] = _percent(share, _share_places(share, rule.share_pct, limit_places))
        values["threshold"] = format_nok(margin * rule.share_pct / 100)
        sentence = gettext(
            "Service cost %(cost)s is %(share)s of the margin, below the %(limit)s limit: a service "
            "cost above %(threshold)s would make it a time thief."
        )
    else:
        sentence = ""
    parts = [sentence % values] if sentence else []
    if sentence:
        parts.append(
            gettext("%(minutes)s min of service time at %(rate)s an hour.")
            % {
                "minutes": group_thousands(customer.service_minutes_12m),
                "rate": format_nok(rule.hourly_cost),
            }
        )
    if flagged != customer.time_cost_flag:
        parts.append(
            gettext("The time-thief mark is from an earlier recalculation; the next one updates it.")
        )
    return " ".join(parts)


# --- Potential ------------------------------------------------------------------------------------

# A lift this close to 1 rounds to "1.0": the value is about as common among A customers as overall.
_ABOUT_AS_COMMON = (Decimal("0.95"), Decimal("1.05"))

_MORE, _SAME, _LESS = "more", "same", "less"

# One whole sentence per attribute and direction (see the module docstring).
_POTENTIAL_SENTENCES: dict[tuple[str, str], Promise] = {
    (PotentialAttribute.INDUSTRY, _MORE): _(
        "The industry %(value)s is %(times)s times as common among A customers as among all customers."
    ),
    (PotentialAttribute.INDUSTRY, _SAME): _(
        "The industry %(value)s is about as common among A customers as among all customers."
    ),
    (PotentialAttribute.INDUSTRY, _LESS): _(
        "The industry %(value)s is less common among A customers than among all customers "
        "(%(times)s times as common)."
    ),
    (PotentialAttribute.SIZE, _MORE): _(
        "A size of %(value)s employees is %(times)s times as common among A customers as among all customers."
    ),
    (PotentialAttribute.SIZE, _SAME): _(
        "A size of %(value)s employees is about as common among A customers as among all customers."
    ),
    (PotentialAttribute.SIZE, _LESS): _(
        "A size of %(value)s employees is less common among A customers than among all customers "
        "(%(times)s times as common)."
    ),
    (PotentialAttribute.BUSINESS_MODEL, _MORE): _(
        "The business model %(value)s is %(times)s times as common among A customers as among all customers."
    ),
    (PotentialAttribute.BUSINESS_MODEL, _SAME): _(
        "The business model %(value)s is about as common among A customers as among all customers."
    ),
    (PotentialAttribute.BUSINESS_MODEL, _LESS): _(
        "The business model %(value)s is less common among A customers than among all customers "
        "(%(times)s times as common)."
    ),
    (PotentialAttribute.REGION, _MORE): _(
        "The region %(value)s is %(times)s times as common among A customers as among all customers."
    ),
    (PotentialAttribute.REGION, _SAME): _(
        "The region %(value)s is about as common among A customers as among all customers."
    ),
    (PotentialAttribute.REGION, _LESS): _(
        "The region %(value)s is less common among A customers than among all customers "
        "(%(times)s times as common)."
    ),
}


def _direction(lift: Decimal) -> str:
    low, high = _ABOUT_AS_COMMON
    if lift >= high:
        return _MORE
    return _SAME if lift >= low else _LESS


def lift_times(lift: Decimal) -> str:
    """2.437 -> '2.4' (nb '2,4'); below 1 with two decimals ('0.54'), so a weak link does not read as 0.5."""
    return _number(lift, 2 if lift < 1 else 1)


def factor_sentence(factor: Factor) -> str:
    """One factor of a potential score in words, e.g. 'The industry Bygg og anlegg is 2.4 times as common
    among A customers as among all customers.'"""
    template = _POTENTIAL_SENTENCES[(factor.attribute, _direction(factor.lift))]
    return str(template) % {"value": factor.value, "times": lift_times(factor.lift)}


def potential_sentences(factors: Sequence[Factor]) -> list[str]:
    """The factors behind a potential score in words, in the order given (strongest first)."""
    return [factor_sentence(factor) for factor in factors]
