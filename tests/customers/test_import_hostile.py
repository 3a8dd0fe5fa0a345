"""Imports of damaged and hostile files: strict CSV, bounded memory, sign rules, Excel workbooks."""

import io
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import CommandError
from django.urls import reverse
from openpyxl import Workbook

from customers.models import Customer, DataImport, ImportKind, Interaction, RevenueLine
from customers.services import ImportFileError, ImportRejected, import_data_file
from customers.services.imports import tables
from tests.customers.test_imports import REVENUE_HEADER, csv_file, rejected_errors, run_command, stream
from tests.factories import CustomerFactory, ProductFactory, valid_org_number

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def customer() -> Customer:
    return CustomerFactory.create(external_id="K1")


@pytest.fixture
def product() -> None:
    ProductFactory.create(sku="P-1")


def refusal(data: bytes, kind: ImportKind = ImportKind.CUSTOMERS, **kwargs: Any) -> str:
    """Import `data` expecting the whole file to be refused; return the message."""
    with pytest.raises(ImportFileError) as caught:
        import_data_file(kind=kind, stream=io.BytesIO(data), file_name="x.csv", **kwargs)
    assert not isinstance(caught.value, ImportRejected)
    return str(caught.value)


def workbook_bytes(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Strict CSV ----------------------------------------------------------------------------------


def test_an_unbalanced_quote_refuses_the_file_naming_the_line_and_imports_nothing(tmp_path):
    path = csv_file(tmp_path, 'external_id,name\nRX7,"Open quote AS\nRX8,Next AS\nRX9,Third AS\n')

    with pytest.raises(CommandError) as caught:
        run_command("import_customers", str(path))

    assert "line 2: unterminated quote" in str(caught.value)
    assert "runs to the end of the file" in str(caught.value)
    assert not Customer.objects.exists()
    assert not DataImport.objects.exists()


def test_an_unbalanced_quote_refuses_the_whole_file_even_skipping_invalid_rows(tmp_path):
    data = b'external_id,name\nRX6,Fine AS\nRX7,"Open quote AS\nRX8,Next AS\n'

    message = refusal(data, skip_invalid=True, rejected_path=tmp_path / "r.csv")

    assert message.startswith("line 3: unterminated quote")
    assert not Customer.objects.exists()
    assert not (tmp_path / "r.csv").exists()


def test_text_after_a_closing_quote_is_an_error_naming_the_line_where_the_row_starts():
    data = b'external_id,name\nRX1,"two\nlines"\nRX2,"Quoted" AS\n'

    message = refusal(data)

    assert message.startswith("line 4: the row starting here cannot be read as CSV")
    assert 'must be doubled ("")' in message


def test_a_nul_byte_in_a_row_is_an_error_naming_the_line_and_imports_nothing():
    data = b"external_id,name\nRX1,Fine AS\nRX2,Bad\x00 AS\n"

    with pytest.raises(ImportRejected) as caught:
        import_data_file(kind=ImportKind.CUSTOMERS, stream=io.BytesIO(data), file_name="x.csv")

    assert [str(error) for error in caught.value.result.errors] == [
        "line 3: row: the row contains a NUL byte (\\x00), which is not text; the file is damaged or is "
        "not a CSV export"
    ]
    assert not Customer.objects.exists()


def test_a_nul_byte_row_is_rejected_to_the_rejected_file_when_skipping_invalid_rows(tmp_path):
    data = b"external_id,name\nRX1,Fine AS\nRX2,Bad\x00 AS\n"

    result = import_data_file(
        kind=ImportKind.CUSTOMERS,
        stream=io.BytesIO(data),
        file_name="x.csv",
        skip_invalid=True,
        rejected_path=tmp_path / "r.csv",
    )

    assert list(Customer.objects.values_list("external_id", flat=True)) == ["RX1"]
    assert result.rejected == 1
    lines = (tmp_path / "r.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith('RX2,Bad AS,"line 3: row: the row contains a NUL byte')


def test_a_nul_byte_in_the_header_is_refused_naming_line_1():
    assert refusal(b"external_id,na\x00me\nRX1,Fine AS\n").startswith(
        "line 1: the column names contain a NUL"
    )


def test_an_over_long_header_line_is_refused_naming_line_1():
    data = b"external_id,name" + b"x" * (tables.MAX_LINE_CHARS + 10) + b"\nRX1,Fine AS\n"

    message = refusal(data)

    assert message.startswith("line 1: the line is longer than 1,048,576 characters")


def test_an_over_long_data_line_is_refused_naming_its_line_even_skipping_invalid_rows(tmp_path):
    data = b"external_id,name\nRX1,Fine AS\nRX2," + b"x" * (tables.MAX_LINE_CHARS + 10) + b"\nRX3,Ok\n"

    message = refusal(data, skip_invalid=True, rejected_path=tmp_path / "r.csv")

    assert message.startswith("line 3: the line is longer than")
    assert not Customer.objects.exists()


def test_a_line_of_exactly_the_limit_with_crlf_is_read_and_keeps_the_line_numbers(monkeypatch):
    monkeypatch.setattr(tables, "MAX_LINE_CHARS", 21)
    data = b"external_id,name\r\nRX1,Exactly twenty AS\r\nRX2,\r\n"

    with pytest.raises(ImportRejected) as caught:
        import_data_file(kind=ImportKind.CUSTOMERS, stream=io.BytesIO(data), file_name="x.csv")

    assert [str(error) for error in caught.value.result.errors] == ["line 3: name: a value is required"]


def test_an_over_long_field_is_refused_naming_the_line_where_its_row_starts():
    data = b'external_id,name\nRX1,Fine AS\nRX2,"' + b"x\n" * 70_000 + b'"\n'

    message = refusal(data)

    assert message.startswith("line 3: a field in the row starting here is longer than 131,072 characters")


def test_a_row_over_the_record_limit_is_refused_naming_the_line_where_it_starts(monkeypatch):
    monkeypatch.setattr(tables, "MAX_RECORD_CHARS", 50)
    data = b'external_id,name\nRX1,"' + b"long\n" * 20 + b'"\n'

    message = refusal(data)

    assert message.startswith("line 2: the row starting here runs over more than 50 characters")


def test_a_200_mb_line_is_refused_after_reading_a_bounded_piece_of_it():
    data = io.BytesIO(b"external_id,name" + b"x" * (200 << 20) + b"\n")

    with pytest.raises(ImportFileError, match="line 1: the line is longer"):
        tables.CsvFile(data)

    # The refusal came after the line limit and the read buffers, not after the line.
    assert data.tell() < 8 * tables.MAX_LINE_CHARS


def test_a_row_with_more_cells_than_the_header_is_an_error_naming_its_line():
    data = b"external_id,name\nRX1,Fine AS\nRX2,Two,Three\n"

    with pytest.raises(ImportRejected) as caught:
        import_data_file(kind=ImportKind.CUSTOMERS, stream=io.BytesIO(data), file_name="x.csv")

    assert str(caught.value.result.errors[0]).startswith("line 3: columns: 3 values but the header has 2")


def test_a_row_with_fewer_cells_than_the_header_is_an_error_naming_its_line_and_imports_nothing():
    data = b"external_id,name,industry\nRX1,Fine AS,Bygg\nRX2,Short AS\n"

    with pytest.raises(ImportRejected) as caught:
        import_data_file(kind=ImportKind.CUSTOMERS, stream=io.BytesIO(data), file_name="x.csv")

    assert str(caught.value.result.errors[0]).startswith("line 3: columns: 2 values but the header has 3")
    assert not Customer.objects.filter(external_id__in=["RX1", "RX2"]).exists()


def test_a_truncated_utf8_character_at_the_end_names_the_last_line():
    assert "(line 3)" in refusal("external_id,name\nRX1,Fine AS\nRX2,Bodø".encode()[:-1])


def test_an_old_xls_workbook_is_refused_with_a_hint_to_save_as_xlsx():
    assert "old Excel .xls workbook" in refusal(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)


# --- Sign rules ----------------------------------------------------------------------------------


def test_a_negative_quantity_with_a_positive_revenue_is_an_error_naming_line_and_field(customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\nK1,2026-01-05,P-1,-2,100,5\n"

    errors = rejected_errors(text)

    assert errors == [
        "line 3: quantity: -2 with revenue 100.00: quantity and revenue must have the same sign (a sale "
        "has both positive, a credit note both negative; zero goes with either; cost may have either sign)"
    ]
    assert not RevenueLine.objects.exists()


def test_a_positive_quantity_with_a_negative_revenue_is_an_error(customer, product):
    errors = rejected_errors(f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,2,-100,5\n")

    assert errors[0].startswith("line 2: quantity: 2 with revenue -100.00: quantity and revenue must")


def test_a_credit_note_with_quantity_and_revenue_negative_imports(customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,-2,-100,-60\nK1,2026-01-06,P-1,0,-15,0\n"

    import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert list(RevenueLine.objects.order_by("date").values_list("quantity", "revenue", "cost")) == [
        (Decimal("-2.000"), Decimal("-100.00"), Decimal("-60.00")),
        (Decimal("0.000"), Decimal("-15.00"), Decimal("0.00")),
    ]


# --- Dates ---------------------------------------------------------------------------------------


def test_norwegian_dates_are_read_day_first(customer, product):
    text = f"{REVENUE_HEADER}\nK1,05.01.2026,P-1,1,10,5\nK1,2026-01-06,P-1,1,10,5\nK1,7.2.2026,P-1,1,10,5\n"

    import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert list(RevenueLine.objects.order_by("date").values_list("date", flat=True)) == [
        date(2026, 1, 5),
        date(2026, 1, 6),
        date(2026, 2, 7),
    ]


def test_an_impossible_norwegian_date_is_an_error(customer, product):
    assert rejected_errors(f"{REVENUE_HEADER}\nK1,31.02.2026,P-1,1,10,5\n") == [
        "line 2: date: '31.02.2026' is not a valid date"
    ]


def test_a_norwegian_date_and_time_is_oslo_time(customer):
    text = "customer,occurred_at,channel,duration_minutes\nK1,15.01.2026 10:30,phone,5\n"

    import_data_file(kind=ImportKind.INTERACTIONS, stream=stream(text), file_name="x.csv")

    occurred = Interaction.objects.get().occurred_at
    assert occurred.isoformat() == "2026-01-15T09:30:00+00:00"


# --- Excel ---------------------------------------------------------------------------------------


def test_an_xlsx_file_imports_through_the_command_with_excel_dates_and_numbers(tmp_path, customer, product):
    path = tmp_path / "salg.xlsx"
    path.write_bytes(
        workbook_bytes(
            [
                ["Customer", "Date", "Product", "Quantity", "Revenue", "Cost", "line_id"],
                ["K1", datetime(2026, 1, 5), "P-1", 2, 1234.5, 600.25, 1001],
                ["K1", "06.01.2026", "P-1", 1.5, 10, -5, None],
            ]
        )
    )

    out, _ = run_command("import_revenue", str(path))

    assert "2 created" in out
    assert list(
        RevenueLine.objects.order_by("date").values_list("date", "quantity", "revenue", "line_id")
    ) == [
        (date(2026, 1, 5), Decimal("2.000"), Decimal("1234.50"), "1001"),
        (date(2026, 1, 6), Decimal("1.500"), Decimal("10.00"), None),
    ]
    assert DataImport.objects.get().file_name == "salg.xlsx"


def test_xlsx_errors_name_the_spreadsheet_row_counting_empty_rows(customer, product):
    data = workbook_bytes(
        [
            ["customer", "date", "product", "quantity", "revenue", "cost"],
            ["K1", datetime(2026, 1, 5), "P-1", 1, 10, 5],
            [None, None, None, None, None, None],
            ["K404", datetime(2026, 1, 5), "P-1", 1, 10, 5],
        ]
    )

    with pytest.raises(ImportRejected) as caught:
        import_data_file(kind=ImportKind.REVENUE, stream=io.BytesIO(data), file_name="salg.xlsx")

    assert [str(error) for error in caught.value.result.errors] == [
        "line 4: customer: no customer has the external ID 'K404'"
    ]
    assert not RevenueLine.objects.exists()


def test_xlsx_rejected_rows_go_to_a_semicolon_csv_with_a_bom(tmp_path, customer, product):
    path = tmp_path / "salg.xlsx"
    path.write_bytes(
        workbook_bytes(
            [
                ["customer", "date", "product", "quantity", "revenue", "cost"],
                ["K1", datetime(2026, 1, 5), "P-1", 1, 10, 5],
                ["K1", datetime(2026, 1, 5), "P-1", 1, "x", 5],
            ]
        )
    )

    run_command("import_revenue", str(path), "--skip-invalid")

    rejected = (tmp_path / "salg.rejected.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert rejected == [
        "customer;date;product;quantity;revenue;cost;reason",
        "K1;2026-01-05;P-1;1;x;5;line 3: revenue: 'x' is not a number",
    ]
    assert RevenueLine.objects.count() == 1


def test_xlsx_whole_number_cells_import_as_organisation_numbers_and_employees():
    org_number = valid_org_number(7)
    data = workbook_bytes(
        [["external_id", "name", "org_number", "employees"], [1, "Tall AS", int(org_number), 12.0]]
    )

    import_data_file(kind=ImportKind.CUSTOMERS, stream=io.BytesIO(data), file_name="kunder.xlsx")

    assert Customer.objects.filter(external_id="1", org_number=org_number, employees=12).exists()


def test_a_damaged_xlsx_is_refused_naming_line_1():
    data = workbook_bytes([["external_id", "name"], ["RX1", "Fine AS"]])[:200]

    assert refusal(data).startswith("line 1: the file is not an Excel workbook")


def test_an_xlsx_with_an_empty_first_sheet_is_refused():
    assert "first sheet is empty" in refusal(workbook_bytes([]))


def upload_xlsx(client, data: bytes):
    return client.post(
        reverse("admin:customers_dataimport_upload"),
        {"kind": ImportKind.CUSTOMERS, "file": SimpleUploadedFile("kunder.xlsx", data, content_type=XLSX)},
        secure=True,
    )


def test_the_upload_page_accepts_xlsx_and_says_so(client, superuser):
    client.force_login(superuser)

    page = client.get(reverse("admin:customers_dataimport_upload"), secure=True).content.decode()

    assert 'accept=".csv,.txt,.xlsx,text/csv,' in page
    assert "Excel workbook (.xlsx; the first sheet is read)" in page


def test_an_uploaded_xlsx_imports(client, superuser):
    client.force_login(superuser)

    response = upload_xlsx(client, workbook_bytes([["external_id", "name"], ["RX1", "Fine AS"]]))

    assert response.status_code == 302
    assert list(Customer.objects.values_list("external_id", "name")) == [("RX1", "Fine AS")]
    assert DataImport.objects.get().imported_by == superuser


def test_the_rejected_file_is_not_created_when_a_structural_error_refuses_the_file(tmp_path: Path):
    refusal(b'external_id,name\nRX1,"open\n', skip_invalid=True, rejected_path=tmp_path / "r.csv")

    assert list(tmp_path.iterdir()) == []


def with_sheet_xml(data: bytes, edit: Callable[[str], str]) -> bytes:
    """The workbook `data` with its first sheet's XML changed by `edit`."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                content = edit(content.decode()).encode()
            target.writestr(info.filename, content)
    return out.getvalue()


def test_an_xlsx_sheet_damaged_part_way_is_refused_naming_the_row_where_reading_stopped():
    data = workbook_bytes([["external_id", "name"], ["RX1", "Fine AS"], ["RX2", "Lost AS"]])
    damaged = with_sheet_xml(data, lambda xml: xml[: xml.index('<row r="3"') + 12])

    message = refusal(damaged)

    assert message.startswith("line 3: the first sheet is damaged")
    assert not Customer.objects.exists()


def test_an_xlsx_number_cell_holding_text_is_refused_naming_its_row():
    data = workbook_bytes([["external_id", "name"], ["RX1", "Fine AS"], [3, "Three AS"]])
    damaged = with_sheet_xml(data, lambda xml: xml.replace("<v>3</v>", "<v>3x</v>"))

    assert refusal(damaged).startswith("line 3: the first sheet is damaged")


def test_xlsx_progress_reports_the_rows_and_ends_at_100_percent():
    data = workbook_bytes([["external_id", "name"], ["RX1", "Fine AS"], ["RX2", "Also AS"]])
    seen = []

    import_data_file(
        kind=ImportKind.CUSTOMERS, stream=io.BytesIO(data), file_name="k.xlsx", progress=seen.append
    )

    assert [(state.rows_read, state.percent) for state in seen] == [(2, 100.0)]
