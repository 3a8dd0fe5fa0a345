"""Planning the demo customers: every random choice, drawn in a fixed order from one generator."""

from __future__ import annotations

import itertools
import math
import random
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from customers.models import Language, Tier
from customers.validators import org_number_check_digit
from customers.windows import add_months

from .accounts import ACCOUNT_MANAGERS, EMAIL_TLD
from .dialog import plan_dialog
from .plans import ContactPlan, CustomerPlan
from .revenue import plan_revenue
from .vocabulary import (
    ENGLISH_FIRST_NAMES,
    ENGLISH_SURNAMES,
    FIRST_NAMES,
    INDUSTRIES,
    MONTH_WEIGHTS,
    PLACE_WORDS,
    REGIONS,
    ROLES,
    SURNAMES,
    Industry,
)

# Shares of customers aimed at each band; the rest are C. Roughly 20 % of customers bring most of the money.
A_SHARE, B_SHARE = 0.15, 0.25
NEGATIVE_MARGIN_SHARE, TIME_THIEF_SHARE = 0.03, 0.04
# A few big customers on thin margins: revenue alone misleads, and the demo should show it.
THIN_MARGIN_SHARE = 0.01
# Customers that stopped buying some months ago, by tier: the small ones leave more easily than the
# big ones with agreements and several contacts. About 4 % in all, so the churn table has rows.
CHURN_SHARES = {Tier.A: 0.02, Tier.B: 0.04, Tier.C: 0.055}
# How long ago they left, in days: past the dashboard's default churn window of three months (with
# room for the month boundary) and within the last eight, so the year before still shows their revenue.
CHURN_DAYS_AGO = (100, 240)


class Planner:
    """Plans demo customers; holds the generator, the policy's figures and the days to draw from."""

    def __init__(
        self,
        rng: random.Random,
        *,
        today: date,
        hourly_cost: float,
        time_cost_share: float,
        a_threshold: float,
        b_threshold: float,
    ) -> None:
        self.rng = rng
        self.today = today
        self.hourly_cost = hourly_cost
        self.time_cost_share = time_cost_share
        self.a_threshold, self.b_threshold = a_threshold, b_threshold
        # The same boundary as the recalculation's window, so "this year" here is its 12 months.
        self.window_start = add_months(today, -12)
        self.history_start = add_months(today, -24)
        # Year 0 is the previous 12 months, year 1 the current window.
        self.years = ((self.history_start, self.window_start), (self.window_start, today))
        self.invoice_days = [first_weekdays(start, end) for start, end in self.years]
        self.line_days = [self._weighted_weekdays(start, end) for start, end in self.years]
        # Dialog ends yesterday so no interaction is logged later than now.
        self.dialog_days = [
            self._weighted_weekdays(start, min(end, today - timedelta(days=1))) for start, end in self.years
        ]
        self.used_names: set[str] = set()
        self.used_org_numbers: set[str] = set()

    def plan(self, count: int) -> list[CustomerPlan]:
        rng = self.rng
        n_a, n_b = round(count * A_SHARE), round(count * B_SHARE)
        tiers = [Tier.A] * n_a + [Tier.B] * n_b + [Tier.C] * (count - n_a - n_b)
        rng.shuffle(tiers)
        # Loss-makers and time thieves are picked from the B and C customers, mostly C: the small
        # customer that calls every week is the familiar case, and an A customer with a loss would
        # swamp the totals.
        candidates = [i for i, tier in enumerate(tiers) if tier != Tier.A]
        rng.shuffle(candidates)
        # A stable sort keeps the shuffle within each group; three B customers in ten join the C ones.
        candidates.sort(key=lambda i: tiers[i] == Tier.B and rng.random() < 0.7)
        n_negative = max(1, round(count * NEGATIVE_MARGIN_SHARE)) if count >= 10 else 0
        n_thieves = max(1, round(count * TIME_THIEF_SHARE)) if count >= 3 else 0
        negative = set(candidates[:n_negative])
        thieves = set(candidates[n_negative : n_negative + n_thieves])
        big = [i for i, tier in enumerate(tiers) if tier == Tier.A]
        thin = set(rng.sample(big, min(len(big), max(1, round(count * THIN_MARGIN_SHARE)))))
        left = self._left(tiers, exclude=negative | thieves | thin)
        return [
            self._customer(
                i,
                tiers[i],
                negative_margin=i in negative,
                thin_margin=i in thin,
                time_thief=i in thieves,
                left_on=left.get(i, date.max),
            )
            for i in range(count)
        ]

    def _left(self, tiers: list[Tier], *, exclude: set[int]) -> dict[int, date]:
        """Pick the customers that left, per tier, and the day each stopped buying.

        Loss-makers, thin margins and time thieves stay: they are the economics the demo shows, and
        their counts are what the tier test pins.
        """
        rng = self.rng
        left: dict[int, date] = {}
        for tier, share in CHURN_SHARES.items():
            members = [i for i, t in enumerate(tiers) if t == tier and i not in exclude]
            wanted = round(tiers.count(tier) * share)
            for i in rng.sample(members, min(len(members), wanted)):
                left[i] = self.today - timedelta(days=rng.randint(*CHURN_DAYS_AGO))
        return left

    def _customer(
        self,
        index: int,
        tier: Tier,
        *,
        negative_margin: bool,
        thin_margin: bool,
        time_thief: bool,
        left_on: date,
    ) -> CustomerPlan:
        rng = self.rng
        industry = rng.choices(INDUSTRIES, weights=[ind.weights["ABC".index(tier)] for ind in INDUSTRIES])[0]
        region = rng.choices(list(REGIONS), weights=[w for w, _ in REGIONS.values()])[0]
        employees = self._employees(tier)
        name, domain = self._company_name(industry, tier, employees)
        assigned = rng.random() < {Tier.A: 1.0, Tier.B: 0.92, Tier.C: 0.8}[tier]
        # Managers mostly cover their home region; a few customers follow a person, not a map.
        home_manager = REGIONS[region][1]
        manager = (
            (home_manager if rng.random() < 0.85 else rng.choice(ACCOUNT_MANAGERS)[0]) if assigned else None
        )
        plan = CustomerPlan(
            external_id=f"K{10_001 + index}",
            name=name,
            org_number=self._org_number(),
            industry=industry.name,
            employees=employees,
            business_model=rng.choice(industry.business_models),
            region=region,
            account_manager=manager,
            left_on=left_on,
        )
        plan.contacts = self._contacts(tier, employees, domain)
        products = plan_revenue(self, plan, tier, negative_margin=negative_margin, thin_margin=thin_margin)
        plan_dialog(self, plan, products, tier, time_thief=time_thief)
        return plan

    def _employees(self, tier: Tier) -> int:
        # Log-normal: most firms are small, a few are large, as in the Brønnøysund registers.
        median, sigma, low, high = {
            Tier.A: (120, 0.8, 20, 2500),
            Tier.B: (35, 0.7, 5, 400),
            Tier.C: (8, 0.9, 1, 150),
        }[tier]
        return max(low, min(high, round(self.rng.lognormvariate(math.log(median), sigma))))

    def _company_name(self, industry: Industry, tier: Tier, employees: int) -> tuple[str, str]:
        rng = self.rng
        for attempt in itertools.count():
            suffix = rng.choice(industry.suffixes)
            shape = rng.random()
            if shape < 0.6:
                stem = f"{rng.choice(PLACE_WORDS)} {suffix}"
            elif shape < 0.82:
                stem = f"{rng.choice(SURNAMES)} {suffix}"
            elif shape < 0.9:
                stem = f"{rng.choice(SURNAMES)} & Sønner"
            elif shape < 0.95:
                stem = f"Brødrene {rng.choice(SURNAMES)}"
            else:
                stem = f"{rng.choice(PLACE_WORDS)}{suffix.lower()}" if " " not in suffix else f"{suffix} Nord"
            # The word lists give a few thousand names; past that, firms add a district, then a number.
            if attempt >= 20:
                stem = f"{stem} {rng.choice(('Nord', 'Sør', 'Øst', 'Vest', 'Midt'))}"
            if attempt >= 100:
                stem = f"{stem} {attempt}"
            if stem in self.used_names:  # "Fjord Bygg AS" and "Fjord Bygg ANS" would share a domain
                continue
            self.used_names.add(stem)
            legal = "AS"
            if tier == Tier.A and employees > 300 and rng.random() < 0.3:
                legal = "ASA"
            elif employees <= 3 and rng.random() < 0.3:
                legal = "ANS"
            return f"{stem} {legal}", f"{ascii_slug(stem)}.{EMAIL_TLD}"
        raise AssertionError("unreachable: itertools.count() never ends")

    def _org_number(self) -> str:
        # Nine digits starting with 9, like every company registered since 1995, with a MOD11 check.
        while True:
            first_eight = str(self.rng.randrange(91_000_000, 100_000_000))
            check = org_number_check_digit(first_eight)
            number = f"{first_eight}{check}"
            if check is not None and number not in self.used_org_numbers:
                self.used_org_numbers.add(number)
                return number

    def _contacts(self, tier: Tier, employees: int, domain: str) -> list[ContactPlan]:
        rng = self.rng
        weights = {Tier.A: (0, 10, 30, 60), Tier.B: (5, 15, 35, 45), Tier.C: (10, 20, 35, 35)}[tier]
        count = rng.choices((1, 2, 3, 4), weights=weights)[0]
        first_role = "Daglig leder" if employees < 20 else rng.choice(("Innkjøpssjef", "Økonomisjef"))
        roles = [first_role, *rng.sample(ROLES, 3)]
        contacts: list[ContactPlan] = []
        names: set[str] = set()
        while len(contacts) < count:
            english = rng.random() < 0.07
            first = rng.choice(ENGLISH_FIRST_NAMES if english else FIRST_NAMES)
            last = rng.choice(ENGLISH_SURNAMES if english else SURNAMES)
            name = f"{first} {last}"
            if name in names:  # one address per person and customer: the unique email constraint
                continue
            names.add(name)
            opted_out = rng.random() < 0.04
            contacts.append(
                ContactPlan(
                    name=name,
                    email=f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}",
                    phone=f"+47 {rng.choice('49')}{rng.randrange(100):02d} {rng.randrange(100):02d} "
                    f"{rng.randrange(1000):03d}",
                    role=roles[len(contacts)],
                    language=Language.EN if english else Language.NB,
                    opted_out_at=self.moment(rng.choice(self.dialog_days[1])) if opted_out else None,
                )
            )
        return contacts

    def moment(self, day: date) -> datetime:
        """An aware moment in Oslo office hours on the day (never inside a DST gap, which is at night)."""
        clock = time(self.rng.randint(8, 15), self.rng.randrange(0, 60, 5))
        return timezone.make_aware(datetime.combine(day, clock), timezone.get_default_timezone())

    def _weighted_weekdays(self, start: date, end: date) -> list[date]:
        """Weekdays in start < day <= end, each repeated by its month's weight (in tenths) for rng.choice."""
        days: list[date] = []
        day = start + timedelta(days=1)
        while day <= end:
            if day.weekday() < 5:
                days.extend([day] * round(MONTH_WEIGHTS[day.month - 1] * 10))
            day += timedelta(days=1)
        return days


def first_weekdays(start: date, end: date) -> list[date]:
    """The first weekday of each month in start < day <= end: the day subscriptions are invoiced."""
    days: list[date] = []
    month = start.replace(day=1)
    while month <= end:
        day = month
        while day.weekday() >= 5:
            day += timedelta(days=1)
        if start < day <= end:
            days.append(day)
        month = add_months(month, 1)
    return days


def ascii_slug(text: str) -> str:
    """'Bølge & Sønner' -> 'bolgesonner': what a Norwegian company turns its name into for a domain."""
    text = text.lower()
    for norwegian, ascii_ in (("æ", "ae"), ("ø", "o"), ("å", "a"), ("é", "e"), ("ü", "u")):
        text = text.replace(norwegian, ascii_)
    return "".join(ch for ch in text if ch.isascii() and (ch.isalnum() or ch == "-"))
