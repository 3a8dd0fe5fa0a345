"""Properties of the import reader: any bytes import exactly the rows they hold, or are refused naming a
line; no other exception ever escapes."""

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import Customer, ImportKind
from customers.services import ImportFileError, ImportRejected, ImportResult, import_data_file

pytestmark = pytest.mark.django_db

# Modest: the suite runs these on every push; a few hundred files find the edge cases that matter.
PROPERTY_SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
HEADER = b"external_id,name\n"
# Bytes that matter to a CSV reader, heavily weighted, and any byte at all.
_SPECIAL = st.sampled_from(
    [b'"', b",", b";", b"\n", b"\r", b"\r\n", b"\x00", b" ", b"RX", b"AS", b"\xc3\xb8"]
)
_NOISE = st.lists(st.one_of(_SPECIAL, st.binary(min_size=1, max_size=4)), max_size=40).map(b"".join)
_LINE = re.compile(r"\bline \d+")
# Cell text with everything a CSV writer has to quote or escape.
_CELL = st.text(alphabet=st.sampled_from(list("abcøæå ÆØÅ,;\"\n\r\t'-.0")), min_size=1, max_size=12)


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example starts from an empty database, so the same bytes twice are not a duplicate import."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def import_or_refusal(data: bytes) -> ImportResult | ImportFileError:
    try:
        return import_data_file(kind=ImportKind.CUSTOMERS, stream=io.BytesIO(data), file_name="x.csv")
    except ImportFileError as exc:
        return exc


def rows_held(data: bytes) -> list[list[str]]:
    """The non-blank records of `data` by the csv module alone: the oracle for a file that imported."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=",", strict=True)
    return [cells for cells in list(reader)[1:] if any(cell.strip() for cell in cells)]


def customers() -> dict[str, str]:
    return dict(Customer.objects.values_list("external_id", "name"))


@PROPERTY_SETTINGS
@given(body=_NOISE)
def test_any_bytes_after_a_header_import_the_rows_they_hold_or_are_refused_naming_a_line(body):
    data = HEADER + body

    with rolled_back():
        outcome = import_or_refusal(data)

        if isinstance(outcome, ImportRejected):
            assert outcome.result.errors
            assert all(error.line >= 2 for error in outcome.result.errors)
            assert not Customer.objects.exists()
        elif isinstance(outcome, ImportFileError):
            assert _LINE.search(str(outcome)), str(outcome)
            assert not Customer.objects.exists()
        else:
            held = rows_held(data)
            assert outcome.rows_read == len(held)
            assert customers() == {cells[0].strip(): cells[1].strip() for cells in held}


@PROPERTY_SETTINGS
@given(data=st.binary(max_size=200))
def test_any_bytes_at_all_are_imported_or_refused_never_a_traceback(data):
    with rolled_back():
        outcome = import_or_refusal(data)

        if isinstance(outcome, ImportFileError) and not isinstance(outcome, ImportRejected):
            assert _LINE.search(str(outcome)), str(outcome)


@PROPERTY_SETTINGS
@given(
    rows=st.lists(st.tuples(_CELL, _CELL), min_size=1, max_size=8),
    separator=st.sampled_from([",", ";"]),
    quoting=st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]),
    terminator=st.sampled_from(["\n", "\r\n"]),
    bom=st.booleans(),
)
def test_a_file_any_csv_writer_would_write_imports_exactly_its_rows(
    rows, separator, quoting, terminator, bom
):
    if terminator == "\n":
        # Python's writer quotes only the characters of its own line terminator, so a lone \r would go
        # out unquoted, and every reader (Excel's too) takes that for a line break: not a valid file.
        rows = [(external_id.replace("\r", ""), name.replace("\r", "")) for external_id, name in rows]
    rows = [(external_id, name) for external_id, name in rows if external_id.strip() and name.strip()]
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=separator, quoting=quoting, lineterminator=terminator)
    writer.writerow(["external_id", "name"])
    writer.writerows(rows)
    data = ("\ufeff" if bom else "").encode() + out.getvalue().encode()

    with rolled_back():
        outcome = import_or_refusal(data)

        if not rows:
            assert isinstance(outcome, ImportFileError)
        else:
            assert isinstance(outcome, ImportResult), str(outcome)
            assert outcome.rows_read == len(rows)
            assert customers() == {external_id.strip(): name.strip() for external_id, name in rows}
