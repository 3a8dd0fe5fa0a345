"""CSV for campaign tools and Norwegian Excel: ';'-separated, decimal commas, a UTF-8 BOM, streamed.

Excel in a Norwegian locale splits on ';' (',' is the decimal mark there) and needs the BOM to read
UTF-8 rather than Windows-1252, or "Bodø" arrives garbled. The file is the same whatever language
its reader's admin is in: numbers in nb without grouping (Excel would read "1 234" as text), dates
and times in ISO order in Europe/Oslo, all through core.formats.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from core.formats import format_date, format_datetime, format_number

BOM = "\ufeff"
DELIMITER = ";"
# The decimal comma Norwegian Excel expects, whichever language the request was made in.
NUMBER_LANGUAGE = "nb"
DATE_FORMAT = "Y-m-d"
DATETIME_FORMAT = "Y-m-d H:i"
# Rows per write to the response: large enough that the overhead per write vanishes, small enough that
# the buffer stays a few hundred kilobytes.
ROWS_PER_WRITE = 500
# A text cell starting with one of these is a formula to Excel (CSV injection): "=HYPERLINK(...)" in
# a customer name imported from the ERP would run on the salesperson's machine.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str:
    """Format one value the way Norwegian Excel reads it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | float):
        # Every digit the value has (an amount keeps its øre), none invented.
        return format_number(value, None, grouping=False, language=NUMBER_LANGUAGE)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return format_datetime(value, DATETIME_FORMAT)
    if isinstance(value, date):
        return format_date(value, DATE_FORMAT)
    if isinstance(value, list | tuple):
        value = ", ".join(str(item) for item in value)
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[bytes]:
    """Yield the encoded file in pieces: BOM and header first, then ROWS_PER_WRITE rows at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=DELIMITER, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(header)
    for count, row in enumerate(rows, start=1):
        writer.writerow([csv_cell(value) for value in row])
        if count % ROWS_PER_WRITE == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def streaming_csv_response(
    name: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """Answer with a CSV download named `<name>-<today>.csv`, written while the rows are read."""
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    # Names carry SKUs, which are free text: only safe characters reach the header.
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    response["Content-Disposition"] = (
        f'attachment; filename="{safe_name}-{timezone.localdate().isoformat()}.csv"'
    )
    # Customer data: not for shared caches, and not worth keeping in the browser's.
    response["Cache-Control"] = "no-store"
    return response


class CSVRenderer(BaseRenderer):
    """Makes `?format=csv` (and Accept: text/csv) select the CSV export of a list view.

    The list views stream the export themselves (streaming_csv_response) when this renderer is chosen;
    render() covers anything else that reaches it: a list of flat objects, or one.
    """

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        records = data if isinstance(data, list) else [data]
        header = list(dict.fromkeys(key for record in records for key in record))
        rows = ([record.get(key) for key in header] for record in records)
        return b"".join(csv_lines(header, rows))


class StrictFormatNegotiation(DefaultContentNegotiation):
    """?format= names a renderer or is a 400 naming the choices, not DRF's bare 404 "Not found."."""

    def filter_renderers(self, renderers: Iterable[BaseRenderer], format: str) -> list[BaseRenderer]:
        renderers = list(renderers)
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            choices = ", ".join(renderer.format for renderer in renderers)
            message = gettext("Use one of: %(choices)s.") % {"choices": choices}
            raise ValidationError({self.settings.URL_FORMAT_OVERRIDE: [message]})
        return matching
