"""Translations: complete catalogues, per-user language, the switch in the admin header, staff emails.

The completeness test regenerates the catalogues from the code (makemessages, as `make messages`
does) in a copy of the project, so the committed locale/ is never touched, and fails naming every
string that is untranslated, only guessed (fuzzy), or missing from the committed catalogue.
"""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from gettext import GNUTranslations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from core import catalogues
from core.i18n import language_for, languages_for
from core.models import LanguagePreference
from followups.services import (
    create_followup_for_response,
    escalate_overdue_followups,
    notify_followup_created,
)
from tests.factories import ContactFactory, CustomerFactory, SurveyResponseFactory, UserFactory

OSLO = ZoneInfo("Europe/Oslo")
PROJECT = Path(django_settings.BASE_DIR)
LOCALE = PROJECT / "locale"
LANGUAGES = [code for code, _ in django_settings.LANGUAGES]


def _copy_project(target: Path) -> Path:
    """The files makemessages reads (code, templates) and the committed catalogues, nothing else."""
    skipped = {*catalogues.IGNORE_PATTERNS, "node_modules", "__pycache__"} - {"locale"}

    def ignore(directory: str, names: list[str]) -> set[str]:
        return {name for name in names if name in skipped or name.startswith(".")}

    shutil.copytree(PROJECT, target, ignore=ignore)
    return target


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> dict[Path, Path]:
    """{committed .po: the same catalogue after makemessages over the current code}."""
    copy = _copy_project(tmp_path_factory.mktemp("i18n") / "project")
    domains = ["django", "djangojs"] if catalogues.has_javascript_strings(copy) else ["django"]
    with pytest.MonkeyPatch.context() as patch:
        # makemessages walks the current directory and writes into LOCALE_PATHS: both the copy's.
        patch.chdir(copy)
        patch.setattr(django_settings, "LOCALE_PATHS", [copy / "locale"])
        for domain in domains:
            call_command(
                "makemessages",
                locale=LANGUAGES,
                domain=domain,
                ignore_patterns=catalogues.JS_IGNORE_PATTERNS
                if domain == "djangojs"
                else catalogues.IGNORE_PATTERNS,
                no_obsolete=True,
                add_location="file",
                verbosity=0,
            )
    return {
        LOCALE / po.relative_to(copy / "locale"): po for po in catalogues.catalogue_paths(copy / "locale")
    }


@pytest.fixture
def compiled_locale(tmp_path, settings) -> Path:
    """The committed catalogues compiled into a temporary directory that LOCALE_PATHS points to."""
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale, ignore=shutil.ignore_patterns("*.mo", ".*"))
    catalogues.compile_catalogues(locale, force=True)
    settings.LOCALE_PATHS = [locale]  # resets Django's cache of loaded translations
    return locale


# --- The catalogues


def test_there_is_a_catalogue_per_language():
    assert {po.parent.parent.name for po in catalogues.catalogue_paths(LOCALE)} >= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_of_the_code_is_in_the_committed_catalogue_and_translated(regenerated, language):
    problems = []
    for committed, fresh in regenerated.items():
        if committed.parent.parent.name != language:
            continue
        if not committed.exists():
            problems.append(f"{committed.relative_to(PROJECT)} is missing: run `make messages`")
            continue
        have = {catalogues.message_key(m) for m in catalogues.read_catalogue(committed) if m.id}
        for message in catalogues.read_catalogue(fresh):
            if not message.id:
                continue
            if catalogues.message_key(message) not in have:
                problems.append(f"not in {committed.relative_to(PROJECT)}: {catalogues.describe(message)}")
        problems += [
            f"{committed.relative_to(PROJECT)}: {line}"
            for line in catalogues.untranslated(catalogues.read_catalogue(fresh))
        ]
    assert not problems, (
        f"{len(problems)} untranslated string(s) for {language!r} (fix: mark them, add their Norwegian to a "
        "JSON file and run `make messages MERGE=...`, see CONTRIBUTING.md):\n" + "\n".join(problems)
    )


def test_every_catalogue_compiles_and_its_placeholders_match_the_msgids(tmp_path):
    locale = tmp_path / "locale"
    shutil.copytree(LOCALE, locale, ignore=shutil.ignore_patterns("*.mo", ".*"))

    written = catalogues.compile_catalogues(locale, force=True)

    assert sorted(written) == sorted(po.with_suffix(".mo") for po in catalogues.catalogue_paths(locale))
    for mo in written:
        with mo.open("rb") as fileobj:
            GNUTranslations(fileobj)  # raises on a corrupt file
    wrong = []
    for po in catalogues.catalogue_paths(locale):
        for message in catalogues.read_catalogue(po):
            # A fuzzy guess is never compiled, so it cannot break a page.
            if message.id and message.string and not message.fuzzy:
                ids = message.id if isinstance(message.id, tuple | list) else [message.id]
                strings = message.string if isinstance(message.string, tuple | list) else [message.string]
                extra = {p for s in strings for p in catalogues.PLACEHOLDER.findall(s)} - {
                    p for i in ids for p in catalogues.PLACEHOLDER.findall(i)
                }
                if extra:
                    wrong.append(f"{po.relative_to(locale)}: {catalogues.describe(message)}: {sorted(extra)}")
    assert not wrong, "translations using placeholders their msgid does not have:\n" + "\n".join(wrong)


def test_the_mo_files_are_not_committed():
    assert "*.mo" in (PROJECT / ".gitignore").read_text().splitlines()


# --- The merge tool (core.catalogues, `manage.py translations`)

PO_TEMPLATE = r"""msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\n"

#: customers/models.py
msgid "customer"
msgstr ""

#, fuzzy
#| msgid "Cancel follow-up"
msgid "Cancelled follow-up"
msgstr "Avbryt oppfølging"

#, python-format
msgid "%(count)s follow-up"
msgid_plural "%(count)s follow-ups"
msgstr[0] ""
msgstr[1] ""

msgctxt "month"
msgid "May"
msgstr ""

msgid "Kept"
msgstr "Beholdt"
"""


def _catalogue(tmp_path, language="nb") -> Path:
    po = tmp_path / "locale" / language / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO_TEMPLATE, encoding="utf-8")
    return po


def test_merging_fills_plurals_and_contexts_clears_fuzzy_and_keeps_what_is_there(tmp_path):
    po = _catalogue(tmp_path)
    catalog = catalogues.read_catalogue(po)

    report = catalogues.merge_translations(
        catalog,
        {
            "customer": "kunde",
            "Cancelled follow-up": "Avbrutt oppfølging",
            "%(count)s follow-up": ["%(count)s oppfølging", "%(count)s oppfølginger"],
            "month\x04May": "mai",
            "Gone": "Borte",
        },
    )
    catalogues.write_catalogue(catalog, po)

    again = catalogues.read_catalogue(po)
    assert again.get("customer").string == "kunde"
    assert again.get("Cancelled follow-up").string == "Avbrutt oppfølging"
    assert not again.get("Cancelled follow-up").fuzzy
    assert again.get("%(count)s follow-up").string == ("%(count)s oppfølging", "%(count)s oppfølginger")
    assert again.get("May", context="month").string == "mai"
    assert again.get("Kept").string == "Beholdt"
    assert (report.applied, report.unused, report.rejected) == (4, ["Gone"], [])
    assert catalogues.untranslated(again) == []
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in po.read_text(encoding="utf-8")


def test_a_translation_of_the_wrong_shape_or_with_an_unknown_placeholder_is_rejected(tmp_path):
    catalog = catalogues.read_catalogue(_catalogue(tmp_path))

    report = catalogues.merge_translations(
        catalog, {"%(count)s follow-up": "%(count)s oppfølging", "customer": "%(name)s kunde"}
    )

    assert report.applied == 0
    assert len(report.rejected) == 2
    assert catalogues.untranslated(catalog) == [
        "empty: customer",
        "fuzzy: Cancelled follow-up",
        "empty: %(count)s follow-up (plural: %(count)s follow-ups)",
        "empty: month | May",
    ]


def test_a_fuzzy_guess_is_left_out_of_the_compiled_catalogue(tmp_path):
    po = _catalogue(tmp_path)

    [mo] = catalogues.compile_catalogues(tmp_path / "locale")

    with mo.open("rb") as fileobj:
        compiled = GNUTranslations(fileobj)
    assert compiled.gettext("Kept") == "Beholdt"
    assert compiled.gettext("Cancelled follow-up") == "Cancelled follow-up"
    assert catalogues.compile_catalogues(tmp_path / "locale") == []  # up to date: nothing to do
    assert po.exists()


def test_the_english_catalogue_is_its_msgids(tmp_path):
    catalog = catalogues.read_catalogue(_catalogue(tmp_path, "en"))

    catalogues.fill_from_msgid(catalog)

    assert catalog.get("%(count)s follow-up").string == ("%(count)s follow-up", "%(count)s follow-ups")
    assert catalog.get("Cancelled follow-up").string == "Cancelled follow-up"
    assert catalogues.untranslated(catalog) == []


def test_translation_files_are_read_with_globs_and_conflicts_reported(tmp_path):
    (tmp_path / "a.json").write_text('{"customer": "kunde", "note": "notat"}', encoding="utf-8")
    (tmp_path / "b.json").write_text('{"customer": "klient"}', encoding="utf-8")

    supplied = catalogues.load_translations([str(tmp_path / "*.json")])

    assert supplied.translations == {"customer": "klient", "note": "notat"}
    assert supplied.conflicts == ["'customer': a.json and b.json differ"]


def test_the_command_merges_fills_english_compiles_and_checks(tmp_path, settings, capsys):
    nb, en = _catalogue(tmp_path, "nb"), _catalogue(tmp_path, "en")
    translations = tmp_path / "nb.json"
    translations.write_text('{"customer": "kunde"}', encoding="utf-8")

    with pytest.raises(Exception, match="untranslated"):
        call_command(
            "translations",
            "--merge",
            str(translations),
            "--compile",
            "--check",
            "--locale-dir",
            tmp_path / "locale",
        )

    out = capsys.readouterr().out
    assert "empty: month | May" in out
    assert "locale/en/LC_MESSAGES/django.po: 5/5 translated" in out
    assert catalogues.read_catalogue(nb).get("customer").string == "kunde"
    assert catalogues.read_catalogue(en).get("customer").string == "customer"
    assert nb.with_suffix(".mo").exists()
    assert en.with_suffix(".mo").exists()


# --- Per-user language


@pytest.fixture(autouse=True)
def _plain_http(settings):
    # About languages; the redirect to HTTPS that DEBUG off brings is tested elsewhere.
    settings.SECURE_SSL_REDIRECT = False


def _staff(username: str, **fields):
    return UserFactory.create(username=username, is_staff=True, is_superuser=True, **fields)


@pytest.mark.django_db
def test_language_for_prefers_the_choice_then_the_browser_then_the_setting(settings):
    settings.LANGUAGE_CODE = "en"
    chooser, follower, unknown = UserFactory.create(), UserFactory.create(), UserFactory.create()
    LanguagePreference.objects.create(user=chooser, language="nb", browser_language="en")
    LanguagePreference.objects.create(
        user=follower, language=LanguagePreference.BROWSER, browser_language="nb"
    )

    assert [language_for(chooser), language_for(follower), language_for(unknown)] == ["nb", "nb", "en"]
    assert languages_for([chooser.pk, follower.pk, unknown.pk]) == {
        chooser.pk: "nb",
        follower.pk: "nb",
        unknown.pk: "en",
    }


@pytest.mark.django_db
def test_the_admin_header_has_a_language_switch_that_sets_the_users_language(client, compiled_locale):
    user = _staff("kari")
    client.force_login(user)

    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/admin/language/"' in page
    assert 'name="language" value="nb"' in page
    assert 'name="language" value="en"' in page

    response = client.post(
        "/admin/language/", {"language": "nb", "next": "/admin/"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert LanguagePreference.objects.get(user=user).language == "nb"
    # The choice beats the browser, with or without the cookie.
    client.cookies.clear()
    client.force_login(user)
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="nb"' in page
    assert "Logg ut" in page  # Django's own catalogue
    assert "Kunder, kundeklasser og oppfølging" in page  # ours: the admin home's title


@pytest.mark.django_db
def test_choosing_the_browser_again_follows_accept_language(client, compiled_locale):
    user = _staff("kari")
    LanguagePreference.objects.create(user=user, language="nb")
    client.force_login(user)

    response = client.post("/admin/language/", {"language": "browser", "next": "/admin/"})

    assert response.status_code == 302
    assert LanguagePreference.objects.get(user=user).language == LanguagePreference.BROWSER
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    assert '<html lang="en"' in client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.django_db
def test_an_unknown_language_or_a_get_is_refused(client):
    assert client.post("/admin/language/", {"language": "sv"}).status_code == 400
    assert client.get("/admin/language/").status_code == 405


@pytest.mark.django_db
def test_the_login_page_has_the_switch_and_follows_the_browser_then_the_cookie(client, compiled_locale):
    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="nb"' in page
    assert 'action="/admin/language/"' in page

    client.post("/admin/language/", {"language": "en", "next": "/admin/login/"})

    page = client.get("/admin/login/", HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    assert '<html lang="en"' in page


@pytest.mark.django_db
def test_the_browsers_language_is_recorded_only_when_it_changes(client):
    user = _staff("kari")
    client.force_login(user)

    client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9")
    assert LanguagePreference.objects.get(user=user).browser_language == "nb"

    with CaptureQueriesContext(connection) as queries:
        client.get("/admin/", HTTP_ACCEPT_LANGUAGE="nb-NO,nb;q=0.9")
    writes = [
        q["sql"]
        for q in queries
        if "core_languagepreference" in q["sql"] and not q["sql"].startswith("SELECT")
    ]
    assert writes == []

    client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-GB")
    assert LanguagePreference.objects.get(user=user).browser_language == "en"


# --- Staff emails in the recipient's language


def _task_for(manager):
    customer = CustomerFactory.create(
        account_manager=manager,
        revenue_12m=Decimal("1234567.40"),
        contribution_margin_12m=Decimal("649426"),
    )
    contact = ContactFactory.create(customer=customer)
    response = SurveyResponseFactory.create(
        contact=contact, score=3, submitted_at=datetime(2026, 12, 1, 15, 5, tzinfo=OSLO)
    )
    task = create_followup_for_response(response_id=response.pk)
    assert task is not None
    return task


@pytest.mark.django_db
def test_a_norwegian_account_manager_gets_the_follow_up_email_in_norwegian(mailoutbox, compiled_locale):
    manager = UserFactory.create(username="kari")
    LanguagePreference.objects.create(user=manager, language="nb")
    task = _task_for(manager)

    assert notify_followup_created(task_id=task.pk)

    [message] = mailoutbox
    assert message.to == [manager.email]
    assert message.subject.startswith("Oppfølging: ")
    assert "En kunde er misfornøyd og trenger personlig oppfølging." in message.body
    assert "Omsetning: 1\xa0234\xa0567\xa0kr siste 12 mnd., dekningsbidrag 649\xa0426\xa0kr" in message.body
    assert "den 01.12.2026 15:05" in message.body
    due = timezone.localtime(task.due_at)
    with translation.override("nb"):
        weekday = translation.gettext(due.strftime("%A"))  # Django's own nb names: "tirsdag"
    assert f"Frist: {weekday} {due:%d.%m.%Y %H:%M}" in message.body


@pytest.mark.django_db
def test_an_english_account_manager_gets_the_follow_up_email_in_english(
    mailoutbox, compiled_locale, settings
):
    settings.LANGUAGE_CODE = "nb"  # the choice, not the default, decides
    manager = UserFactory.create(username="ola")
    LanguagePreference.objects.create(user=manager, language="en")
    task = _task_for(manager)

    notify_followup_created(task_id=task.pk)

    [message] = mailoutbox
    assert message.subject.startswith("Follow-up: ")
    assert "A customer is unhappy and needs a personal follow-up." in message.body
    assert "Revenue: 1,234,567\xa0kr in the last 12 months, contribution margin 649,426\xa0kr" in message.body
    assert "on 1 Dec 2026 15:05" in message.body


@pytest.mark.django_db
def test_each_lead_gets_the_escalation_in_their_own_language(mailoutbox, compiled_locale):
    leads = Group.objects.get(name="Follow-up leads")
    norsk, english = UserFactory.create(username="lise"), UserFactory.create(username="leo")
    leads.user_set.add(norsk, english)
    LanguagePreference.objects.create(user=norsk, language="nb")
    LanguagePreference.objects.create(user=english, browser_language="en")
    task = _task_for(UserFactory.create())
    type(task).objects.filter(pk=task.pk).update(due_at=timezone.now() - timedelta(hours=2))

    assert escalate_overdue_followups() == 1

    by_recipient = {message.to[0]: message for message in mailoutbox}
    assert set(by_recipient) == {norsk.email, english.email}
    assert by_recipient[norsk.email].subject == "1 oppfølging har forfalt"
    assert "Disse oppfølgingene passerte fristen" in by_recipient[norsk.email].body
    assert by_recipient[english.email].subject == "1 follow-up overdue"
    assert "These follow-ups passed their due time" in by_recipient[english.email].body


@pytest.mark.django_db
def test_a_superuser_sees_everyones_language_in_the_admin(client, superuser):
    LanguagePreference.objects.create(user=UserFactory.create(username="kari"), language="nb")
    client.force_login(superuser)

    page = client.get("/admin/core/languagepreference/").content.decode()

    assert "kari" in page
