"""Data imports: customers, revenue lines and interactions from CSV exports of ERPs and spreadsheets.

Every import takes a seekable binary stream and the file's name (the command opens the file, the admin
passes the upload), runs in one transaction and is recorded as a DataImport; see engine.py for how.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Required, TypedDict

from django.contrib.auth.base_user import AbstractBaseUser
from typing_extensions import Unpack

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
    imported_by: AbstractBaseUser | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportResult:
    """Import a CSV file of the given kind in one transaction and record it as a DataImport.

    Raises DuplicateImport when the same bytes were imported before as this kind, ImportRejected
    (carrying the result and its row errors) when a row is invalid and skip_invalid is off, and
    ImportFileError when the file as a whole is unusable; in all three cases nothing is written.
    With skip_invalid the valid rows are imported and the invalid ones written, with a `reason`
    column, to `rejected_path` (default: under MEDIA_ROOT/imports/rejected/).
    """
    try:
        importer_class = IMPORTERS[kind]
    except KeyError:
        raise ValueError(f"Unknown import kind {kind!r}; expected one of {', '.join(IMPORTERS)}") from None
    return run_import(
        importer_class,
        stream=stream,
        file_name=file_name,
        skip_invalid=skip_invalid,
        rejected_path=rejected_path,
        imported_by=imported_by,
        progress=progress,
        batch_size=batch_size,
    )


class ImportOptions(TypedDict, total=False):
    """The arguments every kind of import takes; see import_data_file."""

    stream: Required[BinaryStream]
    file_name: Required[str]
    skip_invalid: bool
    rejected_path: Path | None
    imported_by: AbstractBaseUser | None
    progress: ProgressCallback | None
    batch_size: int


def import_customers(**options: Unpack[ImportOptions]) -> ImportResult:
    """Upsert customers by external_id from a CSV file (see import_data_file for the contract)."""
    return import_data_file(kind=ImportKind.CUSTOMERS, **options)


def import_revenue(**options: Unpack[ImportOptions]) -> ImportResult:
    """Import revenue lines from a CSV file, updating lines by line_id (see import_data_file)."""
    return import_data_file(kind=ImportKind.REVENUE, **options)


def import_interactions(**options: Unpack[ImportOptions]) -> ImportResult:
    """Import interactions into the customer dialog log from a CSV file (see import_data_file)."""
    return import_data_file(kind=ImportKind.INTERACTIONS, **options)


def import_columns(kind: ImportKind | str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The required and optional column names of a kind of file, for help texts."""
    importer_class = IMPORTERS[kind]
    return importer_class.required, importer_class.optional


__all__ = [
    "BATCH_SIZE",
    "BinaryStream",
    "DuplicateImport",
    "ImportFileError",
    "ImportOptions",
    "ImportProgress",
    "ImportRejected",
    "ImportResult",
    "ProgressCallback",
    "RowError",
    "default_rejected_path",
    "import_columns",
    "import_customers",
    "import_data_file",
    "import_interactions",
    "import_revenue",
    "rejected_files_dir",
]
