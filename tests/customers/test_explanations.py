"""The customer's figures in words (customers.explanations): the time-thief sentence and the potential.

Amounts come from core.formats, whose output for the active language is that module's business;
the sentences, percentages and lifts are asserted here as a reader sees them.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.utils import translation

from core.formats import format_nok, group_thousands
from customers.explanations import (
    TimeThiefRule,
    factor_sentence,
    lift_times,
    potential_sentences,
    time_thief_sentence,
)
from customers.models import Customer, PotentialAttribute, RecalculationRun, RunStatus, TierPolicy
from customers.selectors import Factor

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
RULE = TimeThiefRule(share_pct=Decimal("25.00"), hourly_cost=Decimal("750.00"))


def figures(*, minutes: int, margin: str, flagged: bool | None = None, **fields: Any) -> Customer:
    """An unsaved customer with the stored figures of a recalculation under RULE."""
    cost = (Decimal(minutes) * RULE.hourly_cost / 60).quantize(Decimal("0.01"))
    margin_amount = Decimal(margin)
    return Customer(
        name="Kunde AS",
        service_minutes_12m=minutes,
        service_cost_12m=cost,
        contribution_margin_12m=margin_amount,
        time_cost_flag=RULE.flags(service_cost=cost, margin=margin_amount) if flagged is None else flagged,
        economics_as_of=date(2026, 11, 30),
        **fields,
    )


def pct(text: str) -> str:
    return text.replace(" %", f"{NBSP}%")


# --- The time thief


def test_a_time_thief_is_told_its_cost_its_share_of_the_margin_and_the_limit() -> None:
    customer = figures(minutes=3359, margin="113480.00")

    sentence = time_thief_sentence(customer, RULE)

    assert sentence == pct(
        f"Service cost {format_nok(Decimal('41987.50'))} is 37.0 % of the margin, above the 25 % limit. "
        f"{group_thousands(3359)} min of service time at {format_nok(Decimal(750))} an hour."
    )


def test_a_time_thief_with_a_negative_margin_is_told_that_any_service_cost_flags() -> None:
    customer = figures(minutes=60, margin="-1200.00")

    sentence = time_thief_sentence(customer, RULE)

    assert sentence.startswith(
        f"Service cost {format_nok(Decimal(750))} against a margin of {format_nok(Decimal(-1200))}: "
        "with a margin of 0 or less, any service cost makes a time thief."
    )
    assert "60 min of service time" in sentence


def test_a_margin_of_exactly_zero_reads_as_the_no_margin_case() -> None:
    customer = figures(minutes=10, margin="0.00")

    assert "with a margin of 0 or less" in time_thief_sentence(customer, RULE)


def test_a_share_that_rounds_onto_the_limit_gets_a_second_decimal() -> None:
    # 250.25 / 1000 = 25.025 %: one decimal would read "25.0 % ..., above the 25 % limit".
    customer = figures(minutes=0, margin="1000.00", flagged=True)
    customer.service_cost_12m = Decimal("250.25")

    sentence = time_thief_sentence(customer, RULE)

    assert pct("is 25.03 % of the margin, above the 25 % limit.") in sentence


def test_a_limit_with_decimals_is_shown_as_typed() -> None:
    rule = TimeThiefRule(share_pct=Decimal("22.50"), hourly_cost=Decimal(600))
    customer = figures(minutes=0, margin="1000.00", flagged=True)
    customer.service_cost_12m = Decimal("300.00")

    assert pct("is 30.0 % of the margin, above the 22.5 % limit.") in time_thief_sentence(customer, rule)


def test_a_customer_past_half_the_limit_is_told_how_close_it_is() -> None:
    # 1 200 min = 15 000 kr of a 50 000 kr margin: 30 % of it, and the limit 25 % allows 12 500 kr... so
    # take a margin of 80 000 kr: 18.75 %, past half of 25 %, under the 20 000 kr the limit allows.
    customer = figures(minutes=1200, margin="80000.00")

    sentence = time_thief_sentence(customer, RULE)

    assert not customer.time_cost_flag
    assert sentence.startswith(
        pct(
            f"Service cost {format_nok(Decimal(15000))} is 18.8 % of the margin, below the 25 % limit: "
            f"a service cost above {format_nok(Decimal(20000))} would make it a time thief."
        )
    )


def test_a_customer_well_under_the_limit_or_without_service_time_gets_no_sentence() -> None:
    well_under = figures(minutes=60, margin="80000.00")
    no_service = figures(minutes=0, margin="-5000.00")

    assert time_thief_sentence(well_under, RULE) == ""
    assert time_thief_sentence(no_service, RULE) == ""


def test_a_customer_never_recalculated_gets_no_sentence() -> None:
    customer = figures(minutes=3359, margin="113480.00")
    customer.economics_as_of = None

    assert time_thief_sentence(customer, RULE) == ""


def test_a_flag_that_disagrees_with_the_figures_says_it_is_from_an_earlier_recalculation() -> None:
    customer = figures(minutes=60, margin="80000.00", flagged=True)

    assert time_thief_sentence(customer, RULE) == (
        "The time-thief mark is from an earlier recalculation; the next one updates it."
    )


def test_the_rule_is_the_last_runs_snapshot_not_the_policy_edited_since() -> None:
    TierPolicy.objects.update_or_create(pk=1, defaults={"time_cost_share_pct": Decimal(40)})
    run = RecalculationRun.objects.create(
        as_of=date(2026, 11, 30),
        status=RunStatus.SUCCEEDED,
        policy={
            **TierPolicy.current().snapshot(),
            "time_cost_share_pct": "25.00",
            "hourly_service_cost": "700",
        },
    )

    assert TimeThiefRule.from_snapshot(run.policy) == TimeThiefRule(Decimal(25), Decimal(700))
    assert TimeThiefRule.from_snapshot(None) == TimeThiefRule(Decimal(40), Decimal(750))


@pytest.mark.parametrize(
    ("cost", "margin", "flagged"),
    [
        ("0.00", "-100.00", False),  # no service cost never flags
        ("0.01", "0.00", True),  # any cost on no margin
        ("250.00", "1000.00", False),  # exactly the share stays unflagged
        ("250.01", "1000.00", True),
    ],
)
def test_the_rule_in_python_is_the_recalculations_rule(cost: str, margin: str, flagged: bool) -> None:
    assert RULE.flags(service_cost=Decimal(cost), margin=Decimal(margin)) is flagged


# --- The potential


def factor(attribute: str, value: str, lift: str) -> Factor:
    return Factor(attribute, value, Decimal(lift), a_customers=10, customers=40)


def test_a_lift_above_one_reads_times_as_common_among_a_customers() -> None:
    sentence = factor_sentence(factor(PotentialAttribute.INDUSTRY, "Bygg og anlegg", "2.437"))

    assert sentence == (
        "The industry Bygg og anlegg is 2.4 times as common among A customers as among all customers."
    )


def test_a_lift_below_one_reads_less_common_with_two_decimals() -> None:
    sentence = factor_sentence(factor(PotentialAttribute.INDUSTRY, "Varehandel", "0.536"))

    assert sentence == (
        "The industry Varehandel is less common among A customers than among all customers "
        "(0.54 times as common)."
    )


def test_a_lift_near_one_reads_about_as_common() -> None:
    assert factor_sentence(factor(PotentialAttribute.REGION, "Vestland", "1.04")) == (
        "The region Vestland is about as common among A customers as among all customers."
    )
    assert factor_sentence(factor(PotentialAttribute.REGION, "Vestland", "0.95")).startswith(
        "The region Vestland is about as common"
    )


def test_each_attribute_has_its_own_sentence() -> None:
    sentences = potential_sentences(
        [
            factor(PotentialAttribute.SIZE, "10-49", "0.41"),
            factor(PotentialAttribute.BUSINESS_MODEL, "Grossist", "1.8"),
        ]
    )

    assert sentences == [
        "A size of 10-49 employees is less common among A customers than among all customers "
        "(0.41 times as common).",
        "The business model Grossist is 1.8 times as common among A customers as among all customers.",
    ]


@pytest.mark.parametrize(("lift", "text"), [("2.45", "2.5"), ("0.555", "0.56"), ("1.05", "1.1")])
def test_lifts_round_half_up(lift: str, text: str) -> None:
    assert lift_times(Decimal(lift)) == text


# --- In Norwegian (the nb catalogue, compiled by the set-up)


def test_the_time_thief_sentence_in_norwegian() -> None:
    customer = figures(minutes=3359, margin="113480.00")

    with translation.override("nb"):
        sentence = time_thief_sentence(customer, RULE)

    assert sentence == (
        f"Betjeningskostnad 41{NBSP}988{NBSP}kr er 37,0{NBSP}% av dekningsbidraget, over grensen på "
        f"25{NBSP}%. 3{NBSP}359 min betjeningstid à 750{NBSP}kr per time."
    )


def test_the_potential_in_norwegian_reads_both_directions() -> None:
    with translation.override("nb"):
        sentences = potential_sentences(
            [
                factor(PotentialAttribute.INDUSTRY, "Bygg og anlegg", "2.437"),
                factor(PotentialAttribute.INDUSTRY, "Varehandel", "0.536"),
            ]
        )

    assert sentences == [
        "Bransjen Bygg og anlegg er 2,4 ganger så vanlig blant A-kunder som blant alle kunder.",
        "Bransjen Varehandel er sjeldnere blant A-kunder enn blant alle kunder (0,54 ganger så vanlig).",
    ]
