"""Files as tables of text cells: strict, memory-bounded CSV, and the first sheet of an Excel workbook.

Both give the engine the same thing: a header, then records that carry the physical line (the
spreadsheet row) they start on. Two kinds of problem are told apart. A structural one (an unterminated
quote, a line too long to read) leaves the rest of the file unreadable, so it refuses the whole file
with ImportFileError even with skip_invalid. A problem confined to one row (a NUL byte in a cell) is
put on the record, and the engine rejects that row like any row with a bad cell.
"""

from __future__ import annotations

import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext

from core.formats import group_thousands

from .reading import BinaryStream, ImportFileError, line_message

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

# The text layer reads ahead this much, so the byte count used for progress is at most this far ahead
# of the row being parsed.
_READ_BUFFER_BYTES = 1 << 16
# A physical line, and a record across quoted line breaks, are read at most this many characters at a
# time. An ERP row is a few hundred characters; a megabyte is a runaway quote or not CSV at all, and
# reading it in bounded pieces keeps memory flat however long the line (a 200 MB line used to cost
# half a gigabyte).
MAX_LINE_CHARS = 1 << 20
MAX_RECORD_CHARS = 1 << 20
# The csv module's own limit (csv.field_size_limit()'s default), named here so the message can say it.
MAX_FIELD_CHARS = 131_072
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls format
# What a comma-separated record gets from csv.Error("...") worth explaining to a person.
_UNTERMINATED = "unexpected end of data"
_FIELD_LIMIT = "field larger than field limit"


@dataclass(frozen=True)
class Record:
    """One record: its first physical line in the file (header = 1), its cells, and a row-level problem."""

    line: int
    cells: list[str]
    problem: str | None = None


class Table(Protocol):
    """What the engine reads: a header, records, progress in bytes and how to write rejected rows."""

    header: list[str]
    separator: str
    is_workbook: bool

    @property
    def bytes_read(self) -> int: ...

    def records(self) -> Iterator[Record]: ...

    def close(self) -> None: ...


def is_workbook(stream: BinaryStream) -> bool:
    """Whether the stream is an .xlsx workbook (a zip file) rather than text; rewinds the stream."""
    start = stream.read(4)
    stream.seek(0)
    if start == _OLE_MAGIC:
        raise ImportFileError(
            line_message(
                1,
                gettext(
                    "this is an old Excel .xls workbook. Save it as an Excel workbook (.xlsx) or as "
                    '"CSV UTF-8 (kommadelt)" and import that file.'
                ),
            )
        )
    return start == _ZIP_MAGIC


def open_table(stream: BinaryStream, *, workbook: bool, size: int) -> Table:
    return WorkbookFile(stream, size=size) if workbook else CsvFile(stream)


def _row_record(line: int, cells: list[str]) -> Record:
    if any("\x00" in c for c in cells):
        # The NUL is dropped from the cells so the rejected file is still text a spreadsheet opens.
        return Record(
            line=line,
            cells=[c.replace("\x00", "") for c in cells],
            problem=gettext(
                "the row contains a NUL byte (\\x00), which is not text; the file is damaged or is not a "
                "CSV export"
            ),
        )
    if sum(len(c) for c in cells) > MAX_RECORD_CHARS:
        raise ImportFileError(
            line_message(
                line,
                gettext("the row is longer than %(limit)s characters; nothing was imported.")
                % {"limit": group_thousands(MAX_RECORD_CHARS)},
            )
        )
    return Record(line=line, cells=cells)


# --- CSV -----------------------------------------------------------------------------------------


class _CountingReader(io.RawIOBase):
    """A raw reader over the caller's stream that counts bytes read, for progress by bytes."""

    def __init__(self, stream: BinaryStream) -> None:
        super().__init__()
        self._stream = stream
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        with memoryview(buffer) as view, view.cast("B") as target:
            data = self._stream.read(len(target))
            target[: len(data)] = data
        self.bytes_read += len(data)
        return len(data)


class _Lines:
    """The physical lines of a text, each read in bounded pieces; refuses a line or record too long."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._text = text
        self.number = 0
        self.record_start = 1
        self._record_chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        # +2 leaves room for "\r\n", so a line of exactly the limit is read whole and not split in two.
        line = self._text.readline(MAX_LINE_CHARS + 2)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line.rstrip("\r\n")) > MAX_LINE_CHARS:
            raise ImportFileError(
                line_message(
                    self.number,
                    gettext(
                        "the line is longer than %(limit)s characters; this is not a CSV export an ERP or a "
                        "spreadsheet writes. Nothing was imported."
                    )
                    % {"limit": group_thousands(MAX_LINE_CHARS)},
                )
            )
        self._record_chars += len(line)
        if self._record_chars > MAX_RECORD_CHARS:
            raise ImportFileError(
                line_message(
                    self.record_start,
                    gettext(
                        'the row starting here runs over more than %(limit)s characters; is a quote (") '
                        "left open? Nothing was imported."
                    )
                    % {"limit": group_thousands(MAX_RECORD_CHARS)},
                )
            )
        return line

    def next_record(self) -> None:
        self.record_start = self.number + 1
        self._record_chars = 0


class CsvFile:
    """A streamed CSV file: the header, the sniffed separator and an iterator over its records.

    Parsing is strict: a quote must close, and a closing quote must end its field. The lenient default
    of the csv module would read an unterminated quote as one field holding the rest of the file and
    report success with the rows after it lost.
    """

    is_workbook = False

    def __init__(self, stream: BinaryStream) -> None:
        self._counter = _CountingReader(stream)
        # utf-8-sig drops a BOM if there is one; newline="" lets the csv module see quoted line breaks.
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counter, _READ_BUFFER_BYTES), encoding="utf-8-sig", newline=""
        )
        self._lines = _Lines(self._text)
        header_line = next(self._lines, "")
        if not header_line.strip():
            raise ImportFileError(gettext("The file is empty; line 1 must be the column names."))
        self.separator = sniff_separator(header_line)
        self._reader = csv.reader(
            _chain_line(header_line, self._lines), delimiter=self.separator, strict=True
        )
        _, header = self._next_cells()
        if header is None:  # pragma: no cover - the header line was read above
            raise ImportFileError(gettext("The file is empty; line 1 must be the column names."))
        if any("\x00" in name for name in header):
            raise ImportFileError(
                line_message(1, gettext("the column names contain a NUL byte (\\x00); the file is damaged."))
            )
        self.header = header

    @property
    def bytes_read(self) -> int:
        return self._counter.bytes_read

    def records(self) -> Iterator[Record]:
        """Yield the data records, skipping blank lines (Excel writes ';;;;' rows after the data)."""
        while True:
            line, cells = self._next_cells()
            if cells is None:
                return
            if any(cell.strip() for cell in cells):
                yield _row_record(line, cells)

    def _next_cells(self) -> tuple[int, list[str] | None]:
        """The next record's first line and its cells (None at the end of the file)."""
        self._lines.next_record()
        line = self._lines.record_start
        try:
            return line, next(self._reader)
        except StopIteration:
            return line, None
        except csv.Error as exc:
            raise ImportFileError(_csv_error_message(line, str(exc))) from None

    def close(self) -> None:
        # Detach rather than close: the stream belongs to the caller (an upload, an open file).
        self._text.detach()


def _csv_error_message(line: int, error: str) -> str:
    if _UNTERMINATED in error:
        message = gettext(
            'unterminated quote; a quoted field (") in the row starting here runs to the end of the file. '
            "Close the quote or remove it; nothing was imported."
        )
    elif _FIELD_LIMIT in error:
        message = gettext(
            'a field in the row starting here is longer than %(limit)s characters; is a quote (") left '
            "open? Nothing was imported."
        ) % {"limit": group_thousands(MAX_FIELD_CHARS)}
    else:
        # The csv module's own reason stays English: it is Python's text, quoted for whoever helps.
        message = gettext(
            'the row starting here cannot be read as CSV (%(error)s): a quote (") inside a quoted field '
            'must be doubled (""), and a closing quote must be followed by the separator or the end of the '
            "line. Nothing was imported."
        ) % {"error": error}
    return line_message(line, message)


def _chain_line(first: str, rest: _Lines) -> Iterator[str]:
    yield first
    yield from rest


def sniff_separator(header_line: str) -> str:
    """Semicolon when the header has more semicolons than commas, else comma.

    Column names never contain either, so the header decides it without guessing from data rows,
    where a decimal comma would mislead csv.Sniffer.
    """
    return ";" if header_line.count(";") > header_line.count(",") else ","


# --- Excel ---------------------------------------------------------------------------------------


class WorkbookFile:
    """The first sheet of an .xlsx workbook, streamed row by row; line numbers are its row numbers.

    Rejected rows go to a CSV file with a semicolon and a BOM, which Norwegian Excel opens as columns.
    """

    is_workbook = True
    separator = ";"

    def __init__(self, stream: BinaryStream, *, size: int) -> None:
        self._rows, self._close = _sheet_rows(stream)
        self._size = size
        self._done = False
        first = next(self._rows, None)
        header = [_cell_text(value) for value in first or ()]
        if not any(name.strip() for name in header):
            self.close()
            raise ImportFileError(
                gettext("The first sheet is empty; row 1 must be the column names (line 1).")
            )
        self.header = _trimmed(header)

    @property
    def bytes_read(self) -> int:
        # A zip is read by seeking about, so the position says nothing until the sheet is done.
        return self._size if self._done else 0

    def records(self) -> Iterator[Record]:
        for line, values in enumerate(self._rows, start=2):
            cells = _trimmed([_cell_text(value) for value in values])
            if any(cell.strip() for cell in cells):
                yield _row_record(line, cells)
        self._done = True

    def close(self) -> None:
        self._close()


def _trimmed(cells: list[str]) -> list[str]:
    # A read-only sheet pads rows to the sheet's widest row; empty cells past the last value are not data.
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return cells[:end]


def _sheet_rows(stream: BinaryStream) -> tuple[Iterator[tuple[object, ...]], Callable[[], None]]:
    """The first sheet's rows as tuples of cell values, and how to close the workbook.

    openpyxl ships without type information; it is used here and nowhere else.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # read_only streams the sheet's XML instead of building every cell; data_only gives the values
        # Excel last calculated rather than formulas.
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError) as exc:
        # Only the errors openpyxl raises for a damaged or foreign zip: anything else is a bug to see.
        raise ImportFileError(
            line_message(
                1,
                gettext(
                    "the file is not an Excel workbook (.xlsx) that can be read (%(error)s). Save it again "
                    'from Excel as .xlsx or as "CSV UTF-8 (kommadelt)".'
                )
                % {"error": type(exc).__name__},
            )
        ) from None
    if not workbook.worksheets:
        workbook.close()
        raise ImportFileError(line_message(1, gettext("the workbook has no sheet with rows.")))
    rows: Iterator[tuple[object, ...]] = workbook.worksheets[0].iter_rows(values_only=True)
    close: Callable[[], None] = workbook.close
    return _guarded(rows), close


def _guarded(rows: Iterator[tuple[object, ...]]) -> Iterator[tuple[object, ...]]:
    """The rows, with a sheet damaged part-way refused naming the row where reading stopped.

    The sheet's XML is parsed as the rows are read, so damage shows up here, not when opening.
    """
    read = 0
    try:
        for row in rows:
            yield row
            read += 1
    except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError) as exc:
        # What openpyxl raises for malformed sheet XML, a corrupt zip member or a cell whose stored
        # value does not match its type ("1x" as a number): hostile or damaged input, not our bug.
        raise ImportFileError(
            line_message(
                read + 1,
                gettext(
                    "the first sheet is damaged and cannot be read from this row on (%(error)s); nothing "
                    "was imported. Save the workbook again from Excel."
                )
                % {"error": type(exc).__name__},
            )
        ) from None


def _cell_text(value: object) -> str:
    """A cell's value as the text a CSV export of it would hold, for the same cell parsers."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time.min else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value).upper()
    if isinstance(value, float):
        # Excel keeps every number as a float: 923609016.0 is an organisation number, 1234.5 an
        # amount; repr gives the shortest text that reads back as the same float, never 1e+16.
        if value.is_integer():
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    return str(value)
