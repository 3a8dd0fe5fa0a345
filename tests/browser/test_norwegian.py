"""The working day in a Norwegian browser, the dashboard in both languages, and the language switch.

Same stack as test_journeys.py (gunicorn with DEBUG off, Chromium; see conftest.py): each test is
one person doing one thing, asserting on what they see and on the database afterwards. The
Norwegian the pages are expected to show is the project's glossary (Mine, Felles kø, Ta den,
Fullfør, ...), written out here, so a missing or changed translation fails the journey.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from core.models import LanguagePreference
from customers.models import Customer
from followups.models import FollowUpTask, Status
from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP
from surveys.models import SurveyResponse
from surveys.services.satisfaction import refresh_customer_satisfaction
from tests.browser.conftest import ARTIFACTS, PHONE, Pages
from tests.browser.helpers import (
    Screenshot,
    console_errors,
    customer_with_figures,
    log_in,
    staff,
    unhappy,
)
from tests.factories import ContactFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CHARTS = ("chart-nps", "chart-scores", "chart-rate")


# --- the queue on a phone


def test_account_manager_works_her_queue_on_a_phone_in_norwegian(pages: Pages, screenshot: Screenshot):
    kari = staff("kari", ACCOUNT_MANAGERS_GROUP, first_name="Kari")
    havbruk = customer_with_figures(
        "Havbruk Service AS", tier="A", revenue=4_850_000, margin=1_120_000, manager=kari
    )
    mine = unhappy(
        havbruk,
        contact="Ola Hansen",
        score=2,
        comment="Ingen ringte tilbake etter feilen i mars.",
        assigned_to=kari,
        phone="+47 912 34 567",
    )
    unhappy(
        customer_with_figures("Kystfrakt AS", tier="B", revenue=1_240_000, margin=310_000),
        contact="Marte Lie",
        score=5,
        comment="Fakturaene er vanskelige å lese.",
    )
    page = pages.open(device="phone", locale="nb-NO")
    log_in(page, kari, language="nb")

    page.goto("/admin/followups/followuptask/")
    queues = page.get_by_role("navigation", name="Oppfølgingskøer")
    expect(queues.get_by_role("link", name=re.compile("^Mine"))).to_have_attribute("aria-current", "page")
    expect(queues.get_by_role("link", name=re.compile("^Felles kø"))).to_be_visible()
    row = page.locator("#result_list tbody tr")
    expect(row).to_have_count(1)
    # What she needs to pick up the phone, on the phone's screen without scrolling sideways.
    for seen in (
        row.get_by_text("NPS 2"),
        row.get_by_text("Ingen ringte tilbake etter feilen i mars."),
        row.get_by_role("link", name="Ring Ola Hansen"),
    ):
        expect(seen).to_be_in_viewport()
    expect(row.get_by_role("link", name="Ring Ola Hansen")).to_have_attribute("href", "tel:+4791234567")
    screenshot(page, "followup-queue-phone-nb")
    queues.get_by_role("link", name=re.compile("^Felles kø")).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    expect(page.get_by_role("link", name=re.compile("Kystfrakt AS"))).to_be_visible()
    page.get_by_role("link", name=re.compile("Kystfrakt AS")).click()
    page.get_by_role("button", name="Ta den").click()

    expect(page.get_by_text("Du tok denne oppfølgingen.")).to_be_visible()
    assert set(FollowUpTask.objects.filter(assigned_to=kari).values_list("pk", flat=True)) == {
        mine.pk,
        FollowUpTask.objects.get(customer__name="Kystfrakt AS").pk,
    }
    assert FollowUpTask.objects.filter(assigned_to__isnull=True).count() == 0
    assert console_errors(pages.record(page).console) == []


# --- the dashboard


def dashboard_answers() -> None:
    """Seven NPS answers this month, one per customer, whose figures the dashboard must show.

    A: 10, 9, 3 -> NPS +33.3 of 3; B: 9, 8 -> +50.0 of 2; C: 6, 3 -> -100.0 of 2; all: 3 promoters,
    3 detractors of 7 -> 0.0. Each customer's account NPS (+100, +100, -100, +100, 0, -100, -100)
    weighted by its revenue (6.3, 5.4, 4.5, 3.6, 2.7, 1.8 and 0.9 million): 810 / 25.2 = +32.1.
    """
    answers = [("A", 10), ("A", 9), ("A", 3), ("B", 9), ("B", 8), ("C", 6), ("C", 3)]
    for n, (tier, score) in enumerate(answers):
        customer = customer_with_figures(
            f"Kunde {n + 1} AS", tier=tier, revenue=900_000 * (7 - n), margin=200_000
        )
        SurveyResponseFactory.create(
            score=score, customer=customer, contact=ContactFactory.create(customer=customer)
        )
    # The per-customer figures as recording each answer (or the nightly rebuild) leaves them.
    refresh_customer_satisfaction()


def nps_this_month(page: Page, *, caption: str) -> Locator:
    """The cells of this month's row (the last) of the NPS table: all customers, then A, B, C."""
    table = page.locator("table").filter(has=page.locator("caption", has_text=caption))
    return table.locator("tbody tr").last.locator("td")


def charts_drawn(page: Page) -> None:
    """Every chart was drawn by Chart.js into a canvas that takes room on the page."""
    page.wait_for_function(
        "ids => typeof Chart !== 'undefined' && ids.every(id => Chart.getChart(document.getElementById(id)))",
        arg=list(CHARTS),
        timeout=15_000,
    )
    for chart in CHARTS:
        box = page.locator(f"#{chart}").bounding_box()
        assert box is not None, f"#{chart} is not rendered"
        assert box["width"] > 0, f"#{chart} has no width"
        assert box["height"] > 0, f"#{chart} has no height"


def read_dashboard(page: Page) -> None:
    page.goto("/admin/")
    page.get_by_role("link", name=re.compile("^(Tall og trender|Numbers and trends)$")).click()
    charts_drawn(page)
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize(
    ("locale", "language", "heading", "caption", "figures", "weighted"),
    [
        (
            "nb-NO",
            "nb",
            "Tall og trender",
            "NPS per måned og kundeklasse",
            ["0,0 (7)", "+33,3 (3)", "+50,0 (2)", "-100,0 (2)"],
            ("Omsetningsvektet NPS", "+32,1"),
        ),
        (
            "en-US",
            "en",
            "Numbers and trends",
            "NPS per month and tier",
            ["0.0 (7)", "+33.3 (3)", "+50.0 (2)", "-100.0 (2)"],
            ("Revenue-weighted NPS", "+32.1"),
        ),
    ],
    ids=["nb", "en"],
)
def test_lead_reads_the_dashboard_on_a_desktop(
    pages: Pages,
    screenshot: Screenshot,
    locale: str,
    language: str,
    heading: str,
    caption: str,
    figures: list[str],
    weighted: tuple[str, str],
):
    lead = staff("lise", LEADS_GROUP, first_name="Lise", last_name="Leder")
    dashboard_answers()
    page = pages.open(device="desktop", locale=locale)
    log_in(page, lead, language=language)

    read_dashboard(page)

    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(nps_this_month(page, caption=caption)).to_have_text(figures)
    card, headline = weighted
    expect(
        page.locator(".dashboard-card").filter(has=page.get_by_role("heading", name=card, exact=True))
    ).to_contain_text(headline)
    screenshot(page, f"dashboard-{language}")
    record = pages.record(page)
    assert record.failed_requests == []
    assert console_errors(record.console) == []
    # Reading it changes nothing.
    assert SurveyResponse.objects.count() == 7
    assert not FollowUpTask.objects.exists()


def test_lead_reads_the_dashboard_on_a_phone_in_norwegian(pages: Pages, screenshot: Screenshot):
    lead = staff("lise", LEADS_GROUP, first_name="Lise", last_name="Leder")
    dashboard_answers()
    page = pages.open(device="phone", locale="nb-NO")
    log_in(page, lead, language="nb")

    read_dashboard(page)

    for chart in CHARTS:
        box = page.locator(f"#{chart}").bounding_box()
        assert box is not None
        # A chart fits the phone's width (the tables scroll inside their own box instead).
        assert box["x"] >= 0, f"#{chart} starts off the screen: {box}"
        assert box["x"] + box["width"] <= PHONE["width"], f"#{chart} is wider than the phone: {box}"
    expect(nps_this_month(page, caption="NPS per måned og kundeklasse")).to_have_text(
        ["0,0 (7)", "+33,3 (3)", "+50,0 (2)", "-100,0 (2)"]
    )
    screenshot(page, "dashboard-phone-nb")
    assert console_errors(pages.record(page).console) == []


# --- no English string


# Words and phrases the app showed in English before it was translated (labels, buttons, headings,
# messages), matched as whole words, case-insensitively. Left out on purpose: words that are also
# Norwegian and appear in the translations (Start, Mine, Status, Filter, for, NPS, CSAT, CES, kr).
ENGLISH = [
    "Follow-up",
    "Follow-ups",
    "queue",
    "Shared",
    "Customer",
    "Customers",
    "Contact person",
    "Account manager",
    "Revenue",
    "Margin, 12 m",
    "Take it",
    "Complete",
    "Completed",
    "Outcome",
    "Recovered",
    "Reassign",
    "Assign",
    "Assigned",
    "tier",
    "Recalculate",
    "Satisfaction",
    "Numbers and trends",
    "Log a call",
    "Log a meeting",
    "Log an email",
    "Duration",
    "minutes",
    "Summary",
    "Channel",
    "Direction",
    "Add note",
    "Notes",
    "No comment",
    "Time thief",
    "time thieves",
    "Potential",
    "Industry",
    "Interactions",
    "Response rate",
    "Score",
    "Opened",
    "newest",
    "Number",
    "month",
    "months",
    "Comment",
    "Contact",
    "When",
    "Note",
    "Churn",
    "Overdue",
    "Due",
    "Due in",
    "Escalated",
    "In progress",
    "Open",
    "Cancelled",
    "Done",
    "answers",
    "Save",
    "Back to",
    "Home",
    "Welcome",
    "Log out",
    "Search",
    "typing",
    "Show",
    "Reset",
    "the",
    "and",
    "of",
    "with",
    "your",
    "you",
    "is",
    "are",
    "has",
    "no",
    "not",
]
_ENGLISH_PATTERN = re.compile(
    # Longest first, so "Due in" is reported whole rather than as "Due".
    r"(?<![\w-])("
    + "|".join(re.escape(word) for word in sorted(ENGLISH, key=len, reverse=True))
    + r")(?![\w-])",
    re.IGNORECASE,
)
# The language switch names each language in that language ("English"), and the chart library is
# named by its name: neither is a string to translate. Data (names, comments) is taken out per test.
NOT_THE_APP = ["English", "Chart.js"]
_EMAIL = re.compile(r"\S+@\S+")


def english_on(page: Page, data: list[str]) -> list[str]:
    """The English words of ENGLISH on the page: its visible text and what it tells a screen reader.

    Visible text is `inner_text("body")` (what is rendered, hidden elements left out, the options of
    every select included); placeholders, titles and aria-labels are read too. The known data of the
    test (customer and contact names, comments, usernames) is removed first, so a customer called
    "Open Solutions AS" would not count.
    """
    text = page.inner_text("body")
    attributes = page.eval_on_selector_all(
        "[placeholder], [title], [aria-label]",
        "nodes => nodes.map(n => [n.getAttribute('placeholder'), n.getAttribute('title'),"
        " n.getAttribute('aria-label')].filter(Boolean).join('\\n'))",
    )
    # Email addresses are data too ("...@kunde.no" is not the English "no").
    seen = _EMAIL.sub(" ", "\n".join([text, *attributes]))
    for known in sorted([*data, *NOT_THE_APP], key=len, reverse=True):
        seen = seen.replace(known, " ")
    found: list[str] = []
    for line in seen.splitlines():
        for match in _ENGLISH_PATTERN.finditer(line):
            found.append(f"{match.group(0)!r} in {line.strip()[:120]!r}")
    return found


def test_an_account_manager_in_a_norwegian_browser_meets_no_english_string(pages: Pages):
    """Walks the pages an account manager works in and lists English words of the app on them.

    What it catches: a label, button, heading, message, column, choice, placeholder or tooltip
    still in English on those pages, as long as it holds a word of ENGLISH (the app's own words from
    before the translation, and common English function words such as "the", "and", "of"). What it
    cannot catch: English made only of words not in the list, English on pages it does not open
    (emails, the survey pages, the import, the messages after an action), text drawn inside the charts'
    canvases, or a wrong Norwegian translation. Data is excluded by removing the test's own names.
    """
    kari = staff("kari", ACCOUNT_MANAGERS_GROUP, first_name="Kari")
    havbruk = customer_with_figures(
        "Havbruk Service AS", tier="A", revenue=4_850_000, margin=1_120_000, manager=kari
    )
    task = unhappy(
        havbruk,
        contact="Ola Hansen",
        score=2,
        comment="Ingen ringte tilbake etter feilen i mars.",
        assigned_to=kari,
        status=Status.IN_PROGRESS,
    )
    unhappy(
        customer_with_figures("Kystfrakt AS", tier="B", revenue=1_240_000, margin=310_000),
        contact="Marte Lie",
        score=5,
        comment="Fakturaene er vanskelige å lese.",
    )
    data = [
        "Havbruk Service AS",
        "Kystfrakt AS",
        "Ola Hansen",
        "Marte Lie",
        "Ingen ringte tilbake etter feilen i mars.",
        "Fakturaene er vanskelige å lese.",
        "Kari Nordmann",
        "kari@example.no",
        "kari",
        *Customer.objects.values_list("industry", flat=True).distinct(),
    ]
    page = pages.open(device="desktop", locale="nb-NO")
    log_in(page, kari, language="nb")
    walk = {
        "admin home": "/admin/",
        "queue": "/admin/followups/followuptask/",
        "shared queue": "/admin/followups/followuptask/?queue=shared",
        "a follow-up": f"/admin/followups/followuptask/{task.pk}/change/",
        "log a call": f"/admin/followups/followuptask/{task.pk}/log/?channel=phone",
        "customer list": "/admin/customers/customer/",
        "a customer": f"/admin/customers/customer/{havbruk.pk}/change/",
        "dashboard": "/admin/numbers/",
    }

    found: dict[str, list[str]] = {}
    for name, path in walk.items():
        response = page.goto(path)
        assert response is not None, f"{name}: {path} gave no response"
        assert response.status == 200, f"{name}: {path} answered {response.status}"
        expect(page.locator("html")).to_have_attribute("lang", "nb")
        english = english_on(page, data)
        if english:
            found[f"{name} ({path})"] = english
            # Where the words are, for whoever fixes them.
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=ARTIFACTS / f"english-on-{name.replace(' ', '-')}.png", full_page=True)

    assert found == {}, "English on the Norwegian pages:\n" + "\n".join(
        f"{where}:\n  " + "\n  ".join(words) for where, words in found.items()
    )


# --- the language switch


def test_an_english_reading_lead_switches_to_norwegian_and_it_stays_after_logging_in_again(pages: Pages):
    lead = staff("lise", LEADS_GROUP, first_name="Lise", last_name="Leder")
    page = pages.open(device="desktop", locale="en-US")
    log_in(page, lead, language="en")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Norsk").click()

    expect(page.locator("html")).to_have_attribute("lang", "nb")
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
    expect(page.get_by_role("button", name="Norsk")).to_have_attribute("aria-current", "true")
    page.goto("/admin/followups/followuptask/")
    expect(page.get_by_role("heading", name=re.compile("^Oppfølginger: Mine"))).to_be_visible()
    assert LanguagePreference.objects.get(user=lead).language == "nb"
    page.get_by_role("button", name="Logg ut").click()
    # Another day, a fresh browser that still asks for English: the login page follows the
    # browser (nobody is known yet), the pages after it follow her stored choice.
    again = pages.open(device="desktop", locale="en-US")
    log_in(again, lead, language="en", lands_in="nb")
    expect(again.locator("html")).to_have_attribute("lang", "nb")
    again.goto("/admin/followups/followuptask/")
    expect(again.get_by_role("heading", name=re.compile("^Oppfølginger: Mine"))).to_be_visible()
