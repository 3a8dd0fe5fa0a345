"""Regenerate the catalogues under locale/ from the code, merge supplied translations, compile.

    manage.py translations --extract --merge 'translations/*.json' --compile    (what `make messages` runs)
    manage.py translations --compile                                            (only compile stale .mo)
    manage.py translations --check                                              (exit 1 if any is missing)

--extract runs makemessages for every language of settings.LANGUAGES (the djangojs domain too when
our JavaScript has strings), dropping obsolete entries; makemessages keeps the translations already
in the .po. The English catalogue is then filled from the msgids. --merge writes the texts of JSON
files (format in core.catalogues) into the other catalogues, replacing fuzzy guesses. Every run
ends by listing what is still untranslated, so a translator sees what is left.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from core import catalogues


class Command(BaseCommand):
    help = "Regenerate locale/ from the code (--extract), merge JSON translations (--merge), compile (--compile)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--extract", action="store_true", help="Run makemessages for every language.")
        parser.add_argument(
            "--merge",
            nargs="*",
            default=[],
            metavar="FILE",
            help="JSON files (or quoted globs) of translations: {msgid: text}, plurals as lists.",
        )
        parser.add_argument(
            "--compile", action="store_true", help="Compile the .po files to .mo (pure Python)."
        )
        parser.add_argument(
            "--check", action="store_true", help="Exit with status 1 if anything is untranslated."
        )
        parser.add_argument(
            "--locale-dir",
            type=Path,
            default=None,
            help="The catalogues' directory (default: the first of settings.LOCALE_PATHS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity: int = options["verbosity"]
        locale_dir: Path = options["locale_dir"] or Path(settings.LOCALE_PATHS[0])
        languages = [code for code, _ in settings.LANGUAGES]
        supplied = catalogues.load_translations(options["merge"])
        if options["merge"] and not supplied.files:
            self.stderr.write(f"No translation file matches {' '.join(options['merge'])}")
        for conflict in supplied.conflicts:
            self.stderr.write(f"conflicting translations for {conflict}")

        with catalogues.locked(locale_dir):
            if options["extract"]:
                self._extract(languages)
            missing = self._update(locale_dir, supplied)
            if options["compile"]:
                for mo_path in catalogues.compile_catalogues(locale_dir):
                    self._say(f"compiled {mo_path.relative_to(locale_dir.parent)}", verbosity=2)

        if missing and options["check"]:
            raise CommandError(f"{missing} message(s) untranslated (listed above)")

    def _extract(self, languages: list[str]) -> None:
        domains = ["django"]
        if catalogues.has_javascript_strings(Path(settings.BASE_DIR)):
            domains.append("djangojs")
        # makemessages scans the current directory; the project's root is the one LOCALE_PATHS is in.
        previous = Path.cwd()
        os.chdir(settings.BASE_DIR)
        try:
            for domain in domains:
                call_command(
                    "makemessages",
                    locale=languages,
                    domain=domain,
                    ignore_patterns=catalogues.JS_IGNORE_PATTERNS
                    if domain == "djangojs"
                    else catalogues.IGNORE_PATTERNS,
                    no_obsolete=True,
                    # File names without line numbers: a line added above a string does not rewrite
                    # every location below it in the next diff.
                    add_location="file",
                    verbosity=0,
                )
        finally:
            os.chdir(previous)

    def _update(self, locale_dir: Path, supplied: catalogues.SuppliedTranslations) -> int:
        """Fill the source language, merge the rest, report; returns the number of messages missing."""
        missing = 0
        unused: set[str] | None = None
        for po_path in catalogues.catalogue_paths(locale_dir):
            language = po_path.parent.parent.name
            catalog = catalogues.read_catalogue(po_path)
            if language == catalogues.SOURCE_LANGUAGE:
                catalogues.fill_from_msgid(catalog)
            elif supplied.translations:
                report = catalogues.merge_translations(catalog, supplied.translations)
                self._say(
                    f"{po_path.relative_to(locale_dir.parent)}: {report.applied} supplied translation(s) applied"
                )
                for line in report.rejected:
                    self.stderr.write(f"  rejected: {line}")
                # A key is unused only if no catalogue (django, djangojs) has its message.
                unused = set(report.unused) if unused is None else unused & set(report.unused)
            catalogues.write_catalogue(catalog, po_path)
            lines = catalogues.untranslated(catalog)
            missing += len(lines)
            total = sum(1 for message in catalog if message.id)
            self._say(f"{po_path.relative_to(locale_dir.parent)}: {total - len(lines)}/{total} translated")
            for line in lines:
                self._say(f"  {line}")
        for key in sorted(unused or ()):
            self.stderr.write(
                f"  not in the code (msgid changed?): {key.replace(catalogues.CONTEXT_SEPARATOR, ' | ')}"
            )
        return missing

    def _say(self, text: str, *, verbosity: int = 1) -> None:
        if self.verbosity >= verbosity:
            self.stdout.write(text)
