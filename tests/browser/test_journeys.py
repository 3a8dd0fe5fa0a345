"""Every journey through the product in Chromium, against gunicorn with DEBUG off (see conftest.py).

Each test is one person doing one thing, and asserts on what they see and on the database afterwards.
The data is committed (the server's own connections read it), so every test is transactional.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import FilePayload, Page, Route, expect

from customers.models import Channel, Contact, Customer, DataImport, Interaction
from followups.models import FollowUpNote, FollowUpTask, Outcome, Status
from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP, SALES_GROUP
from surveys.models import SurveyInvitation, SurveyKind, SurveyResponse
from surveys.services.links import survey_url
from tests.browser.conftest import LiveServer, Pages
from tests.browser.helpers import (
    Screenshot,
    customer_with_figures,
    log_in,
    password_hash,
    staff,
    unhappy,
    wait_for,
)
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    SurveyInvitationFactory,
    active_survey,
    valid_org_number,
)

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _links_to_the_live_server(settings: Any, production_server: LiveServer) -> None:
    # Links made in this process (the app's own link service) point where the browser can go.
    settings.TILFREDS_BASE_URL = production_server.url


def invitation(kind: str, *, language: str, name: str = "Ingrid Solberg") -> SurveyInvitation:
    customer = CustomerFactory.create(name="Fjordbygg AS")
    contact = ContactFactory.create(language=language, customer=customer, name=name)
    return SurveyInvitationFactory.create(survey=active_survey(kind), contact=contact)


def tampered(link: str) -> str:
    """The link with one character of its signature changed, as a mangling mail client might."""
    head, last = link.rstrip("/")[:-1], link.rstrip("/")[-1]
    return f"{head}{'A' if last != 'A' else 'B'}/"


def pick(page: Page, score: int) -> None:
    """Tap the score's button (the label; the radio itself is visually hidden) and see it chosen."""
    # The first and last buttons also name their end of the scale ("5: Svært fornøyd").
    name = re.compile(rf"^{score}( ?: .*)?$")
    page.get_by_text(name).click()
    expect(page.get_by_role("radio", name=name)).to_be_checked()


def answer(page: Page, *, score: int, comment: str, comment_label: str, send: str) -> str | None:
    """Pick a score, write a comment, send; the Origin header the browser sent with the post."""
    pick(page, score)
    page.get_by_label(comment_label).fill(comment)
    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.get_by_role("button", name=send).click()
    return posted.value.all_headers().get("origin")


# --- 1. NPS on a phone


def test_customer_answers_nps_on_a_phone_in_norwegian(
    pages: Pages,
    production_server: LiveServer,
    start_worker: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
    screenshot: Screenshot,
):
    monkeypatch.setenv("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
    monkeypatch.setenv("TILFREDS_BASE_URL", production_server.url)
    start_worker()
    asked = invitation(SurveyKind.NPS, language="nb")
    link = survey_url(asked.pk)
    page = pages.open(device="phone", locale="nb-NO")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(asked.survey.question_nb)
    expect(page.locator("html")).to_have_attribute("lang", "nb")
    pick(page, 3)
    page.get_by_label("Vil du fortelle oss hvorfor? (valgfritt)").fill("Treg levering to ganger.")
    screenshot(page, "survey-nps-phone-nb")
    with page.expect_request(lambda request: request.method == "POST") as posted:
        page.get_by_role("button", name="Send svar").click()

    expect(page.get_by_role("heading", name="Takk for svaret!")).to_be_visible()
    # The fix this test pins: the browser posts with the site's Origin, not "null".
    assert posted.value.all_headers().get("origin") == production_server.url
    response = SurveyResponse.objects.get(invitation=asked)
    assert (response.score, response.comment, response.category) == (
        3,
        "Treg levering to ganger.",
        "detractor",
    )
    page.goto(link)
    expect(page.get_by_role("heading", name="Du har allerede svart")).to_be_visible()
    page.goto(tampered(link))
    expect(page.get_by_role("heading", name="Lenken virker ikke")).to_be_visible()
    assert SurveyResponse.objects.filter(invitation=asked).count() == 1
    # Created by the real worker from the task the server enqueued after commit.
    wait_for(
        lambda: FollowUpTask.objects.filter(response=response).exists(),
        timeout=20,
        message="the detractor's follow-up",
    )
    task = FollowUpTask.objects.get(response=response)
    assert (task.customer_id, task.status) == (asked.customer_id, Status.OPEN)


def test_customer_answers_nps_on_a_phone_in_english(pages: Pages, production_server: LiveServer):
    asked = invitation(SurveyKind.NPS, language="en")
    link = survey_url(asked.pk)
    # The contact's language picks the page's, whatever the phone's own language.
    page = pages.open(device="phone", locale="nb-NO")

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text(asked.survey.question_en)
    origin = answer(
        page,
        score=9,
        comment="Quick and friendly support.",
        comment_label="Would you tell us why? (optional)",
        send="Send answer",
    )

    expect(page.get_by_role("heading", name="Thank you for your answer!")).to_be_visible()
    assert origin == production_server.url
    response = SurveyResponse.objects.get(invitation=asked)
    assert (response.score, response.comment) == (9, "Quick and friendly support.")
    page.goto(link)
    expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
    page.goto(tampered(link))
    expect(page.get_by_role("heading", name="Lenken virker ikke")).to_be_visible()
    expect(page.get_by_text("This link does not work")).to_be_visible()


def test_under_no_referrer_chromium_posts_origin_null_and_the_answer_is_refused(pages: Pages):
    # The bug this suite was written for, reproduced in the browser: serve the page with the old
    # policy (header and meta tag) and Chromium's post says `Origin: null`, which CSRF refuses.
    asked = invitation(SurveyKind.NPS, language="nb")
    page = pages.open(device="phone", locale="nb-NO")

    def old_policy(route: Route) -> None:
        if route.request.method != "GET":
            # The post itself goes to the server untouched, with the headers Chromium chose.
            route.continue_()
            return
        served = route.fetch()
        html = served.text().replace('content="same-origin"', 'content="no-referrer"')
        route.fulfill(
            response=served, body=html, headers={**served.headers, "referrer-policy": "no-referrer"}
        )

    page.route(lambda url: url.endswith("/") and "/s/" in url, old_policy)
    page.goto(survey_url(asked.pk))
    origin = answer(
        page,
        score=9,
        comment="",
        comment_label="Vil du fortelle oss hvorfor? (valgfritt)",
        send="Send svar",
    )

    assert origin == "null"
    expect(page.get_by_role("heading", name="Svaret ble ikke sendt")).to_be_visible()
    assert not SurveyResponse.objects.filter(invitation=asked).exists()


# --- 2. CSAT, CES and unsubscribing


def test_customer_answers_csat_on_a_phone_and_ces_on_a_desktop_then_unsubscribes(pages: Pages):
    csat = invitation(SurveyKind.CSAT, language="nb")
    ces = invitation(SurveyKind.CES, language="en")
    phone = pages.open(device="phone", locale="nb-NO")
    desktop = pages.open(device="desktop", locale="en-US")

    phone.goto(survey_url(csat.pk))
    answer(
        phone,
        score=5,
        comment="Veldig fornøyd.",
        comment_label="Vil du fortelle oss hvorfor? (valgfritt)",
        send="Send svar",
    )
    expect(phone.get_by_role("heading", name="Takk for svaret!")).to_be_visible()
    desktop.goto(survey_url(ces.pk))
    answer(
        desktop,
        score=2,
        comment="Many steps.",
        comment_label="Would you tell us why? (optional)",
        send="Send answer",
    )
    expect(desktop.get_by_role("heading", name="Thank you for your answer!")).to_be_visible()

    assert SurveyResponse.objects.get(invitation=csat).score == 5
    assert SurveyResponse.objects.get(invitation=ces).score == 2
    leaving = invitation(SurveyKind.NPS, language="en")
    desktop.goto(survey_url(leaving.pk))
    desktop.get_by_role("link", name="I don't want any more surveys").click()
    expect(desktop.get_by_role("heading", name="Stop surveys")).to_be_visible()
    assert Contact.objects.get(pk=leaving.contact_id).opted_out is False
    desktop.get_by_role("button", name="Yes, unsubscribe me").click()

    expect(desktop.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert list(Contact.objects.filter(opted_out=True).values_list("pk", flat=True)) == [leaving.contact_id]


# --- 3. The account manager's follow-up


def test_account_manager_works_a_shared_follow_up_from_taking_it_to_the_next_task(
    pages: Pages, screenshot: Screenshot
):
    manager = staff("kari", ACCOUNT_MANAGERS_GROUP, first_name="Kari")
    havbruk = customer_with_figures(
        "Havbruk Service AS", tier="A", revenue=4_850_000, margin=1_120_000, manager=manager
    )
    task = unhappy(
        havbruk, contact="Ola Hansen", score=2, comment="Ingen ringte tilbake etter feilen i mars."
    )
    kystfrakt = customer_with_figures("Kystfrakt AS", tier="B", revenue=1_240_000, margin=310_000)
    unhappy(kystfrakt, contact="Marte Lie", score=5, comment="Fakturaene er vanskelige å lese.")
    following = unhappy(kystfrakt, contact="Jonas Berg", score=4, assigned_to=manager)
    page = pages.open(device="desktop", locale="en-US")
    log_in(page, manager)

    page.goto("/admin/followups/followuptask/")
    queues = page.get_by_role("navigation", name="Follow-up queues")
    expect(queues.get_by_role("link", name=re.compile("^Mine"))).to_have_attribute("aria-current", "page")
    # Mine holds only what is hers; the shared follow-ups wait in their own tab.
    expect(page.get_by_role("link", name=re.compile("Kystfrakt AS"))).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile("Havbruk Service AS"))).to_have_count(0)
    queues.get_by_role("link", name=re.compile("^Shared queue")).click()
    expect(page.get_by_role("link", name=re.compile("Havbruk Service AS"))).to_be_visible()
    screenshot(page, "followup-queue")
    page.get_by_role("link", name=re.compile("Havbruk Service AS")).click()
    # Complete comes only after Start.
    expect(page.get_by_role("button", name="Complete", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Take it").click()
    expect(page.get_by_text("You took this follow-up.")).to_be_visible()
    page.get_by_role("button", name="Start: I am contacting them").click()
    expect(page.get_by_text("Started: first contact recorded.")).to_be_visible()
    page.get_by_placeholder("What was said, what was agreed").fill("Ringte Ola, lovet ny leveranse fredag.")
    page.get_by_role("button", name="Add note").click()
    expect(page.get_by_text("Note added.")).to_be_visible()
    expect(
        page.locator("#followup-notes").get_by_text("Ringte Ola, lovet ny leveranse fredag.")
    ).to_be_visible()
    page.get_by_role("link", name="Log a call").click()
    expect(page.get_by_label("Channel")).to_have_value("phone")
    page.get_by_label("Summary").fill("Gikk gjennom leveranseplanen med Ola.")
    page.get_by_role("button", name="Save").click()
    # A call without its length is refused; nothing is saved.
    expect(page.get_by_text(re.compile("Duration \\(minutes\\) is required for calls"))).to_be_visible()
    page.get_by_label("Duration (minutes)").fill("12")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The call is logged on the follow-up.")).to_be_visible()
    expect(page.locator("#followup-logged").get_by_text("12 min")).to_be_visible()
    screenshot(page, "followup-page")
    outcome = page.get_by_label("Outcome")
    # No outcome is chosen for her: one careless click must not count as recovered.
    expect(outcome).to_have_value("")
    outcome.select_option(Outcome.RECOVERED)
    page.get_by_role("button", name="Complete", exact=True).click()

    expect(page.get_by_text(re.compile("^Completed\\."))).to_be_visible()
    expect(page.get_by_text(re.compile("^Next in your queue: Kystfrakt AS, due "))).to_be_visible()
    expect(page).to_have_url(re.compile(f"/admin/followups/followuptask/{following.pk}/change/"))
    expect(page.locator("#followup-contact").get_by_text("Jonas Berg")).to_be_visible()
    task.refresh_from_db()
    assert task.status == Status.DONE
    assert task.outcome == Outcome.RECOVERED
    assert task.assigned_to_id == manager.pk
    assert task.first_contact_at is not None
    assert task.completed_at is not None
    assert FollowUpNote.objects.filter(
        task=task, author=manager, text__contains="lovet ny leveranse"
    ).exists()
    call = Interaction.objects.get(customer=havbruk)
    assert (call.channel, call.duration_minutes, call.logged_by_id, call.contact_id) == (
        Channel.PHONE,
        12,
        manager.pk,
        task.contact_id,
    )
    assert list(task.interactions.values_list("pk", flat=True)) == [call.pk]


def test_the_admin_is_styled_with_debug_off(pages: Pages):
    manager = staff("kari", ACCOUNT_MANAGERS_GROUP, first_name="Kari")
    page = pages.open(device="desktop", locale="en-US")
    log_in(page, manager)

    stylesheet = page.locator('link[rel="stylesheet"][href*="admin/css/base"]').first.get_attribute("href")

    assert stylesheet is not None
    assert re.search(r"/static/admin/css/base\.[0-9a-f]{12}\.css$", stylesheet)
    css = page.request.get(stylesheet)
    assert css.status == 200
    assert css.headers["content-type"].startswith("text/css")
    assert pages.record(page).failed_requests == []


# --- 4. The lead


def test_lead_reassigns_a_follow_up_by_full_name(pages: Pages):
    lead = staff("lise", LEADS_GROUP, first_name="Lise", last_name="Leder")
    kari = staff("kari", ACCOUNT_MANAGERS_GROUP, first_name="Kari")
    per = staff("per", ACCOUNT_MANAGERS_GROUP, first_name="Per", last_name="Hansen")
    task = unhappy(
        customer_with_figures(
            "Nordlys Energi AS", tier="A", revenue=7_300_000, margin=1_900_000, manager=kari
        ),
        contact="Siv Moe",
        score=3,
        assigned_to=kari,
    )
    page = pages.open(device="desktop", locale="en-US")
    log_in(page, lead)

    page.goto(f"/admin/followups/followuptask/{task.pk}/change/")
    choice = page.get_by_label("Assign to")
    # People by the name colleagues know them by, the login after it.
    expect(choice.locator("option", has_text="Per Hansen")).to_have_text("Per Hansen (per)")
    choice.select_option(label="Per Hansen (per)")
    page.get_by_role("button", name="Reassign").click()

    expect(page.get_by_text("Assigned to Per Hansen.")).to_be_visible()
    task.refresh_from_db()
    assert task.assigned_to_id == per.pk


def test_lead_assigns_the_selected_shared_follow_ups_to_an_account_manager(pages: Pages):
    lead = staff("lise", LEADS_GROUP, first_name="Lise", last_name="Leder")
    per = staff("per", ACCOUNT_MANAGERS_GROUP, first_name="Per", last_name="Hansen")
    fjord = customer_with_figures("Fjordbygg AS", tier="B", revenue=2_100_000, margin=480_000)
    first = unhappy(fjord, contact="Anne Vik", score=4)
    second = unhappy(fjord, contact="Bjørn Dahl", score=1)
    left = unhappy(
        customer_with_figures("Vestkyst Rør AS", tier="C", revenue=310_000, margin=60_000),
        contact="Cato Ek",
        score=5,
    )
    page = pages.open(device="desktop", locale="en-US")
    log_in(page, lead)

    page.goto("/admin/followups/followuptask/?queue=shared")
    for task in (first, second):
        page.locator(f'input[name="_selected_action"][value="{task.pk}"]').check()
    page.locator('select[name="action"]').select_option(label="Assign to …")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_text("Assign 2 follow-ups to:")).to_be_visible()
    page.get_by_label("Assign to").select_option(label="Per Hansen (per)")
    page.get_by_role("button", name="Assign", exact=True).click()

    expect(page.get_by_text("2 follow-ups are with Per Hansen now.")).to_be_visible()
    assert set(FollowUpTask.objects.filter(assigned_to=per).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    left.refresh_from_db()
    assert left.assigned_to_id is None


# --- 5. Imports


def upload(page: Page, name: str, text: str) -> None:
    """Choose "Customers" and a CSV file on the upload page."""
    page.get_by_label("What the file holds").select_option(label="Customers")
    page.get_by_label("CSV or Excel file").set_input_files(
        files=[FilePayload(name=name, mimeType="text/csv", buffer=text.encode())]
    )


def test_an_import_with_a_bad_row_shows_why_and_imports_nothing_then_a_good_file_imports(pages: Pages):
    admin_user = get_user_model().objects.create(
        username="admin", email="admin@example.no", password=password_hash(), is_staff=True, is_superuser=True
    )
    good = valid_org_number(1)
    page = pages.open(device="desktop", locale="en-US")
    log_in(page, admin_user)

    page.goto("/admin/")
    page.get_by_role("link", name="Data imports").click()
    page.get_by_role("link", name="Import a file").click()
    upload(
        page,
        "kunder-feil.csv",
        f"external_id;name;org_number\nK1;Fjordbygg AS;{good}\nK2;Feil AS;123 456 789\n",
    )
    page.get_by_role("button", name="Import").click()

    rows = page.locator("#row-errors")
    expect(rows.get_by_role("heading", name=re.compile("Rows with errors"))).to_be_visible()
    expect(rows.get_by_text(re.compile("line 3: org_number: '123 456 789' is not a valid"))).to_be_visible()
    assert not Customer.objects.filter(external_id__in=["K1", "K2"]).exists()

    upload(page, "kunder.csv", f"external_id;name;org_number\nK1;Fjordbygg AS;{good}\nK2;Kystfrakt AS;\n")
    page.get_by_role("button", name="Import").click()

    expect(page.get_by_text(re.compile(r"Imported kunder\.csv as import #\d+"))).to_be_visible()
    assert DataImport.objects.get().rows_created == 2
    assert set(Customer.objects.values_list("external_id", "name")) == {
        ("K1", "Fjordbygg AS"),
        ("K2", "Kystfrakt AS"),
    }


# --- 6. Sales


def test_sales_reads_the_api_docs_and_downloads_the_customer_csv(pages: Pages):
    seller = staff("siri", SALES_GROUP, first_name="Siri", last_name="Salg")
    CustomerFactory.create(external_id="K77", name="Bodø Bygg; Øst AS")
    page = pages.open(device="desktop", locale="en-US")
    log_in(page, seller)

    page.goto("/api/docs/")
    expect(page.get_by_role("heading", name=re.compile("Tilfreds API"))).to_be_visible()
    expect(page.get_by_text("/api/customers/", exact=True).first).to_be_visible()
    page.wait_for_load_state("networkidle")
    record = pages.record(page)
    assert record.failed_requests == []
    assert [line for line in record.console if line.startswith(("error", "pageerror"))] == []
    with page.expect_download() as downloading:
        page.evaluate(
            """url => { const a = document.createElement("a"); a.href = url; document.body.append(a); a.click(); }""",
            "/api/customers/?format=csv",
        )
    download = downloading.value

    assert re.fullmatch(r"customers-\d{4}-\d{2}-\d{2}\.csv", download.suggested_filename)
    text = download.path().read_bytes().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";"))
    assert [(row["external_id"], row["name"]) for row in rows] == [("K77", "Bodø Bygg; Øst AS")]
