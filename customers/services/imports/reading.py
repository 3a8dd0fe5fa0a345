"""Reading spreadsheet exports: fingerprinting the bytes, and cells to typed values (tables.py: records).

Nothing here touches the database; model fields are read only for their limits. Norwegian spreadsheets
export with a semicolon separator and a decimal comma, English ones with a comma and a decimal point;
both arrive here, with or without the BOM Excel writes in front of "CSV UTF-8".
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from django.db.models import Field, Model
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import BadInput

_HASH_CHUNK_BYTES = 1 << 20
_BOM = codecs.BOM_UTF8
# What spreadsheets put between thousands: a space, a no-break space, a narrow no-break space.
_GROUP_SPACES = " \u00a0\u202f"
_NUMBER = re.compile(
    rf"(?P<sign>[+-]?)(?P<whole>\d{{1,3}}(?:[{_GROUP_SPACES}]\d{{3}})+|\d+)(?:[.,](?P<fraction>\d+))?"
)
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
# Norwegian order with dots and a four-digit year, as nb Excel writes it: 05.01.2026, 5.1.2026.
_NORWEGIAN_DATE = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4})")
_NORWEGIAN_DATETIME = re.compile(
    rf"(?P<date>{_NORWEGIAN_DATE.pattern})[ T](?P<hour>\d{{1,2}})[:.](?P<minute>\d{{2}})(?:[:.](?P<second>\d{{2}}))?"
)
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


def fingerprint(stream: BinaryStream, *, text: bool = True) -> Fingerprint:
    """Hash the whole stream and, for a text file, check that it is UTF-8; then rewind it.

    Reading the file once before importing costs a few seconds on the largest exports, and buys two
    things: a duplicate file is refused before any row is parsed, and a file saved in a legacy encoding
    is refused with its line number instead of after half a million rows. A workbook (text=False) is a
    zip, so only its hash and size count.
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
        size += len(chunk)
        if not text:
            continue
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            line = lines_before + chunk[: exc.start].count(b"\n") + 1
            raise ImportFileError(
                gettext(
                    "The file is not UTF-8 text (line %(line)s has a byte UTF-8 does not allow). "
                    'In Excel choose "Save as" and the type "CSV UTF-8 (comma delimited)" '
                    '("CSV UTF-8 (kommadelt)"), then import the new file.'
                )
                % {"line": line}
            ) from None
        lines_before += chunk.count(b"\n")
    if text:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFileError(
                gettext(
                    "The file ends in the middle of a UTF-8 character (line %(line)s); it is truncated or "
                    "not UTF-8 text."
                )
                % {"line": lines_before + 1}
            ) from None
    stream.seek(0)
    return Fingerprint(sha256=digest.hexdigest(), size=size, has_bom=first == _BOM)


def line_message(line: int, message: str) -> str:
    """'line 7: revenue: ...': where in the file, in the words of the active language."""
    # The field before the message is the file's own column name ("revenue", "columns"), which
    # is what the person sees in their spreadsheet, so it stays as it is in every language.
    return gettext("line %(line)s: %(message)s") % {"line": line, "message": message}


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
        raise CellError(gettext("%(value)s is not a number") % {"value": shown(raw)})
    whole = "".join(ch for ch in match["whole"] if ch.isdigit())
    try:
        value = Decimal(f"{match['sign']}{whole}.{match['fraction'] or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        raise CellError(gettext("%(value)s is not a number") % {"value": shown(raw)}) from None
    step, limit = _bounds(max_digits, decimal_places)
    rounded = value.quantize(step)
    if value != rounded:
        raise CellError(
            gettext("%(value)s has more than %(decimal_places)s decimals")
            % {"value": shown(raw), "decimal_places": decimal_places}
        )
    if abs(value) >= limit:
        raise CellError(gettext("%(value)s is too large") % {"value": shown(raw)})
    return rounded


@functools.cache
def _bounds(max_digits: int, decimal_places: int) -> tuple[Decimal, Decimal]:
    """The smallest step and the first value too large for a DecimalField of this shape."""
    return Decimal(1).scaleb(-decimal_places), Decimal(10) ** (max_digits - decimal_places)


def parse_whole_number(raw: str, *, refusal: str | None = None) -> int:
    """Parse a non-negative integer; '30', '1 200' and a spreadsheet's '30,00' are all fine.

    `refusal` is the translated message for a value that is no whole number, with a %(value)s.
    """
    refusal = refusal or gettext("%(value)s is not a whole number")
    try:
        value = parse_decimal(raw, max_digits=30, decimal_places=10)
    except CellError:
        raise CellError(refusal % {"value": shown(raw)}) from None
    if value != value.to_integral_value():
        raise CellError(refusal % {"value": shown(raw)})
    if value < 0:
        raise CellError(gettext("%(value)s is negative") % {"value": shown(raw)})
    if value > MAX_INTEGER:
        raise CellError(gettext("%(value)s is too large") % {"value": shown(raw)})
    return int(value)


def parse_date(raw: str) -> date:
    """Parse an ISO date (2026-01-05) or a Norwegian one (05.01.2026); both put the year last or first.

    Only these two: 01/05/2026 is January in the US and May here, so a slash date is refused.
    """
    text = raw.strip()
    if _ISO_DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise CellError(gettext("%(value)s is not a valid date") % {"value": shown(raw)}) from None
    if match := _NORWEGIAN_DATE.fullmatch(text):
        return _norwegian_date(raw, match)
    raise CellError(gettext("%(value)s is not a date as YYYY-MM-DD or DD.MM.YYYY") % {"value": shown(raw)})


def _norwegian_date(raw: str, match: re.Match[str]) -> date:
    try:
        return date(int(match["year"]), int(match["month"]), int(match["day"]))
    except ValueError:
        raise CellError(gettext("%(value)s is not a valid date") % {"value": shown(raw)}) from None


def parse_moment(raw: str) -> datetime:
    """Parse an ISO or Norwegian date-time into an aware datetime; without an offset it is Oslo time.

    A plain date means midnight in Oslo. Summer-time gaps and overlaps resolve the way zoneinfo does
    (fold=0, the first of two 02:30s in October).
    """
    text = raw.strip()
    if _ISO_DATE.fullmatch(text) or _NORWEGIAN_DATE.fullmatch(text):
        moment = datetime.combine(parse_date(text), time.min)
    elif _ISO_DATETIME.fullmatch(text):
        try:
            moment = datetime.fromisoformat(text.replace(",", "."))
        except ValueError:
            raise CellError(
                gettext("%(value)s is not a valid date and time") % {"value": shown(raw)}
            ) from None
    elif match := _NORWEGIAN_DATETIME.fullmatch(text):
        day = _norwegian_date(raw, match)
        try:
            clock = time(int(match["hour"]), int(match["minute"]), int(match["second"] or 0))
        except ValueError:
            raise CellError(
                gettext("%(value)s is not a valid date and time") % {"value": shown(raw)}
            ) from None
        moment = datetime.combine(day, clock)
    else:
        raise CellError(
            gettext("%(value)s is not a date and time as YYYY-MM-DD HH:MM or DD.MM.YYYY HH:MM")
            % {"value": shown(raw)}
        )
    if timezone.is_naive(moment):
        return timezone.make_aware(moment, timezone.get_default_timezone())
    return moment


def check_length(raw: str, max_length: int | None) -> str:
    """`raw` if it fits a text column of `max_length` characters (None: no limit)."""
    if max_length is not None and len(raw) > max_length:
        raise CellError(
            gettext("%(value)s is longer than %(max_length)s characters")
            % {"value": shown(raw), "max_length": max_length}
        )
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
            errors.append((name, gettext("a value is required")))
        return None
    try:
        return parse(raw)
    except CellError as exc:
        errors.append((name, str(exc)))
        return None
