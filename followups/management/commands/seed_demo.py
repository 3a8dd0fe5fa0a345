import os
import time
from argparse import ArgumentTypeError
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Count, Q

from core.formats import group_thousands
from core.types import User
from customers.demo import DEMO_PASSWORD, DEMO_USERNAME, DemoDataExists, ensure_demo_user, seed_demo_data
from customers.demo.accounts import has_real_data, set_demo_password
from customers.models import Customer, Tier
from customers.services import RecalculationAlreadyRunning, run_nightly
from followups.demo import DEMO_ACCOUNT_MANAGER, seed_feedback_demo

# The trial deployment's own password for the demo logins (seed_demo --trial, DEBUG off).
PASSWORD_VARIABLE = "TILFREDS_DEMO_PASSWORD"  # noqa: S105 (the variable's name, not a password)


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
        "dialog (a few customers left some months ago), four account managers, a year of NPS, CSAT and "
        "CES answers with their follow-ups, and the superuser "
        "demo/demo. Only into a database without real data: with any customer or any user the demo did "
        "not create, it creates nothing (and fails, unless --if-empty). With DEBUG off (a deployment) it "
        f"refuses, unless given --trial; then the demo logins get the password in ${PASSWORD_VARIABLE} "
        "(required, checked by the password validators), never demo/demo."
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
            help="Do nothing if the database has data (what `make run` uses), instead of failing.",
        )
        parser.add_argument(
            "--trial",
            action="store_true",
            help=f"Allow seeding with DEBUG off, for a trial deployment on an empty database; the demo "
            f"logins get the password in ${PASSWORD_VARIABLE} instead of the public demo one.",
        )

    def handle(
        self, *args: Any, customers: int, seed: int, if_empty: bool, trial: bool, **options: Any
    ) -> None:
        password = self._password(trial=trial)
        # Checked before anything is written: on a database with real data not even the demo login is
        # created, since a superuser with a known password there is a way in to real customers.
        if has_real_data():
            if if_empty:
                self.stdout.write("The database already has data; demo data not loaded.")
                self._print_login(created=False, trial=trial)
                return
            raise CommandError(
                "The database already has customers or users of its own, and demo data goes only into "
                "an empty one. Use --if-empty to skip quietly, or point DATABASE_URL at a fresh database."
            )
        created_user = ensure_demo_user(password=password)

        started = time.monotonic()
        try:
            result = seed_demo_data(customers=customers, seed=seed)
        except DemoDataExists as exc:  # another process seeded between our check and the insert
            if if_empty:
                self.stdout.write("Customers already exist; demo data not loaded.")
                self._print_login(created=created_user, trial=trial)
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
        if trial:
            # seed_feedback_demo gives the account manager the public demo password; not on a trial.
            set_demo_password(username=DEMO_ACCOUNT_MANAGER, password=password)
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
        self._print_login(created=created_user, trial=trial)

    def _password(self, *, trial: bool) -> str:
        if not trial:
            if settings.DEBUG:
                return DEMO_PASSWORD
            raise CommandError(
                "DEBUG is off, so this looks like a deployment: seed_demo would create a superuser with "
                f"the public password {DEMO_PASSWORD!r}. For a trial deployment on an empty database, "
                f"run it with --trial and the demo logins' password in ${PASSWORD_VARIABLE}."
            )
        password = os.environ.get(PASSWORD_VARIABLE, "")
        if not password or password == DEMO_PASSWORD:
            raise CommandError(
                f"--trial needs the demo logins' password in ${PASSWORD_VARIABLE} (not {DEMO_PASSWORD!r})."
            )
        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError(f"${PASSWORD_VARIABLE} is too weak: {' '.join(exc.messages)}") from exc
        return password

    def _print_login(self, *, created: bool, trial: bool) -> None:
        if created and trial:
            self.stdout.write(f"Log in as {DEMO_USERNAME} with the password in ${PASSWORD_VARIABLE}.")
            self.stdout.write(
                f"To see an account manager's queue, log in as {DEMO_ACCOUNT_MANAGER} with the same password."
            )
        elif created:
            self.stdout.write(f"Log in as {DEMO_USERNAME} / {DEMO_PASSWORD}.")
            self.stdout.write(
                f"To see an account manager's queue, log in as {DEMO_ACCOUNT_MANAGER} / {DEMO_PASSWORD}."
            )
        elif User.objects.filter(username=DEMO_USERNAME).exists():
            self.stdout.write(
                f"Log in as {DEMO_USERNAME} (the user existed; its password was left as it was)."
            )
        else:
            self.stdout.write("No demo login was created: the database has data of its own.")
