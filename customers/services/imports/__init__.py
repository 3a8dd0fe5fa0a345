"""Data imports: customers, revenue lines and interactions from CSV exports and .xlsx workbooks.

Every import takes a seekable binary stream and the file's name (the command opens the file, the admin
passes the upload), runs in one transaction and is recorded as a DataImport; see engine.py for how.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext

from core.errors import BadInput
from customers.models import ImportKind

from .customers import CustomerImporter
from .engine import (
    BATCH_SIZE,
    DuplicateImport,
    ImportProgress,
    ImportRejected,
    ImportResult,
    ProgressCallback,
    RowError,
    RowImporter,
    default_rejected_path,
    rejected_files_dir,
    run_import,
)
from .interactions import InteractionImporter
from .reading import BinaryStream, ImportFileError
from .revenue import RevenueImporter

if TYPE_CHECKING:
    from core.types import User

IMPORTERS: dict[str, type[RowImporter[Any]]] = {
    ImportKind.CUSTOMERS: CustomerImporter,
    ImportKind.REVENUE: RevenueImporter,
    ImportKind.INTERACTIONS: InteractionImporter,
}


def import_data_file(
    *,
    kind: ImportKind | str,
    stream: BinaryStream,
    file_name: str,
    skip_invalid: bool = False,
    rejected_path: Path | None = None,
    imported_by: User | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Import a CSV or .xlsx file of the given kind in one transaction and record it as a DataImport.

    Raises DuplicateImport when the same bytes were imported before as this kind, ImportRejected
    (carrying the result and its row errors) when a row is invalid and skip_invalid is off, and
    ImportFileError when the file as a whole is unusable (an unterminated quote, an over-long line, a
    damaged workbook: each naming its line); in all three cases nothing is written.
    Raises BadInput for an unknown kind.
    With skip_invalid the valid rows are imported and the invalid ones written, with a `reason`
    column, to `rejected_path` (default: under MEDIA_ROOT/imports/rejected/).
    """
    return run_import(
        _importer(kind),
        stream=stream,
        file_name=file_name,
        skip_invalid=skip_invalid,
        rejected_path=rejected_path,
        imported_by=imported_by,
        progress=progress,
        batch_size=batch_size,
    )


def import_columns(kind: ImportKind | str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The required and optional column names of a kind of file, for help texts."""
    importer_class = _importer(kind)
    return importer_class.required, importer_class.optional


def _importer(kind: ImportKind | str) -> type[RowImporter[Any]]:
    try:
        return IMPORTERS[kind]
    except KeyError:
        raise BadInput(
            gettext("Unknown import kind %(kind)s; expected one of %(kinds)s.")
            % {"kind": repr(kind), "kinds": ", ".join(IMPORTERS)},
            field="kind",
        ) from None


__all__ = [
    "BATCH_SIZE",
    "BinaryStream",
    "DuplicateImport",
    "ImportFileError",
    "ImportProgress",
    "ImportRejected",
    "ImportResult",
    "ProgressCallback",
    "RowError",
    "default_rejected_path",
    "import_columns",
    "import_data_file",
    "rejected_files_dir",
]
