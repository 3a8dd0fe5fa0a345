"""Reading spreadsheet exports: bytes to CSV records, and cells to typed values.

Nothing here touches the database; model fields are read only for their limits. Norwegian spreadsheets
export with a semicolon separator and a decimal comma, English ones with a comma and a decimal point;
both arrive here, with or without the BOM Excel writes in front of "CSV UTF-8".
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from django.db.models import Field, Model
from django.utils import timezone

from core.errors import BadInput

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

_HASH_CHUNK_BYTES = 1 << 20
# The text layer reads ahead this much, so the byte count used for progress is at most this far ahead
# of the row being parsed.
_READ_BUFFER_BYTES = 1 << 16
_BOM = codecs.BOM_UTF8
# What spreadsheets put between thousands: a space, a no-break space, a narrow no-break space.
_GROUP_SPACES = " \u00a0\u202f"
_NUMBER = re.compile(
    rf"(?P<sign>[+-]?)(?P<whole>\d{{1,3}}(?:[{_GROUP_SPACES}]\d{{3}})+|\d+)(?:[.,](?P<fraction>\d+))?"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
# PostgreSQL's integer column; a larger value would fail the whole INSERT instead of one row.
MAX_INTEGER = 2_147_483_647

FieldT = TypeVar("FieldT", bound="Field[Any, Any]")


class ImportFileError(BadInput):
    """The file as a whole cannot be imported (encoding, header, duplicate); nothing was imported."""


class CellError(ValueError):
    """One cell's value is unusable; the message is shown to the user after the field name."""


class BinaryStream(Protocol):
    """A seekable binary file: an open file, an upload, a BytesIO."""

    def read(self, size: int = -1, /) -> bytes: ...

    def seek(self, offset: int, whence: int = 0, /) -> int: ...


@dataclass(frozen=True)
class Fingerprint:
    sha256: str
    size: int
    has_bom: bool


def fingerprint(stream: BinaryStream) -> Fingerprint:
    """Hash the whole stream and check that it is UTF-8, then rewind it.

    Reading the file once before importing costs a few seconds on the largest exports, and buys two
    things: a duplicate file is refused before any row is parsed, and a file saved in a legacy encoding
    is refused with its line number instead of after half a million rows.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    lines_before = 0
    first = b""
    while chunk := stream.read(_HASH_CHUNK_BYTES):
        if not first:
            first = chunk[:3]
        digest.update(chunk)
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines_before + chunk[: exc.start].count(b"\n") + 1
            raise ImportFileError(
                f"The file is not UTF-8 text (line {line} has a byte UTF-8 does not allow). "
                'In Excel choose "Save as" and the type "CSV UTF-8 (comma delimited)" '
                '("CSV UTF-8 (kommadelt)"), then import the new file.'
            ) from None
        lines_before += chunk.count(b"\n")
        size += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ImportFileError(
            "The file ends in the middle of a UTF-8 character; it is truncated or not UTF-8 text."
        ) from None
    stream.seek(0)
    return Fingerprint(sha256=digest.hexdigest(), size=size, has_bom=first == _BOM)


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


@dataclass(frozen=True)
class Record:
    """One CSV record: its first physical line in the file (header = 1) and its cells."""

    line: int
    cells: list[str]


class CsvFile:
    """A streamed CSV file: the header, the sniffed separator and an iterator over its records."""

    def __init__(self, stream: BinaryStream) -> None:
        self._counter = _CountingReader(stream)
        # utf-8-sig drops a BOM if there is one; newline="" lets the csv module see quoted line breaks.
        self._text = io.TextIOWrapper(
            io.BufferedReader(self._counter, _READ_BUFFER_BYTES), encoding="utf-8-sig", newline=""
        )
        header_line = self._text.readline()
        if not header_line.strip():
            raise ImportFileError("The file is empty; the first line must be the column names.")
        self.separator = sniff_separator(header_line)
        self._reader = csv.reader(_chain_line(header_line, self._text), delimiter=self.separator)
        self.header = next(self._reader)

    @property
    def bytes_read(self) -> int:
        return self._counter.bytes_read

    def records(self) -> Iterator[Record]:
        """Yield the data records, skipping blank lines (Excel writes ';;;;' rows after the data)."""
        last_line = self._reader.line_num
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise ImportFileError(
                    f'line {last_line + 1}: the file cannot be read as CSV ({exc}); is a quote (") left open?'
                ) from None
            line, last_line = last_line + 1, self._reader.line_num
            if any(cell.strip() for cell in cells):
                yield Record(line=line, cells=cells)

    def close(self) -> None:
        # Detach rather than close: the stream belongs to the caller (an upload, an open file).
        self._text.detach()


def _chain_line(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    yield first
    yield from rest


def sniff_separator(header_line: str) -> str:
    """Semicolon when the header has more semicolons than commas, else comma.

    Column names never contain either, so the header decides it without guessing from data rows,
    where a decimal comma would mislead csv.Sniffer.
    """
    return ";" if header_line.count(";") > header_line.count(",") else ","


def normalize_header(name: str) -> str:
    return name.strip().lower()


def shown(raw: str) -> str:
    """A cell value quoted for a message, cut short so one odd cell cannot flood the error list."""
    return repr(raw if len(raw) <= 60 else raw[:57] + "...")


def parse_decimal(raw: str, *, max_digits: int, decimal_places: int) -> Decimal:
    """Parse '1 234,50', '1234.50', '1\u00a0234,50' or '-12,5' into a Decimal that fits the column."""
    text = raw.strip().replace("\u2212", "-")  # a typographic minus from word processors
    match = _NUMBER.fullmatch(text)
    if match is None:
        raise CellError(f"{shown(raw)} is not a number")
    whole = "".join(ch for ch in match["whole"] if ch.isdigit())
    try:
        value = Decimal(f"{match['sign']}{whole}.{match['fraction'] or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise CellError(f"{shown(raw)} is not a number") from None
    step, limit = _bounds(max_digits, decimal_places)
    rounded = value.quantize(step)
    if value != rounded:
        raise CellError(f"{shown(raw)} has more than {decimal_places} decimals")
    if abs(value) >= limit:
        raise CellError(f"{shown(raw)} is too large")
    return rounded


@functools.cache
def _bounds(max_digits: int, decimal_places: int) -> tuple[Decimal, Decimal]:
    """The smallest step and the first value too large for a DecimalField of this shape."""
    return Decimal(1).scaleb(-decimal_places), Decimal(10) ** (max_digits - decimal_places)


def parse_whole_number(raw: str, *, what: str = "a whole number") -> int:
    """Parse a non-negative integer; '30', '1 200' and a spreadsheet's '30,00' are all fine."""
    try:
        value = parse_decimal(raw, max_digits=30, decimal_places=10)
    except CellError:
        raise CellError(f"{shown(raw)} is not {what}") from None
    if value != value.to_integral_value():
        raise CellError(f"{shown(raw)} is not {what}")
    if value < 0:
        raise CellError(f"{shown(raw)} is negative")
    if value > MAX_INTEGER:
        raise CellError(f"{shown(raw)} is too large")
    return int(value)


def parse_date(raw: str) -> date:
    """Parse an ISO date, YYYY-MM-DD; other orders are ambiguous (is 03.04 March or April?)."""
    text = raw.strip()
    if _ISO_DATE.fullmatch(text) is None:
        raise CellError(f"{shown(raw)} is not a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CellError(f"{shown(raw)} is not a valid date") from None


def parse_moment(raw: str) -> datetime:
    """Parse an ISO date-time into an aware datetime; without an offset it is Oslo local time.

    A plain date means midnight in Oslo. Summer-time gaps and overlaps resolve the way zoneinfo does
    (fold=0, the first of two 02:30s in October).
    """
    text = raw.strip()
    if _ISO_DATE.fullmatch(text):
        moment = datetime.combine(parse_date(text), time.min)
    elif _ISO_DATETIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace(",", "."))
        except ValueError:
            raise CellError(f"{shown(raw)} is not a valid date and time") from None
    else:
        raise CellError(f"{shown(raw)} is not a date and time as YYYY-MM-DD HH:MM")
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def check_length(raw: str, max_length: int | None) -> str:
    """`raw` if it fits a text column of `max_length` characters (None: no limit)."""
    if max_length is not None and len(raw) > max_length:
        raise CellError(f"{shown(raw)} is longer than {max_length} characters")
    return raw


# --- Cells of a row ----------------------------------------------------------------------------------


def model_field(model: type[Model], name: str, kind: type[FieldT]) -> FieldT:
    """The model's field `name`, which must be a `kind`: the parsers take their limits from it.

    Called at import time, so a renamed or retyped model field fails at startup, not mid-file.
    """
    field = model._meta.get_field(name)
    if not isinstance(field, kind):
        raise TypeError(f"{model.__name__}.{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


def cell(
    values: Mapping[str, str],
    name: str,
    errors: list[tuple[str, str]],
    parse: Callable[[str], Any],
    *,
    required: bool = False,
) -> Any:
    """Parse one cell with `parse`, recording a bad or missing value as an error on the field.

    An empty optional cell is None; `parse` never sees it.
    """
    raw = values.get(name, "").strip()
    if not raw:
        if required:
            errors.append((name, "a value is required"))
        return None
    try:
        return parse(raw)
    except CellError as exc:
        errors.append((name, str(exc)))
        return None
