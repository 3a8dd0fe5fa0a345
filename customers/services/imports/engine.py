"""The import run shared by every kind of file: fingerprint, refuse duplicates, stream, batch, record.

One run is one transaction. Rows are parsed and checked one batch at a time, each batch resolves its
references (customers, products, contacts, users) with one query per kind of reference, and valid
batches are written with bulk statements, so memory and queries per row stay flat however long the
file. By default one bad row anywhere rolls the whole file back: an ERP export is a unit, and half of
it imported is worse than none. With skip_invalid the good rows are imported and the bad ones are
written, with the reason, to a rejected file the user can fix and import on its own.
"""

from __future__ import annotations

import csv
import logging
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, ngettext

from core.formats import format_datetime, group_thousands
from customers.models import DataImport, ImportKind

from .reading import BinaryStream, ImportFileError, fingerprint, line_message, normalize_header
from .tables import Record, Table, is_workbook, open_table

if TYPE_CHECKING:
    from core.types import User

logger = logging.getLogger(__name__)

# Rows parsed, resolved and written together: large enough that per-batch queries vanish next to the
# rows, small enough that a batch's objects stay a few megabytes.
BATCH_SIZE = 5_000
# Rows per INSERT statement: PostgreSQL allows 65 535 bind parameters per statement and a customer row
# has 17 columns. (SQLite splits further by itself, at 999 parameters.)
INSERT_ROWS = 2_000
PROGRESS_EVERY = 10_000
# Errors kept with their text; beyond this only the count grows, so a file of two million bad rows
# does not become two million messages in memory. The rejected file still gets every row.
MAX_ERRORS_KEPT = 1_000

RowT = TypeVar("RowT")


@dataclass(frozen=True)
class RowError:
    """One problem with one row: the physical line in the file (header = 1), the column, what is wrong."""

    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return line_message(self.line, f"{self.field}: {self.message}")


@dataclass(frozen=True)
class ImportProgress:
    rows_read: int
    bytes_read: int
    bytes_total: int

    @property
    def percent(self) -> float:
        return min(100.0, self.bytes_read * 100 / self.bytes_total) if self.bytes_total else 100.0


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class ImportResult:
    """What an import did (or, on ImportRejected, would have refused): counts, errors, files."""

    kind: str
    file_name: str
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    products_created: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    rejected_file: Path | None = None
    data_import: DataImport | None = None
    ignored_columns: list[str] = field(default_factory=list)

    def error_lines(self, limit: int = 50) -> list[str]:
        """The first `limit` errors as 'line 7: revenue: ...', and a count of the rest."""
        lines = [str(error) for error in self.errors[:limit]]
        if self.error_count > len(lines):
            lines.append(
                gettext("... and %(count)s more") % {"count": group_thousands(self.error_count - len(lines))}
            )
        return lines

    def summary(self) -> str:
        parts = [
            ngettext("%(count)s row read", "%(count)s rows read", self.rows_read),
            gettext("%(count)s created"),
            gettext("%(count)s updated"),
            gettext("%(count)s rejected"),
        ]
        counts = [self.rows_read, self.created, self.updated, self.rejected]
        if self.kind == ImportKind.REVENUE:
            parts.append(
                ngettext("%(count)s product created", "%(count)s products created", self.products_created)
            )
            counts.append(self.products_created)
        return ", ".join(part % {"count": group_thousands(n)} for part, n in zip(parts, counts, strict=True))


class DuplicateImport(ImportFileError):
    """The same bytes were imported before as the same kind."""

    def __init__(self, existing: DataImport) -> None:
        self.existing = existing
        who = existing.imported_by
        values = {
            "date": format_datetime(existing.created_at),
            "number": existing.pk,
            "file": existing.file_name,
        }
        if who is None:
            message = gettext(
                "This file was already imported on %(date)s from the command line as import #%(number)s "
                "(%(file)s). Importing it again would count its rows twice; nothing was imported."
            )
        else:
            values["user"] = who.get_full_name() or who.get_username()
            message = gettext(
                "This file was already imported on %(date)s by %(user)s as import #%(number)s (%(file)s). "
                "Importing it again would count its rows twice; nothing was imported."
            )
        super().__init__(message % values)


class ImportRejected(ImportFileError):
    """Some rows are invalid and skip_invalid was off, so nothing was imported; `result.errors` says why."""

    def __init__(self, result: ImportResult) -> None:
        self.result = result
        super().__init__(
            ngettext(
                "%(rejected)s of %(count)s row in %(file)s has errors; nothing was imported. Fix it, or "
                "import the valid rows and get the rejected ones back in a file (skip invalid rows).",
                "%(rejected)s of %(count)s rows in %(file)s have errors; nothing was imported. Fix them, or "
                "import the valid rows and get the rejected ones back in a file (skip invalid rows).",
                result.rows_read,
            )
            % {
                "rejected": group_thousands(result.rejected),
                "count": group_thousands(result.rows_read),
                "file": result.file_name,
            }
        )


@dataclass
class PendingRow(Generic[RowT]):
    """A row that parsed; resolving its references may still reject it."""

    line: int
    cells: list[str]
    row: RowT
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _BadRow:
    """A row whose cells did not parse."""

    line: int
    cells: list[str]
    errors: list[tuple[str, str]]


@dataclass
class WriteCounts:
    created: int = 0
    updated: int = 0
    products_created: int = 0


class RowImporter(ABC, Generic[RowT]):
    """One kind of file: its columns, how a row parses, how a batch resolves and is written."""

    kind: ClassVar[ImportKind]
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]]

    def __init__(self, columns: frozenset[str]) -> None:
        # Optional columns absent from the header are left alone on update, not blanked.
        self.columns = columns

    @abstractmethod
    def parse(self, values: Mapping[str, str], errors: list[tuple[str, str]]) -> RowT | None:
        """Turn one row's cells into a row, appending (field, message) for every bad cell."""

    @abstractmethod
    def resolve(self, rows: Sequence[PendingRow[RowT]]) -> None:
        """Look up the batch's references, one query per kind, appending errors to rows that fail."""

    @abstractmethod
    def write(self, rows: Sequence[RowT], data_import: DataImport) -> WriteCounts:
        """Write valid rows in bulk and say how many were created and updated."""


def resolved(reference: int | None) -> int:
    """A reference that resolve() looked up; write() is only ever given rows whose references resolved."""
    if reference is None:
        raise AssertionError("write() was given a row that resolve() rejected")
    return reference


def run_import(
    importer_class: type[RowImporter[Any]],
    *,
    stream: BinaryStream,
    file_name: str,
    skip_invalid: bool,
    rejected_path: Path | None,
    imported_by: User | None,
    progress: ProgressCallback | None,
    batch_size: int,
) -> ImportResult:
    kind = importer_class.kind
    file_name = os.path.basename(file_name) or "upload.csv"
    workbook = is_workbook(stream)
    prints = fingerprint(stream, text=not workbook)
    existing = _existing_import(kind, prints.sha256)
    if existing is not None:
        raise DuplicateImport(existing)

    csv_file = open_table(stream, workbook=workbook, size=prints.size)
    try:
        columns, ignored = _map_columns(csv_file.header, importer_class)
        run = _Run(
            importer=importer_class(frozenset(columns)),
            csv_file=csv_file,
            columns=columns,
            result=ImportResult(kind=kind, file_name=file_name, ignored_columns=ignored),
            skip_invalid=skip_invalid,
            progress=progress,
            bytes_total=prints.size,
            batch_size=batch_size,
        )
        try:
            with transaction.atomic():
                data_import = _record_import(
                    kind=kind, file_name=file_name, sha256=prints.sha256, imported_by=imported_by
                )
                if skip_invalid:
                    target = rejected_path or default_rejected_path(data_import, file_name)
                    run.open_rejected(target, with_bom=prints.has_bom or workbook)
                run.read_all(data_import)
                run.finish(data_import)
        except BaseException:
            run.discard_rejected()
            raise
        run.publish_rejected()
    finally:
        csv_file.close()
    logger.info("Import #%s %s %s: %s", data_import.pk, kind, file_name, run.result.summary())
    return run.result


def rejected_files_dir() -> Path:
    """Where rejected rows of uploads are kept; the admin serves files from here and nowhere else."""
    return Path(settings.MEDIA_ROOT) / "imports" / "rejected"


def default_rejected_path(data_import: DataImport, file_name: str) -> Path:
    # Only letters, digits, dot and dash from a name a browser sent; never a path or an empty name.
    stem = re.sub(r"[^\w.-]+", "_", Path(file_name).stem).strip("._") or "import"
    return rejected_files_dir() / f"{data_import.pk}-{stem[:100]}.rejected.csv"


def _existing_import(kind: str, sha256: str) -> DataImport | None:
    return DataImport.objects.select_related("imported_by").filter(kind=kind, sha256=sha256).first()


def _record_import(*, kind: str, file_name: str, sha256: str, imported_by: User | None) -> DataImport:
    try:
        # A savepoint, so the race below leaves the outer transaction usable for the lookup.
        with transaction.atomic():
            return DataImport.objects.create(
                kind=kind, file_name=file_name[:255], sha256=sha256, imported_by=imported_by
            )
    except IntegrityError:
        # The same file uploaded twice at once: both passed the up-front check, and on PostgreSQL the
        # second INSERT waited on the unique index until the first committed. Report that import.
        existing = _existing_import(kind, sha256)
        if existing is None:
            raise
        raise DuplicateImport(existing) from None


def _map_columns(
    header: list[str], importer_class: type[RowImporter[Any]]
) -> tuple[dict[str, int], list[str]]:
    """Map each known column name to its position; refuse a header missing required or repeating any."""
    known = set(importer_class.required) | set(importer_class.optional)
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        name = normalize_header(raw)
        if name in columns:
            raise ImportFileError(
                gettext("The column %(column)s appears twice in the header (line 1).")
                % {"column": repr(name)}
            )
        if name in known:
            columns[name] = index
        elif name:
            ignored.append(raw.strip())
    missing = [name for name in importer_class.required if name not in columns]
    if missing:
        found = ", ".join(normalize_header(h) for h in header if h.strip()) or gettext("nothing")
        raise ImportFileError(
            ngettext(
                "The file is missing the required column %(missing)s (line 1 has: %(found)s). "
                "A file of %(kind)s needs %(required)s; it may also have %(optional)s.",
                "The file is missing the required columns %(missing)s (line 1 has: %(found)s). "
                "A file of %(kind)s needs %(required)s; it may also have %(optional)s.",
                len(missing),
            )
            % {
                "missing": ", ".join(missing),
                "found": found,
                "kind": str(importer_class.kind.label).lower(),
                "required": ", ".join(importer_class.required),
                "optional": ", ".join(importer_class.optional),
            }
        )
    return columns, ignored


class _Run:
    """The state of one import while it streams: the current batch, counts, the rejected file."""

    def __init__(
        self,
        *,
        importer: RowImporter[Any],
        csv_file: Table,
        columns: dict[str, int],
        result: ImportResult,
        skip_invalid: bool,
        progress: ProgressCallback | None,
        bytes_total: int,
        batch_size: int,
    ) -> None:
        self.importer = importer
        self.csv_file = csv_file
        self.columns = columns
        self.result = result
        self.skip_invalid = skip_invalid
        self.progress = progress
        self.bytes_total = bytes_total
        self.batch_size = batch_size
        self.header_width = len(csv_file.header)
        self._rejected_target: Path | None = None
        self._rejected_temp: IO[str] | None = None
        self._rejected_writer: Any = None

    @property
    def writing(self) -> bool:
        # After the first error a default-mode import will be rolled back anyway: keep validating so
        # the user sees every error in one go, but stop sending rows to the database.
        return self.skip_invalid or self.result.rejected == 0

    def read_all(self, data_import: DataImport) -> None:
        batch: list[PendingRow[Any] | _BadRow] = []
        for record in self.csv_file.records():
            self.result.rows_read += 1
            batch.append(self._parse(record))
            if self.result.rows_read % self.batch_size == 0:
                self._flush(batch, data_import)
                batch = []
            if self.progress and self.result.rows_read % PROGRESS_EVERY == 0:
                self._report_progress()
        self._flush(batch, data_import)
        if self.progress:
            self._report_progress()

    def finish(self, data_import: DataImport) -> None:
        result = self.result
        if result.rows_read == 0:
            raise ImportFileError(
                gettext("The file has column names (line 1) but no rows; nothing was imported.")
            )
        if result.rejected and not self.skip_invalid:
            # Earlier batches may have been written; raising rolls them back with the DataImport row,
            # so a corrected file can be imported as if this attempt never happened.
            result.created = result.updated = result.products_created = 0
            raise ImportRejected(result)
        if result.rejected:
            result.rejected_file = self._rejected_target
        data_import.rows_total = result.rows_read
        data_import.rows_created = result.created
        data_import.rows_updated = result.updated
        data_import.rows_rejected = result.rejected
        data_import.products_created = result.products_created
        data_import.rejected_file = str(result.rejected_file or "")[:500]
        data_import.save(
            update_fields=[
                "rows_total",
                "rows_created",
                "rows_updated",
                "rows_rejected",
                "products_created",
                "rejected_file",
            ]
        )
        result.data_import = data_import

    def _parse(self, record: Record) -> PendingRow[Any] | _BadRow:
        line, cells = record.line, record.cells
        if record.problem is not None:
            return _BadRow(line, cells, [("row", record.problem)])
        if len(cells) > self.header_width and any(c.strip() for c in cells[self.header_width :]):
            if self.csv_file.separator == ",":
                message = gettext(
                    "%(count)s values but the header has %(width)s columns (a decimal comma in a "
                    "comma-separated file must be quoted)"
                )
            else:
                message = gettext("%(count)s values but the header has %(width)s columns")
            return _BadRow(
                line, cells, [("columns", message % {"count": len(cells), "width": self.header_width})]
            )
        if len(cells) < self.header_width and not self.csv_file.is_workbook:
            # A short row is a lost or merged separator as often as a missing value: refuse it rather
            # than guess which cells moved. (A workbook's sheet leaves trailing empty cells out, and
            # there they are empty.)
            message = gettext("%(count)s values but the header has %(width)s columns")
            return _BadRow(
                line, cells, [("columns", message % {"count": len(cells), "width": self.header_width})]
            )
        values = {name: cells[index] if index < len(cells) else "" for name, index in self.columns.items()}
        errors: list[tuple[str, str]] = []
        row = self.importer.parse(values, errors)
        if errors or row is None:
            return _BadRow(line, cells, errors)
        return PendingRow(line=line, cells=cells, row=row)

    def _flush(self, batch: list[PendingRow[Any] | _BadRow], data_import: DataImport) -> None:
        if not batch:
            return
        parsed = [pending for pending in batch if isinstance(pending, PendingRow)]
        if parsed:
            self.importer.resolve(parsed)
        valid = []
        # In file order, so the error list and the rejected file read top to bottom like the input.
        for pending in batch:
            if pending.errors:
                self._reject(pending.line, pending.cells, pending.errors)
            elif isinstance(pending, PendingRow):
                valid.append(pending.row)
        if valid and self.writing:
            counts = self.importer.write(valid, data_import)
            self.result.created += counts.created
            self.result.updated += counts.updated
            self.result.products_created += counts.products_created

    def _reject(self, line: int, cells: list[str], errors: list[tuple[str, str]]) -> None:
        result = self.result
        result.rejected += 1
        for name, message in errors:
            result.error_count += 1
            if len(result.errors) < MAX_ERRORS_KEPT:
                result.errors.append(RowError(line=line, field=name, message=message))
        if self._rejected_writer is not None:
            reason = "; ".join(f"{name}: {message}" for name, message in errors)
            self._rejected_writer.writerow([*cells, line_message(line, reason)])

    def _report_progress(self) -> None:
        if self.progress is None:
            return
        self.progress(
            ImportProgress(
                rows_read=self.result.rows_read,
                bytes_read=min(self.csv_file.bytes_read, self.bytes_total),
                bytes_total=self.bytes_total,
            )
        )

    def open_rejected(self, target: Path, *, with_bom: bool) -> None:
        """Start the rejected file as a temporary file beside its target; published only on success."""
        target.parent.mkdir(parents=True, exist_ok=True)
        self._rejected_target = target
        # Same encoding style as the input, so it opens in Excel the way the original did.
        self._rejected_temp = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in publish/discard
            mode="w",
            encoding="utf-8-sig" if with_bom else "utf-8",
            newline="",
            dir=target.parent,
            prefix=f".{target.name}.",
            suffix=".tmp",
            delete=False,
        )
        self._rejected_writer = csv.writer(self._rejected_temp, delimiter=self.csv_file.separator)
        self._rejected_writer.writerow([*self.csv_file.header, "reason"])

    def publish_rejected(self) -> None:
        """Move the rejected file into place after the commit, or drop it when no row was rejected."""
        if self._rejected_temp is None or self._rejected_target is None:
            return
        self._rejected_temp.close()
        if self.result.rejected:
            os.replace(self._rejected_temp.name, self._rejected_target)
        else:
            os.unlink(self._rejected_temp.name)
        self._rejected_temp = None

    def discard_rejected(self) -> None:
        if self._rejected_temp is not None:
            self._rejected_temp.close()
            Path(self._rejected_temp.name).unlink(missing_ok=True)
            self._rejected_temp = None
