from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.formats import group_thousands
from customers.models import RecalculationRun
from customers.services import RecalculationAlreadyRunning, run_nightly


def _as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        # argparse reports it as a usage error; call_command raises it as a CommandError.
        raise ArgumentTypeError(f"must be a date as YYYY-MM-DD, got {value!r}") from None


class Command(BaseCommand):
    help = (
        "Recalculate every customer's tier, contribution margin, service cost and time-thief flag, then "
        "product holdings and affinities, then potential scores (what the nightly task runs)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of", type=_as_of, default=None, help="Window end date, YYYY-MM-DD (default: today in Oslo)."
        )
        parser.add_argument("--chunk-size", type=int, default=None, help="Customers per transaction.")

    def handle(self, *args: Any, as_of: date | None, chunk_size: int | None, **options: Any) -> None:
        verbose = options["verbosity"] >= 1

        def progress(run: RecalculationRun, total: int) -> None:
            if verbose:
                share = run.customers_processed / total * 100 if total else 100
                self.stderr.write(
                    f"\r  {group_thousands(run.customers_processed)} / {group_thousands(total)} customers "
                    f"({share:.0f} %)",
                    ending="",
                )

        try:
            nightly = run_nightly(as_of=as_of, trigger="command", chunk_size=chunk_size, progress=progress)
        except RecalculationAlreadyRunning as exc:
            raise CommandError(str(exc)) from exc
        if verbose:
            self.stderr.write("")
        run, relevance, potential = nightly.economics, nightly.relevance, nightly.potential
        self.stdout.write(
            self.style.SUCCESS(f"Recalculated as of {run.as_of} in {run.duration:.1f} s (run {run.pk}).")
        )
        self.stdout.write(f"  customers processed: {group_thousands(run.customers_processed)}")
        self.stdout.write(f"  customers updated:   {group_thousands(run.customers_updated)}")
        self.stdout.write(f"  tiers changed:       {group_thousands(run.tiers_changed)}")
        self.stdout.write(
            f"  per tier:            A {group_thousands(run.tier_a_count)}, B {group_thousands(run.tier_b_count)}, "
            f"C {group_thousands(run.tier_c_count)}"
        )
        self.stdout.write(f"  longest transaction: {run.longest_chunk_ms} ms")

        self.stdout.write(self.style.SUCCESS(f"Product relevance in {relevance.seconds:.1f} s."))
        self.stdout.write(
            f"  holdings:            {group_thousands(relevance.holdings)} of "
            f"{group_thousands(relevance.holders)} customers ({group_thousands(relevance.holdings_written)} written)"
        )
        self.stdout.write(f"  product pairs:       {group_thousands(relevance.pairs)}")
        self.stdout.write(self.style.SUCCESS(f"Potential in {potential.seconds:.1f} s."))
        self.stdout.write(
            f"  customers scored:    {group_thousands(potential.customers_scored)} "
            f"({group_thousands(potential.customers_updated)} updated, "
            f"{group_thousands(potential.a_customers)} A customers to compare with)"
        )
