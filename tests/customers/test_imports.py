"""Data imports: the services, the three commands and the admin upload page."""

import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.errors import BadInput
from customers.models import (
    Channel,
    Customer,
    DataImport,
    Direction,
    ImportKind,
    Interaction,
    Product,
    RevenueLine,
)
from customers.services import (
    DuplicateImport,
    ImportFileError,
    ImportRejected,
    ImportResult,
    RowError,
    import_data_file,
)
from customers.services.imports import engine
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    ProductFactory,
    RevenueLineFactory,
    UserFactory,
    valid_org_number,
)

pytestmark = pytest.mark.django_db

REVENUE_HEADER = "customer,date,product,quantity,revenue,cost"


def stream(text: str, *, bom: bool = False) -> io.BytesIO:
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))


def csv_file(tmp_path: Path, text: str, name: str = "data.csv", *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def run_command(name: str, *args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rejected_errors(text: str, kind: ImportKind = ImportKind.REVENUE, **kwargs: Any) -> list[str]:
    """Import `text` expecting a refusal; return its errors as 'line N: field: message'."""
    with pytest.raises(ImportRejected) as caught:
        import_data_file(kind=kind, stream=stream(text), file_name="file.csv", **kwargs)
    return [str(error) for error in caught.value.result.errors]


@pytest.fixture
def customer() -> Customer:
    return CustomerFactory.create(external_id="K1")


@pytest.fixture
def product() -> Product:
    return ProductFactory.create(sku="P-1")


# --- Formats -------------------------------------------------------------------------------------


def test_semicolon_file_with_bom_and_decimal_comma_imports_the_amounts(customer, product):
    text = (
        "customer;date;product;quantity;revenue;cost\n"
        "K1;2026-01-05;P-1;1;1 234,50;-12,5\n"
        "K1;2026-01-06;P-1;2,5;1\u00a0234,50;100\n"
    )

    result = import_data_file(kind=ImportKind.REVENUE, stream=stream(text, bom=True), file_name="salg.csv")

    lines = RevenueLine.objects.order_by("date")
    assert [(line.quantity, line.revenue, line.cost) for line in lines] == [
        (Decimal("1.000"), Decimal("1234.50"), Decimal("-12.50")),
        (Decimal("2.500"), Decimal("1234.50"), Decimal("100.00")),
    ]
    assert result.created == 2


def test_comma_file_with_decimal_point_and_no_bom_imports_the_amounts(customer, product):
    text = f'{REVENUE_HEADER}\nK1,2026-01-05,P-1,3,1234.50,600.25\nK1,2026-01-06,P-1,1,"1 000,75",-5\n'

    import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="sales.csv")

    assert list(RevenueLine.objects.order_by("date").values_list("revenue", "cost")) == [
        (Decimal("1234.50"), Decimal("600.25")),
        (Decimal("1000.75"), Decimal("-5.00")),
    ]


def test_header_names_are_case_insensitive_trimmed_and_in_any_order(customer, product):
    text = " Revenue ;COST;Customer;date;Product; quantity\n10;5;K1;2026-01-05;P-1;1\n"

    import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    line = RevenueLine.objects.get()
    assert (line.customer, line.revenue, line.cost) == (customer, Decimal("10.00"), Decimal("5.00"))


def test_unknown_columns_are_ignored_and_reported(customer, product):
    text = f"{REVENUE_HEADER},note\nK1,2026-01-05,P-1,1,10,5,hello\n"

    result = import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert result.ignored_columns == ["note"]
    assert RevenueLine.objects.count() == 1


def test_blank_rows_from_spreadsheets_are_skipped(customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\n,,,,,\n\nK1,2026-01-06,P-1,1,10,5\n"

    result = import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert (result.rows_read, RevenueLine.objects.count()) == (2, 2)


def test_a_quoted_line_break_keeps_the_physical_line_numbers_of_later_rows(customer):
    text = (
        "customer,occurred_at,channel,duration_minutes,summary\n"
        'K1,2026-01-05 10:00,phone,5,"two\nlines"\n'
        "K1,2026-01-05 11:00,fax,5,bad\n"
    )

    errors = rejected_errors(text, ImportKind.INTERACTIONS)

    assert errors[0].startswith("line 4: channel:")


def test_non_utf8_file_is_refused_with_the_line_and_a_hint_to_save_as_csv_utf8(customer, product):
    data = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\nK1,2026-01-05,Bodø,1,10,5\n".encode("cp1252")

    with pytest.raises(ImportFileError, match=r'line 3.*"CSV UTF-8'):
        import_data_file(kind=ImportKind.REVENUE, stream=io.BytesIO(data), file_name="x.csv")

    assert not RevenueLine.objects.exists()
    assert not DataImport.objects.exists()


def test_missing_required_column_is_named_and_nothing_is_imported(customer, product):
    text = "customer,date,product,quantity,revenue\nK1,2026-01-05,P-1,1,10\n"

    with pytest.raises(ImportFileError, match="missing the required column cost"):
        import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert not RevenueLine.objects.exists()
    assert not DataImport.objects.exists()


def test_an_unknown_kind_of_import_is_bad_input_naming_the_kind(customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\n"

    with pytest.raises(BadInput, match="Unknown import kind 'orders'") as caught:
        import_data_file(kind="orders", stream=stream(text), file_name="x.csv")

    assert caught.value.field == "kind"
    assert not DataImport.objects.exists()


def test_a_file_the_importer_refuses_is_bad_input_for_the_error_mappers():
    with pytest.raises(BadInput, match="empty"):
        import_data_file(kind=ImportKind.CUSTOMERS, stream=stream(""), file_name="x.csv")


def test_empty_file_is_refused():
    with pytest.raises(ImportFileError, match="empty"):
        import_data_file(kind=ImportKind.REVENUE, stream=stream(""), file_name="x.csv")


def test_header_without_rows_is_refused_and_not_recorded():
    with pytest.raises(ImportFileError, match="no rows"):
        import_data_file(kind=ImportKind.REVENUE, stream=stream(f"{REVENUE_HEADER}\n"), file_name="x.csv")

    assert not DataImport.objects.exists()


# --- Row errors ----------------------------------------------------------------------------------


def test_bad_number_is_an_error_naming_line_field_and_value(customer, product):
    text = "customer;date;product;quantity;revenue;cost\nK1;2026-01-05;P-1;1;10;5\nK1;2026-01-05;P-1;1;12,3,4;5\n"

    assert rejected_errors(text) == ["line 3: revenue: '12,3,4' is not a number"]


def test_amount_with_more_decimals_than_the_column_holds_is_an_error(customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10.555,5\n"

    assert rejected_errors(text) == ["line 2: revenue: '10.555' has more than 2 decimals"]


def test_a_slash_date_is_an_error_asking_for_iso_or_norwegian_format(customer, product):
    text = f"{REVENUE_HEADER}\nK1,01/05/2026,P-1,1,10,5\n"

    assert rejected_errors(text) == ["line 2: date: '01/05/2026' is not a date as YYYY-MM-DD or DD.MM.YYYY"]


def test_unknown_customer_is_an_error(customer, product):
    text = f"{REVENUE_HEADER}\nK404,2026-01-05,P-1,1,10,5\n"

    assert rejected_errors(text) == ["line 2: customer: no customer has the external ID 'K404'"]


def test_empty_required_cell_is_an_error(customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,,5\n"

    assert rejected_errors(text) == ["line 2: revenue: a value is required"]


def test_row_with_more_values_than_the_header_is_an_error_with_a_decimal_comma_hint(customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,50,5\n"

    errors = rejected_errors(text)

    assert errors[0].startswith("line 2: columns: 7 values but the header has 6 columns")
    assert "decimal comma" in errors[0]


def test_invalid_org_number_is_an_error():
    text = "external_id,name,org_number\nK1,Kunde AS,123 456 789\n"

    errors = rejected_errors(text, ImportKind.CUSTOMERS)

    assert errors == [
        "line 2: org_number: '123 456 789' is not a valid Norwegian organisation number "
        "(9 digits with a MOD11 check digit)"
    ]


def test_unknown_account_manager_is_an_error(account_manager):
    text = "external_id,name,account_manager\nK1,Kunde AS,nobody@example.no\n"

    errors = rejected_errors(text, ImportKind.CUSTOMERS)

    assert errors == ["line 2: account_manager: no user has the username or email 'nobody@example.no'"]


def test_unknown_contact_email_is_an_error(customer):
    ContactFactory(customer=customer, email="ola@kunde.no")
    ContactFactory(email="kari@annen.no")  # a contact of another customer does not count
    text = (
        "customer,occurred_at,channel,duration_minutes,contact_email\nK1,2026-01-05,phone,5,kari@annen.no\n"
    )

    errors = rejected_errors(text, ImportKind.INTERACTIONS)

    assert errors == ["line 2: contact_email: 'kari@annen.no' is not a contact of customer 'K1'"]


def test_bad_channel_is_an_error(customer):
    text = "customer,occurred_at,channel,duration_minutes\nK1,2026-01-05,fax,5\n"

    errors = rejected_errors(text, ImportKind.INTERACTIONS)

    assert errors[0].startswith("line 2: channel: 'fax' is not a channel; use phone, email")


def test_bad_direction_and_negative_duration_are_both_reported(customer):
    text = "customer,occurred_at,channel,duration_minutes,direction\nK1,2026-01-05,phone,-5,sideways\n"

    errors = rejected_errors(text, ImportKind.INTERACTIONS)

    assert errors == [
        "line 2: duration_minutes: '-5' is negative",
        "line 2: direction: 'sideways' is not a direction; use inbound or outbound (or inn, ut)",
    ]


# --- Default mode, skip-invalid, duplicates --------------------------------------------------------


def test_default_mode_imports_nothing_and_the_command_fails_listing_each_bad_line(
    tmp_path, customer, product
):
    path = csv_file(
        tmp_path,
        f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\nK404,2026-01-05,P-1,1,10,5\n"
        "K1,2026-01-05,P-1,1,10,5\nK1,2026-02-30,P-1,1,10,5\n",
    )

    with pytest.raises(CommandError) as caught:
        run_command("import_revenue", str(path))

    message = str(caught.value)
    assert "2 of 4 rows" in message
    assert "line 3: customer: no customer has the external ID 'K404'" in message
    assert "line 5: date: '2026-02-30' is not a valid date" in message
    assert not RevenueLine.objects.exists()
    assert not DataImport.objects.exists()


def test_a_file_refused_for_errors_is_not_recorded_so_the_fixed_file_imports(customer, product):
    bad = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,x,5\n"
    fixed = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\n"
    with pytest.raises(ImportRejected):
        import_data_file(kind=ImportKind.REVENUE, stream=stream(bad), file_name="x.csv")

    import_data_file(kind=ImportKind.REVENUE, stream=stream(fixed), file_name="x.csv")

    assert RevenueLine.objects.count() == 1
    assert DataImport.objects.count() == 1


def test_errors_in_a_late_batch_roll_back_the_batches_already_written(customer, product):
    rows = "".join(f"K1,2026-01-{day:02d},P-1,1,10,5\n" for day in range(1, 10))

    with pytest.raises(ImportRejected):
        import_data_file(
            kind=ImportKind.REVENUE,
            stream=stream(f"{REVENUE_HEADER}\n{rows}K404,2026-01-10,P-1,1,10,5\n"),
            file_name="x.csv",
            batch_size=3,
        )

    assert not RevenueLine.objects.exists()
    assert not Product.objects.exclude(pk=product.pk).exists()


def test_the_command_lists_the_first_50_errors_and_counts_the_rest(tmp_path, customer, product):
    rows = "".join(f"K1,2026-01-05,P-1,1,bad{n},5\n" for n in range(60))
    path = csv_file(tmp_path, f"{REVENUE_HEADER}\n{rows}")

    with pytest.raises(CommandError) as caught:
        run_command("import_revenue", str(path))

    message = str(caught.value)
    assert "line 51: revenue: 'bad49' is not a number" in message
    assert "line 52:" not in message
    assert "... and 10 more" in message


def test_skip_invalid_imports_the_good_rows_and_writes_the_rejected_ones_with_a_reason(
    tmp_path, customer, product
):
    path = csv_file(
        tmp_path,
        "Customer;Date;Product;Quantity;Revenue;Cost\n"
        "K1;2026-01-05;P-1;1;10;5\n"
        "K404;2026-01-05;P-1;1;10;5\n"
        "K1;2026-01-06;P-1;1;12,3,4;5\n"
        "K1;2026-01-07;P-1;1;20;5\n",
        name="salg mars.csv",
    )

    out, _ = run_command("import_revenue", str(path), "--skip-invalid")

    rejected = tmp_path / "salg mars.rejected.csv"
    assert rejected.read_text(encoding="utf-8").splitlines() == [
        "Customer;Date;Product;Quantity;Revenue;Cost;reason",
        "K404;2026-01-05;P-1;1;10;5;line 3: customer: no customer has the external ID 'K404'",
        "K1;2026-01-06;P-1;1;12,3,4;5;line 4: revenue: '12,3,4' is not a number",
    ]
    assert sorted(RevenueLine.objects.values_list("revenue", flat=True)) == [
        Decimal("10.00"),
        Decimal("20.00"),
    ]
    data_import = DataImport.objects.get()
    assert (data_import.rows_total, data_import.rows_created, data_import.rows_rejected) == (4, 2, 2)
    assert data_import.rejected_file == str(rejected)
    assert str(rejected) in out


def test_skip_invalid_keeps_the_bom_of_the_input_in_the_rejected_file(tmp_path, customer, product):
    path = csv_file(
        tmp_path, f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,x,5\nK1,2026-01-05,P-1,1,1,5\n", bom=True
    )

    run_command("import_revenue", str(path), "--skip-invalid")

    assert (tmp_path / "data.rejected.csv").read_bytes().startswith(b"\xef\xbb\xbfcustomer,date")


def test_skip_invalid_without_bad_rows_writes_no_rejected_file(tmp_path, customer, product):
    path = csv_file(tmp_path, f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\n")

    run_command("import_revenue", str(path), "--skip-invalid")

    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]
    assert DataImport.objects.get().rejected_file == ""


def test_skip_invalid_writes_good_rows_of_every_batch(customer, product, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    rows = "".join(f"K1,2026-01-{day:02d},P-1,1,{'x' if day % 3 == 0 else 10},5\n" for day in range(1, 11))

    result = import_data_file(
        kind=ImportKind.REVENUE,
        stream=stream(f"{REVENUE_HEADER}\n{rows}"),
        file_name="x.csv",
        skip_invalid=True,
        batch_size=4,
    )

    assert (result.created, result.rejected) == (7, 3)
    assert RevenueLine.objects.count() == 7
    assert result.rejected_file is not None
    assert result.rejected_file.parent == tmp_path / "imports" / "rejected"


def test_the_same_file_is_refused_the_second_time_even_renamed(tmp_path, customer, product, superuser):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\n"
    first = import_data_file(
        kind=ImportKind.REVENUE, stream=stream(text), file_name="januar.csv", imported_by=superuser
    )
    path = csv_file(tmp_path, text, name="januar (kopi).csv")

    with pytest.raises(
        CommandError, match=rf"already imported on .* by admin as import #{first.data_import.pk}"
    ):
        run_command("import_revenue", str(path))

    assert RevenueLine.objects.count() == 1
    assert DataImport.objects.count() == 1


def test_a_duplicate_that_slips_past_the_upfront_check_is_refused_by_the_constraint(
    monkeypatch, customer, product
):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\n"
    first = import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")
    checks = iter([None])  # the racing upload's up-front check ran before the first one committed
    real_check = engine._existing_import
    monkeypatch.setattr(
        engine, "_existing_import", lambda kind, sha: next(checks, None) or real_check(kind, sha)
    )

    with pytest.raises(DuplicateImport) as caught:
        import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert caught.value.existing == first.data_import
    assert RevenueLine.objects.count() == 1


# --- Revenue specifics -----------------------------------------------------------------------------


def test_unknown_products_are_created_from_their_sku_and_counted(customer, product):
    text = (
        f"{REVENUE_HEADER}\nK1,2026-01-05,NY-1,1,10,5\nK1,2026-01-05,NY-1,1,10,5\nK1,2026-01-05,P-1,1,10,5\n"
    )

    result = import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    new = Product.objects.get(sku="NY-1")
    assert new.name == "NY-1"
    assert RevenueLine.objects.filter(product=new).count() == 2
    assert result.products_created == 1
    assert DataImport.objects.get().products_created == 1


def test_reimporting_a_line_id_updates_the_line_in_place(customer, product):
    other = CustomerFactory(external_id="K2")
    import_data_file(
        kind=ImportKind.REVENUE,
        stream=stream(f"{REVENUE_HEADER},line_id\nK1,2026-01-05,P-1,1,10,5,L-1\n"),
        file_name="a.csv",
    )

    result = import_data_file(
        kind=ImportKind.REVENUE,
        stream=stream(f"{REVENUE_HEADER},line_id\nK2,2026-01-06,P-1,2,99,50,L-1\n"),
        file_name="b.csv",
    )

    line = RevenueLine.objects.get()
    assert (line.customer, line.date, line.quantity, line.revenue, line.cost) == (
        other,
        date(2026, 1, 6),
        Decimal("2.000"),
        Decimal("99.00"),
        Decimal("50.00"),
    )
    assert line.data_import == result.data_import
    assert (result.created, result.updated) == (0, 1)


def test_lines_without_line_id_are_added_not_matched(customer, product):
    RevenueLineFactory(customer=customer, product=product, date=date(2026, 1, 5), revenue=Decimal(10))
    text = f"{REVENUE_HEADER},line_id\nK1,2026-01-05,P-1,1,10,5,\n"

    result = import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert RevenueLine.objects.count() == 2
    assert RevenueLine.objects.get(data_import=result.data_import).line_id is None


def test_a_line_id_repeated_in_one_file_keeps_the_last_row(customer, product):
    text = f"{REVENUE_HEADER},line_id\nK1,2026-01-05,P-1,1,10,5,L-1\nK1,2026-01-05,P-1,1,30,5,L-1\n"

    result = import_data_file(kind=ImportKind.REVENUE, stream=stream(text), file_name="x.csv")

    assert RevenueLine.objects.get().revenue == Decimal("30.00")
    assert (result.created, result.updated) == (1, 1)


# --- Customers ---------------------------------------------------------------------------------------


def test_customer_import_creates_customers_with_every_column(account_manager):
    org = valid_org_number(7)
    text = (
        "external_id;name;org_number;industry;employees;business_model;region;account_manager\n"
        f"K1;Fjord AS;NO {org[:3]} {org[3:6]} {org[6:]} MVA;Fiske;1 200;Grossist;Vestland;kari\n"
        "K2;Bre AS;;;;;;KARI@example.no\n"
    )

    result = import_data_file(kind=ImportKind.CUSTOMERS, stream=stream(text), file_name="kunder.csv")

    fjord, bre = Customer.objects.order_by("external_id")
    assert (fjord.name, fjord.org_number, fjord.industry, fjord.employees) == ("Fjord AS", org, "Fiske", 1200)
    assert (fjord.business_model, fjord.region, fjord.account_manager) == (
        "Grossist",
        "Vestland",
        account_manager,
    )
    assert (bre.org_number, bre.employees, bre.account_manager) == ("", None, account_manager)
    assert (result.created, result.updated) == (2, 0)


def test_customer_import_updates_an_existing_customer_and_leaves_absent_columns_alone():
    existing = CustomerFactory(
        external_id="K1", name="Old AS", region="Vestland", industry="Bygg", employees=25
    )

    result = import_data_file(
        kind=ImportKind.CUSTOMERS,
        stream=stream("external_id,name,industry,employees\nK1,New AS,Handel,\n"),
        file_name="x.csv",
    )

    existing.refresh_from_db()
    assert (existing.name, existing.industry, existing.employees, existing.region) == (
        "New AS",
        "Handel",
        None,
        "Vestland",
    )
    assert Customer.objects.count() == 1
    assert (result.created, result.updated) == (0, 1)


def test_customer_import_does_not_touch_the_computed_economics():
    existing = CustomerFactory(external_id="K1", tier="A", revenue_12m=Decimal(900_000))

    import_data_file(
        kind=ImportKind.CUSTOMERS, stream=stream("external_id,name\nK1,New AS\n"), file_name="x.csv"
    )

    existing.refresh_from_db()
    assert (existing.tier, existing.revenue_12m) == ("A", Decimal("900000.00"))


def test_an_email_shared_by_two_users_is_ambiguous_for_account_manager():
    UserFactory(username="a", email="felles@example.no")
    UserFactory(username="b", email="Felles@example.no")

    errors = rejected_errors(
        "external_id,name,account_manager\nK1,X,felles@example.no\n", ImportKind.CUSTOMERS
    )

    assert errors == [
        "line 2: account_manager: 'felles@example.no' is the email of 2 users; use the username"
    ]


def test_import_customers_command_upserts_and_reports_the_counts(tmp_path):
    CustomerFactory(external_id="K1", name="Old AS")
    path = csv_file(tmp_path, "external_id;name\nK1;New AS\nK2;Second AS\n", name="kunder.csv")

    out, _ = run_command("import_customers", str(path))

    assert dict(Customer.objects.values_list("external_id", "name")) == {"K1": "New AS", "K2": "Second AS"}
    assert "2 rows read, 1 created, 1 updated, 0 rejected" in out
    assert DataImport.objects.get().kind == ImportKind.CUSTOMERS


# --- Interactions ----------------------------------------------------------------------------------


def test_norwegian_channels_and_directions_are_accepted_in_any_case(customer):
    text = (
        "customer;occurred_at;channel;duration_minutes;direction\n"
        "K1;2026-01-05 10:00;Telefon;5;inn\n"
        "K1;2026-01-05 11:00;E-post;0;UT\n"
        "K1;2026-01-05 12:00;epost;0;\n"
        "K1;2026-01-05 13:00;Skjema;0;inbound\n"
        "K1;2026-01-05 14:00;MØTE;60;outbound\n"
        "K1;2026-01-05 15:00;mote;30;ut\n"
        "K1;2026-01-05 16:00;chat;3;inn\n"
    )

    import_data_file(kind=ImportKind.INTERACTIONS, stream=stream(text), file_name="x.csv")

    assert list(Interaction.objects.order_by("occurred_at").values_list("channel", "direction")) == [
        (Channel.PHONE, Direction.INBOUND),
        (Channel.EMAIL, Direction.OUTBOUND),
        (Channel.EMAIL, Direction.INBOUND),
        (Channel.FORM, Direction.INBOUND),
        (Channel.MEETING, Direction.OUTBOUND),
        (Channel.MEETING, Direction.OUTBOUND),
        (Channel.CHAT, Direction.INBOUND),
    ]


def test_times_without_an_offset_are_oslo_time_and_a_date_is_oslo_midnight(customer):
    text = (
        "customer,occurred_at,channel,duration_minutes,summary\n"
        "K1,2026-01-15 10:30,phone,5,winter\n"
        "K1,2026-07-01T10:30:00,phone,5,summer\n"
        "K1,2026-01-15,phone,5,date\n"
        "K1,2026-01-15T10:30:00+00:00,phone,5,utc\n"
        "K1,2026-01-15T10:30Z,phone,5,zulu\n"
    )

    import_data_file(kind=ImportKind.INTERACTIONS, stream=stream(text), file_name="x.csv")

    moments = dict(Interaction.objects.values_list("summary", "occurred_at"))
    assert moments == {
        "winter": datetime(2026, 1, 15, 9, 30, tzinfo=UTC),
        "summer": datetime(2026, 7, 1, 8, 30, tzinfo=UTC),
        "date": datetime(2026, 1, 14, 23, 0, tzinfo=UTC),
        "utc": datetime(2026, 1, 15, 10, 30, tzinfo=UTC),
        "zulu": datetime(2026, 1, 15, 10, 30, tzinfo=UTC),
    }


def test_contact_email_links_the_contact_whatever_the_case(customer):
    contact = ContactFactory(customer=customer, email="Ola.Nordmann@Kunde.no")
    text = "customer,occurred_at,channel,duration_minutes,contact_email,summary\nK1,2026-01-05,phone,5,ola.nordmann@kunde.NO,Ringte\n"

    result = import_data_file(kind=ImportKind.INTERACTIONS, stream=stream(text), file_name="x.csv")

    interaction = Interaction.objects.get()
    assert (interaction.contact, interaction.summary, interaction.duration_minutes) == (contact, "Ringte", 5)
    assert interaction.data_import == result.data_import


def test_bad_date_time_is_an_error(customer):
    text = "customer,occurred_at,channel,duration_minutes\nK1,01/15/2026 10:30,phone,5\n"

    assert rejected_errors(text, ImportKind.INTERACTIONS) == [
        "line 2: occurred_at: '01/15/2026 10:30' is not a date and time as YYYY-MM-DD HH:MM or DD.MM.YYYY HH:MM"
    ]


def test_import_interactions_command_imports_the_log_and_records_the_import(tmp_path, customer):
    path = csv_file(
        tmp_path, "customer;occurred_at;channel;duration_minutes\nK1;2026-01-05 10:00;telefon;15\n"
    )

    run_command("import_interactions", str(path))

    interaction = Interaction.objects.get()
    assert (interaction.customer, interaction.channel, interaction.duration_minutes) == (
        customer,
        Channel.PHONE,
        15,
    )
    assert interaction.data_import == DataImport.objects.get(kind=ImportKind.INTERACTIONS)


def test_the_command_refuses_a_path_that_is_not_a_file(tmp_path):
    with pytest.raises(CommandError, match="is not a file"):
        run_command("import_revenue", str(tmp_path / "missing.csv"))


# --- Progress and the result ------------------------------------------------------------------------


def test_progress_is_reported_every_n_rows_and_at_the_end_with_percent_by_bytes(
    monkeypatch, customer, product
):
    monkeypatch.setattr(engine, "PROGRESS_EVERY", 10)
    rows = "".join(f"K1,2026-01-05,P-1,1,{n},5\n" for n in range(25))
    reports = []

    import_data_file(
        kind=ImportKind.REVENUE,
        stream=stream(f"{REVENUE_HEADER}\n{rows}"),
        file_name="x.csv",
        progress=reports.append,
    )

    assert [report.rows_read for report in reports] == [10, 20, 25]
    assert reports[-1].percent == 100.0


def test_the_command_prints_progress_to_stderr_and_a_summary_to_stdout(tmp_path, customer, product):
    path = csv_file(tmp_path, f"{REVENUE_HEADER}\nK1,2026-01-05,NY,1,10,5\n")

    out, err = run_command("import_revenue", str(path))

    assert "1 rows read (100 %)" in err
    assert "1 row read, 1 created, 0 updated, 0 rejected, 1 product created" in out


def test_result_lists_errors_with_line_field_and_message(customer, product):
    with pytest.raises(ImportRejected) as caught:
        import_data_file(
            kind=ImportKind.REVENUE,
            stream=stream(f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,x,5\n"),
            file_name="x.csv",
        )

    result = caught.value.result
    assert isinstance(result, ImportResult)
    assert (result.rows_read, result.created, result.rejected) == (1, 0, 1)
    assert result.errors == [RowError(line=2, field="revenue", message="'x' is not a number")]


def test_the_import_records_who_imported_what(superuser, customer, product):
    text = f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\n"

    result = import_data_file(
        kind=ImportKind.REVENUE, stream=stream(text), file_name="mappe/januar.csv", imported_by=superuser
    )

    data_import = DataImport.objects.get()
    assert data_import == result.data_import
    assert (data_import.kind, data_import.file_name, data_import.imported_by) == (
        ImportKind.REVENUE,
        "januar.csv",
        superuser,
    )
    assert len(data_import.sha256) == 64
    assert RevenueLine.objects.get().data_import == data_import


# --- Queries ---------------------------------------------------------------------------------------


def queries_for(kind: ImportKind, text: str) -> int:
    with CaptureQueriesContext(connection) as context:
        import_data_file(kind=kind, stream=stream(text), file_name="x.csv")
    return len(context.captured_queries)


def test_revenue_import_queries_do_not_grow_with_rows_in_a_batch(product):
    for n in range(100):
        CustomerFactory(external_id=f"C{n}")

    def file(rows: int, tag: str) -> str:
        body = "".join(
            f"C{n},2026-01-05,{'NEW-' + tag if n % 3 == 0 else 'P-1'},1,10,5,{f'{tag}-{n}' if n % 2 else ''}\n"
            for n in range(rows)
        )
        return f"{REVENUE_HEADER},line_id\n{body}"

    assert queries_for(ImportKind.REVENUE, file(10, "a")) == queries_for(ImportKind.REVENUE, file(100, "b"))


def test_interaction_import_queries_do_not_grow_with_rows_in_a_batch():
    for n in range(100):
        ContactFactory(customer=CustomerFactory(external_id=f"C{n}"), email=f"k{n}@kunde.no")

    def file(rows: int, day: int) -> str:
        body = "".join(f"C{n},2026-01-{day:02d},phone,5,K{n}@kunde.no\n" for n in range(rows))
        return f"customer,occurred_at,channel,duration_minutes,contact_email\n{body}"

    assert queries_for(ImportKind.INTERACTIONS, file(10, 1)) == queries_for(
        ImportKind.INTERACTIONS, file(100, 2)
    )


def test_customer_import_queries_do_not_grow_with_rows_in_a_batch(account_manager):
    def file(rows: int, prefix: str) -> str:
        body = "".join(f"{prefix}{n},Kunde {n},kari\n" for n in range(rows))
        return f"external_id,name,account_manager\n{body}"

    assert queries_for(ImportKind.CUSTOMERS, file(10, "A")) == queries_for(
        ImportKind.CUSTOMERS, file(50, "B")
    )


# --- Admin -----------------------------------------------------------------------------------------

UPLOAD_URL = "admin:customers_dataimport_upload"


def upload(client, kind: str, text: str, *, name: str = "fil.csv", skip_invalid: bool = False):
    data = {"kind": kind, "file": SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")}
    if skip_invalid:
        data["skip_invalid"] = "on"
    # secure: production settings redirect plain HTTP to HTTPS.
    return client.post(reverse(UPLOAD_URL), data, secure=True)


def test_upload_page_is_forbidden_to_staff_without_the_import_permission(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    response = client.get(reverse(UPLOAD_URL), secure=True)

    assert response.status_code == 403


def test_upload_page_is_open_to_staff_with_the_add_dataimport_permission(client):
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="add_dataimport"))
    client.force_login(staff)

    response = client.get(reverse(UPLOAD_URL), secure=True)

    assert response.status_code == 200
    assert b"CSV UTF-8" in response.content


def test_superuser_upload_imports_and_redirects_to_the_import(client, superuser, customer, product):
    client.force_login(superuser)

    response = upload(client, ImportKind.REVENUE, f"{REVENUE_HEADER}\nK1,2026-01-05,NY,1,10,5\n")

    data_import = DataImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:customers_dataimport_change", args=[data_import.pk])
    assert (data_import.imported_by, data_import.rows_created, data_import.products_created) == (
        superuser,
        1,
        1,
    )
    assert RevenueLine.objects.get().data_import == data_import
    page = client.get(response["Location"], secure=True)
    assert "1 created, 0 updated, 0 rejected, 1 product created" in page.content.decode()


def test_upload_with_bad_rows_shows_each_error_and_imports_nothing(client, superuser, customer, product):
    client.force_login(superuser)

    response = upload(
        client, ImportKind.REVENUE, f"{REVENUE_HEADER}\nK404,2026-01-05,P-1,1,10,5\nK1,2026-01-05,P-1,1,x,5\n"
    )

    assert response.status_code == 200
    assert response.context["error_lines"] == [
        "line 2: customer: no customer has the external ID 'K404'",
        "line 3: revenue: 'x' is not a number",
    ]
    assert "line 3: revenue: &#x27;x&#x27; is not a number" in response.content.decode()
    assert not RevenueLine.objects.exists()
    assert not DataImport.objects.exists()


def test_upload_of_a_file_with_a_missing_column_shows_the_error(client, superuser):
    client.force_login(superuser)

    response = upload(client, ImportKind.CUSTOMERS, "external_id\nK1\n")

    assert response.status_code == 200
    assert "missing the required column name" in response.content.decode()


def test_upload_skipping_invalid_rows_offers_the_rejected_rows_for_download(
    client, superuser, customer, product, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(superuser)

    upload(
        client,
        ImportKind.REVENUE,
        f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,10,5\nK1,2026-01-05,P-1,1,x,5\n",
        skip_invalid=True,
    )

    data_import = DataImport.objects.get()
    assert Path(data_import.rejected_file).parent == tmp_path / "imports" / "rejected"
    response = client.get(reverse("admin:customers_dataimport_rejected", args=[data_import.pk]), secure=True)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).decode().splitlines()[1] == (
        "K1,2026-01-05,P-1,1,x,5,line 3: revenue: 'x' is not a number"
    )


def test_rejected_rows_download_is_forbidden_without_view_permission(
    client, customer, product, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    result = import_data_file(
        kind=ImportKind.REVENUE,
        stream=stream(f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,x,5\nK1,2026-01-05,P-1,1,1,5\n"),
        file_name="x.csv",
        skip_invalid=True,
    )
    client.force_login(UserFactory(is_staff=True))

    response = client.get(
        reverse("admin:customers_dataimport_rejected", args=[result.data_import.pk]), secure=True
    )

    assert response.status_code == 403


def test_rejected_file_outside_the_uploads_folder_is_not_served(
    client, superuser, tmp_path, settings, customer, product
):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = csv_file(tmp_path, f"{REVENUE_HEADER}\nK1,2026-01-05,P-1,1,x,5\nK1,2026-01-05,P-1,1,1,5\n")
    run_command("import_revenue", str(path), "--skip-invalid")
    client.force_login(superuser)

    response = client.get(
        reverse("admin:customers_dataimport_rejected", args=[DataImport.objects.get().pk]), secure=True
    )

    assert response.status_code == 404


def test_import_log_is_read_only_and_links_to_the_upload_page(client, superuser):
    client.force_login(superuser)

    changelist = client.get(reverse("admin:customers_dataimport_changelist"), secure=True)
    add = client.get(reverse("admin:customers_dataimport_add"), secure=True)

    assert reverse(UPLOAD_URL) in changelist.content.decode()
    assert add.status_code == 403
