"""Import customers from a CSV or Excel file; also the shared base of the other import commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.formats import group_thousands
from customers.models import ImportKind
from customers.services import ImportFileError, ImportProgress, ImportRejected, import_data_file
from customers.services.imports import import_columns

# Errors printed before "... and N more": enough to see the pattern, few enough to read.
SHOWN_ERRORS = 50

# The commands' own output (help, progress, summaries) is for operators and stays English, as in
# the other customers commands. Messages from the services they print (row errors, refusals) are
# translated, and come out in the language commands run in: DJANGO_LANGUAGE_CODE.


class ImportCommand(BaseCommand):
    """One CSV or Excel (.xlsx) file of one kind in, a summary out; CommandError (exit 1) when nothing was imported."""

    kind: ClassVar[ImportKind]

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        required, optional = import_columns(self.kind)
        self.help = (
            f"{self.help} Columns: {', '.join(required)}; optional: {', '.join(optional)}. CSV (comma "
            'or semicolon separated, UTF-8; Excel: "CSV UTF-8") or an Excel workbook (.xlsx: the first '
            "sheet, column names in row 1). Decimal comma or point, dates as YYYY-MM-DD or DD.MM.YYYY. "
            "A file with any invalid row imports nothing unless --skip-invalid is given; "
            "the same file is never imported twice."
        )
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV or .xlsx file to import.")
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows and write the invalid ones, with a reason column, to "
            "<file name>.rejected.csv next to the file.",
        )

    def handle(self, *args: Any, file: Path, skip_invalid: bool, **options: Any) -> None:
        verbose = options["verbosity"] >= 1
        if not file.is_file():
            raise CommandError(f"{file} is not a file.")

        shown_progress = False

        def progress(state: ImportProgress) -> None:
            nonlocal shown_progress
            if verbose:
                shown_progress = True
                self.stderr.write(
                    f"\r  {group_thousands(state.rows_read)} rows read ({state.percent:.0f} %)", ending=""
                )

        try:
            with file.open("rb") as stream:
                result = import_data_file(
                    kind=self.kind,
                    stream=stream,
                    file_name=file.name,
                    skip_invalid=skip_invalid,
                    rejected_path=file.with_name(f"{file.stem}.rejected.csv"),
                    progress=progress,
                )
        except ImportRejected as exc:
            lines = "\n".join(f"  {line}" for line in exc.result.error_lines(SHOWN_ERRORS))
            raise CommandError(f"{exc}\n{lines}") from None
        except ImportFileError as exc:
            raise CommandError(f"{file.name}: {exc}") from None
        finally:
            if shown_progress:
                self.stderr.write("")
        number = result.data_import.pk if result.data_import else "?"
        self.stdout.write(
            self.style.SUCCESS(f"Imported {file.name} as import #{number}: {result.summary()}.")
        )
        if result.ignored_columns:
            self.stdout.write(f"  ignored unknown columns: {', '.join(result.ignored_columns)}")
        if result.rejected_file:
            self.stdout.write(self.style.WARNING(f"  rejected rows written to {result.rejected_file}"))
            for line in result.error_lines(SHOWN_ERRORS):
                self.stdout.write(f"    {line}")


class Command(ImportCommand):
    help = "Import customers (upserted by external_id) from a CSV or Excel file."
    kind = ImportKind.CUSTOMERS
