"""Import errors name the line and the column in the reader's language (the catalogues in locale/)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from customers.models import ImportKind, RevenueLine
from customers.services import ImportFileError, ImportRejected, import_data_file
from tests.factories import CustomerFactory, ProductFactory

pytestmark = pytest.mark.django_db

HEADER = "customer,date,product,quantity,revenue,cost"
BAD_ROWS = f"{HEADER}\nK404,2026-01-05,P-1,1,10,5\nK1,05/01/2026,P-1,1,x,5\n"


@pytest.fixture(autouse=True)
def _no_language_left_behind():
    # A request activates the browser's language in this thread and nothing deactivates it; without
    # this, the next test module would run in Norwegian and read "linje" where it expects "line".
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def catalogue() -> None:
    CustomerFactory.create(external_id="K1")
    ProductFactory.create(sku="P-1")


def refusal(text: str) -> ImportRejected:
    with pytest.raises(ImportRejected) as caught:
        import_data_file(kind=ImportKind.REVENUE, stream=io.BytesIO(text.encode()), file_name="fil.csv")
    return caught.value


def test_row_errors_are_norwegian_under_nb_naming_line_and_column():
    with translation.override("nb"):
        refused = refusal(BAD_ROWS)
        lines = refused.result.error_lines()
        summary = str(refused)

    assert lines == [
        "linje 2: customer: ingen kunde har den eksterne ID-en 'K404'",
        "linje 3: date: '05/01/2026' er ikke en dato som ÅÅÅÅ-MM-DD eller DD.MM.ÅÅÅÅ",
        "linje 3: revenue: 'x' er ikke et tall",
    ]
    assert summary.startswith("2 av 2 rader i fil.csv har feil; ingenting ble importert.")


def test_the_same_errors_read_english_under_en():
    with translation.override("en"):
        lines = refusal(BAD_ROWS).result.error_lines()

    assert lines[0] == "line 2: customer: no customer has the external ID 'K404'"


def test_a_file_level_error_is_norwegian_under_nb():
    with translation.override("nb"), pytest.raises(ImportFileError) as caught:
        import_data_file(
            kind=ImportKind.REVENUE, stream=io.BytesIO(b"customer,date\nK1,2026-01-05\n"), file_name="f.csv"
        )

    assert str(caught.value).startswith(
        "Filen mangler de påkrevde kolonnene product, quantity, revenue, cost"
    )


def test_the_upload_page_shows_norwegian_errors_to_a_norwegian_browser(client, superuser):
    client.force_login(superuser)
    upload = SimpleUploadedFile("fil.csv", BAD_ROWS.encode(), content_type="text/csv")

    response = client.post(
        reverse("admin:customers_dataimport_upload"),
        {"kind": ImportKind.REVENUE, "file": upload},
        secure=True,
        HTTP_ACCEPT_LANGUAGE="nb",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Rader med feil (linjenumre som i filen; kolonnenavnene står på linje 1)" in html
    assert "linje 3: revenue: &#x27;x&#x27; er ikke et tall" in html
    assert not RevenueLine.objects.exists()
