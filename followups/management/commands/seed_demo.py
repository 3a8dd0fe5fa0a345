import time
from argparse import ArgumentTypeError
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q

from core.formats import group_thousands
from customers.demo import DEMO_PASSWORD, DEMO_USERNAME, DemoDataExists, ensure_demo_user, seed_demo_data
from customers.models import Customer, Tier
from customers.services import RecalculationAlreadyRunning, run_nightly
from followups.demo import DEMO_ACCOUNT_MANAGER, seed_feedback_demo


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ArgumentTypeError(f"must be a whole number of at least 1, got {value!r}")
    return number


class Command(BaseCommand):
    help = (
        "Load a believable Norwegian B2B demo: customers, contacts, products, two years of revenue and "
        "dialog, four account managers, a year of NPS answers with their follow-ups, and the superuser "
        "demo/demo."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--customers", type=_positive, default=300, help="How many customers to create (default 300)."
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=42,
            help="Random seed; the same seed gives the same demo (default 42).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any customer exists (what `make run` uses), instead of failing.",
        )

    def handle(self, *args: Any, customers: int, seed: int, if_empty: bool, **options: Any) -> None:
        # The login is ensured whatever happens to the data, so `make run` always prints one that works.
        created_user = ensure_demo_user()
        if Customer.objects.exists():
            if if_empty:
                self.stdout.write("Customers already exist; demo data not loaded.")
                self._print_login(created_user)
                return
            raise CommandError(
                "The database already has customers, and demo data goes only into an empty one. "
                "Use --if-empty to skip quietly, or point DATABASE_URL at a fresh database."
            )

        started = time.monotonic()
        try:
            result = seed_demo_data(customers=customers, seed=seed)
        except DemoDataExists as exc:  # another process seeded between our check and the insert
            if if_empty:
                self.stdout.write("Customers already exist; demo data not loaded.")
                self._print_login(created_user)
                return
            raise CommandError(str(exc)) from exc
        seeded = time.monotonic() - started
        # Committed before the recalculation: it owns its transactions, and if it fails the data stays
        # and `manage.py recalculate_tiers` finishes the job. The whole nightly job, so upsell
        # candidates and potential scores exist from the start.
        try:
            nightly = run_nightly(trigger="seed_demo")
        except RecalculationAlreadyRunning as exc:
            raise CommandError(f"Demo data loaded, but tiers were not calculated: {exc}") from exc
        # After the recalculation: a follow-up takes its priority and due date from the tier.
        feedback = seed_feedback_demo(seed=seed)
        total = time.monotonic() - started

        tiers = Customer.objects.aggregate(
            a=Count("pk", filter=Q(tier=Tier.A)),
            b=Count("pk", filter=Q(tier=Tier.B)),
            c=Count("pk", filter=Q(tier=Tier.C)),
            thieves=Count("pk", filter=Q(time_cost_flag=True)),
        )
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded in {total:.1f} s (data {seeded:.1f} s, seed {seed}).")
        )
        self.stdout.write(f"  customers:        {group_thousands(result.customers)}")
        self.stdout.write(f"  contacts:         {group_thousands(result.contacts)}")
        self.stdout.write(f"  products:         {group_thousands(result.products)}")
        self.stdout.write(f"  revenue lines:    {group_thousands(result.revenue_lines)}")
        self.stdout.write(f"  interactions:     {group_thousands(result.interactions)}")
        self.stdout.write(f"  account managers: {result.account_managers}")
        self.stdout.write(f"  tiers:            A {tiers['a']}, B {tiers['b']}, C {tiers['c']}")
        self.stdout.write(f"  time thieves:     {tiers['thieves']}")
        self.stdout.write(f"  product pairs:    {group_thousands(nightly.relevance.pairs)} with a lift")
        self.stdout.write(f"  potential scores: {group_thousands(nightly.potential.customers_scored)}")
        self.stdout.write(
            f"  survey answers:   {group_thousands(feedback.responses)} "
            f"of {group_thousands(feedback.invitations)} invitations"
        )
        self.stdout.write(
            f"  follow-ups:       {group_thousands(feedback.followups)} ({feedback.open_followups} open)"
        )
        self._print_login(created_user)

    def _print_login(self, created: bool) -> None:
        if created:
            self.stdout.write(f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}.")
            self.stdout.write(
                f"To see an account manager's queue, log in as {DEMO_ACCOUNT_MANAGER} / {DEMO_PASSWORD}."
            )
        else:
            self.stdout.write(
                f"Log in as {DEMO_USERNAME} (the user existed; its password was left as it was)."
            )
