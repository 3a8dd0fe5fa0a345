from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from config.celery import app as celery_app
from core.formats import format_nok, group_thousands
from customers.models import (
    Contact,
    Customer,
    RecalculationRun,
    RunStatus,
    Tier,
    TierChange,
    TierPolicy,
)
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    InteractionFactory,
    ProductFactory,
    RevenueLineFactory,
    UserFactory,
)
from tests.types import ClientResponse

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def nok_2(amount: int) -> str:
    """An amount with øre as the admin shows it in the active language (core.formats decides how)."""
    return format_nok(Decimal(amount), decimals=True)


CUSTOMERS_URL = reverse("admin:customers_customer_changelist")
RUNS_URL = reverse("admin:customers_recalculationrun_changelist")
RECALCULATE_URL = reverse("admin:customers_recalculationrun_recalculate")
POLICY_URL = reverse("admin:customers_tierpolicy_changelist")


# Production settings redirect plain HTTP to HTTPS, so every request here is made as HTTPS.
def get(client: Client, url: str, **params: Any) -> ClientResponse:
    return client.get(url, params, secure=True)


def post(client: Client, url: str, data: dict[str, Any] | None = None) -> ClientResponse:
    return client.post(url, data or {}, secure=True)


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = get(client, url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def messages_of(response: ClientResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_run(*, status: str = RunStatus.SUCCEEDED, **fields: Any) -> RecalculationRun:
    return RecalculationRun.objects.create(
        as_of=fields.pop("as_of", timezone.localdate()),
        status=status,
        policy=TierPolicy.current().snapshot(),
        **fields,
    )


def staff_with(*codenames: str) -> Any:
    user = UserFactory.create(is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="customers", codename__in=codenames)
    )
    return user


def change_form_data(client: Client, url: str, **changes: Any) -> dict[str, Any]:
    """What the browser posts back from the change page at url, every inline included, with changes."""
    context = get(client, url).context
    forms = [context["adminform"].form]
    data: dict[str, Any] = {}
    for inline in context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return {**data, **changes}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Any) -> None:
    # These tests create up to a hundred users; the production hasher takes a good part of a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser_client(client: Client, superuser: Any) -> Client:
    client.force_login(superuser)
    return client


@pytest.fixture
def eager_celery() -> Iterator[None]:
    # The task has to run inside the test to leave a run behind, whether or not REDIS_URL gives the
    # app a real broker. Django settings cannot reconfigure an app that is already configured, so the
    # app's own flag is switched for this test and restored after it.
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


# --- Customer list


def test_customer_list_makes_the_same_number_of_queries_for_5_and_50_customers(
    superuser_client: Client,
) -> None:
    def add_customers(count: int) -> None:
        for _ in range(count):
            customer = CustomerFactory.create(account_manager=UserFactory.create(), revenue_12m=Decimal(1000))
            ContactFactory.create_batch(2, customer=customer)

    make_run()
    add_customers(5)
    with_5 = count_queries(superuser_client, CUSTOMERS_URL)
    add_customers(45)

    with_50 = count_queries(superuser_client, CUSTOMERS_URL)

    assert with_50 == with_5


def test_customer_list_shows_amounts_and_margin_share_in_norwegian_format(
    superuser_client: Client,
) -> None:
    CustomerFactory.create(
        org_number="923609016",
        revenue_12m=Decimal("1234567.40"),
        contribution_margin_12m=Decimal("288888.00"),
        tier=Tier.A,
    )

    response = superuser_client.get(CUSTOMERS_URL, secure=True, HTTP_ACCEPT_LANGUAGE="nb")

    html = response.content.decode()
    assert f"1{NBSP}234{NBSP}567{NBSP}kr" in html
    assert f"288{NBSP}888{NBSP}kr" in html
    assert f"23,4{NBSP}%" in html


def test_customer_list_shows_the_as_of_date_of_the_last_successful_recalculation(
    superuser_client: Client,
) -> None:
    make_run(as_of=date(2026, 5, 31))

    response = get(superuser_client, CUSTOMERS_URL)

    assert (
        f"as of <strong>{date_format(date(2026, 5, 31), 'SHORT_DATE_FORMAT')}</strong>"
        in response.content.decode()
    )


def test_customer_list_puts_the_largest_revenue_first(superuser_client: Client) -> None:
    small = CustomerFactory.create(revenue_12m=Decimal(10))
    large = CustomerFactory.create(revenue_12m=Decimal(1000))
    medium = CustomerFactory.create(revenue_12m=Decimal(100))

    response = get(superuser_client, CUSTOMERS_URL)

    assert list(response.context["cl"].result_list) == [large, medium, small]


def test_customer_list_sorts_by_margin_share_not_by_margin_amount(superuser_client: Client) -> None:
    thin = CustomerFactory.create(revenue_12m=Decimal(1000000), contribution_margin_12m=Decimal(50000))
    fat = CustomerFactory.create(revenue_12m=Decimal(1000), contribution_margin_12m=Decimal(600))
    middle = CustomerFactory.create(revenue_12m=Decimal(1000), contribution_margin_12m=Decimal(300))
    column = 1 + response_columns(superuser_client).index("margin_percent")

    response = get(superuser_client, CUSTOMERS_URL, o=str(column))

    assert list(response.context["cl"].result_list) == [thin, middle, fat]


def response_columns(client: Client) -> list[str]:
    return list(get(client, CUSTOMERS_URL).context["cl"].list_display)[1:]


def test_searching_an_org_number_typed_with_spaces_finds_the_customer(superuser_client: Client) -> None:
    wanted = CustomerFactory.create(org_number="923609016")
    CustomerFactory.create(org_number="974760673")

    response = get(superuser_client, CUSTOMERS_URL, q="923 609 016")

    assert list(response.context["cl"].result_list) == [wanted]


def test_searching_an_org_number_with_country_prefix_and_mva_finds_the_customer(
    superuser_client: Client,
) -> None:
    wanted = CustomerFactory.create(org_number="923609016")

    response = get(superuser_client, CUSTOMERS_URL, q="NO 923 609 016 MVA")

    assert list(response.context["cl"].result_list) == [wanted]


def test_searching_by_name_or_external_id_still_works(superuser_client: Client) -> None:
    by_name = CustomerFactory.create(name="Fjordkraft Handel AS", external_id="E-1")
    by_id = CustomerFactory.create(name="Other AS", external_id="ERP-42")

    found_by_name = get(superuser_client, CUSTOMERS_URL, q="fjordkraft").context["cl"].result_list
    found_by_id = get(superuser_client, CUSTOMERS_URL, q="erp-42").context["cl"].result_list

    assert list(found_by_name) == [by_name]
    assert list(found_by_id) == [by_id]


# --- Customer page


def test_customer_page_makes_the_same_number_of_queries_for_5_and_50_related_rows(
    superuser_client: Client,
) -> None:
    def customer_with(count: int) -> Customer:
        customer = CustomerFactory.create(account_manager=UserFactory.create())
        ContactFactory.create_batch(count, customer=customer)
        for _ in range(count):
            InteractionFactory.create(
                customer=customer, contact=customer.contacts.first(), logged_by=UserFactory.create()
            )
            RevenueLineFactory.create(
                customer=customer, product=ProductFactory.create(), date=timezone.localdate()
            )
            TierChange.objects.create(
                customer=customer, from_tier=Tier.C, to_tier=Tier.B, revenue_12m=Decimal(1), run=make_run()
            )
        return customer

    few, many = customer_with(5), customer_with(50)
    # The first change page a process renders fills caches (content types) the second does not need.
    get(superuser_client, reverse("admin:customers_customer_change", args=[few.pk]))

    with_5 = count_queries(superuser_client, reverse("admin:customers_customer_change", args=[few.pk]))
    with_50 = count_queries(superuser_client, reverse("admin:customers_customer_change", args=[many.pk]))

    assert with_50 == with_5


def test_customer_page_shows_the_latest_20_interactions_only(superuser_client: Client) -> None:
    customer = CustomerFactory.create()
    for n in range(25):
        InteractionFactory.create(
            customer=customer, occurred_at=timezone.now() - timedelta(days=n), summary=f"note-{n:02d}-end"
        )

    response = get(superuser_client, reverse("admin:customers_customer_change", args=[customer.pk]))

    html = response.content.decode()
    assert all(f"note-{n:02d}-end" in html for n in range(20))
    assert not any(f"note-{n:02d}-end" in html for n in range(20, 25))


def test_customer_page_sums_revenue_by_product_over_the_last_runs_window(superuser_client: Client) -> None:
    customer = CustomerFactory.create()
    product = ProductFactory.create(sku="P-WINDOW", name="Windowed")
    run = make_run(as_of=date(2026, 6, 1))
    RevenueLineFactory.create(
        customer=customer, product=product, date=date(2026, 6, 1), revenue=Decimal("1500000.00")
    )
    RevenueLineFactory.create(
        customer=customer, product=product, date=date(2026, 6, 2), revenue=Decimal("7.00")
    )

    response = get(superuser_client, reverse("admin:customers_customer_change", args=[customer.pk]))

    assert response.context["revenue_summary"].window.end == run.as_of
    assert response.context["revenue_summary"].revenue == Decimal("1500000.00")
    assert format_nok(Decimal("1500000.00")) in response.content.decode()


def test_customer_page_lists_tier_history_newest_first(superuser_client: Client) -> None:
    customer = CustomerFactory.create()
    run = make_run()
    older = TierChange.objects.create(
        customer=customer,
        from_tier=Tier.C,
        to_tier=Tier.B,
        revenue_12m=Decimal(1),
        run=run,
        changed_at=timezone.now() - timedelta(days=30),
    )
    newer = TierChange.objects.create(
        customer=customer, from_tier=Tier.B, to_tier=Tier.A, revenue_12m=Decimal(2), run=run
    )

    response = get(superuser_client, reverse("admin:customers_customer_change", args=[customer.pk]))

    assert list(response.context["tier_history"]) == [newer, older]


def test_economics_posted_with_the_customer_form_are_ignored(superuser_client: Client) -> None:
    customer = CustomerFactory.create(tier=Tier.C, revenue_12m=Decimal(10))

    url = reverse("admin:customers_customer_change", args=[customer.pk])

    response = post(
        superuser_client,
        url,
        change_form_data(
            superuser_client, url, name="Renamed AS", tier=Tier.A, revenue_12m="9999999", time_cost_flag="on"
        ),
    )

    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.tier, customer.revenue_12m, customer.time_cost_flag) == (
        "Renamed AS",
        Tier.C,
        Decimal(10),
        False,
    )


def test_org_number_typed_with_spaces_is_saved_as_nine_digits(superuser_client: Client) -> None:
    customer = CustomerFactory.create()

    url = reverse("admin:customers_customer_change", args=[customer.pk])

    post(superuser_client, url, change_form_data(superuser_client, url, org_number="NO 923 609 016 MVA"))

    customer.refresh_from_db()
    assert customer.org_number == "923609016"


def test_an_invalid_org_number_is_refused_on_the_customer_form(superuser_client: Client) -> None:
    customer = CustomerFactory.create(org_number="923609016")

    url = reverse("admin:customers_customer_change", args=[customer.pk])

    response = post(superuser_client, url, change_form_data(superuser_client, url, org_number="923 609 017"))

    assert response.status_code == 200
    assert "not a valid Norwegian organisation number" in response.content.decode()
    customer.refresh_from_db()
    assert customer.org_number == "923609016"


def test_ticking_opted_out_on_the_customer_page_stamps_the_time(superuser_client: Client) -> None:
    customer = CustomerFactory.create()
    contact = ContactFactory.create(customer=customer)
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    post(superuser_client, url, change_form_data(superuser_client, url, **{"contacts-0-opted_out": "on"}))

    contact.refresh_from_db()
    assert contact.opted_out is True
    assert contact.opted_out_at is not None


def test_a_new_customer_page_has_no_economics_panels(superuser_client: Client) -> None:
    response = get(superuser_client, reverse("admin:customers_customer_add"))

    assert response.status_code == 200
    assert "revenue_summary" not in response.context
    assert "Economics (written by the recalculation)" not in response.content.decode()


# --- Tier policy


def test_tier_policy_list_opens_the_single_policy_creating_it_if_missing(superuser_client: Client) -> None:
    TierPolicy.objects.all().delete()

    response = get(superuser_client, POLICY_URL)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:customers_tierpolicy_change", args=[TierPolicy.SINGLETON_PK]
    )
    assert TierPolicy.objects.count() == 1


def test_editing_the_tier_policy_records_who_and_old_and_new_values(
    superuser_client: Client, superuser: Any
) -> None:
    policy = TierPolicy.current()
    url = reverse("admin:customers_tierpolicy_change", args=[policy.pk])

    response = post(
        superuser_client,
        url,
        {
            "b_threshold": "200000.00",
            "a_threshold": "600000",
            "window_months": "6",
            "hourly_service_cost": "750.00",
            "time_cost_share_pct": "25.00",
        },
    )

    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.a_threshold, policy.window_months, policy.updated_by) == (Decimal(600000), 6, superuser)
    entry = LogEntry.objects.get(object_id=str(policy.pk), action_flag=CHANGE)
    assert entry.user == superuser
    assert entry.get_change_message() == (
        f"Changed A threshold (NOK): {nok_2(500000)} → {nok_2(600000)}; Window (months): 12 → 6."
    )
    history = get(superuser_client, reverse("admin:customers_tierpolicy_history", args=[policy.pk]))
    assert f"{nok_2(500000)} → {nok_2(600000)}" in history.content.decode()


def test_a_tier_policy_with_the_a_threshold_not_above_b_is_refused_with_a_message(
    superuser_client: Client,
) -> None:
    policy = TierPolicy.current()

    response = post(
        superuser_client,
        reverse("admin:customers_tierpolicy_change", args=[policy.pk]),
        {
            "b_threshold": "300000",
            "a_threshold": "300000",
            "window_months": "12",
            "hourly_service_cost": "750",
            "time_cost_share_pct": "25",
        },
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "a_threshold": [
            f"The A threshold must be above the B threshold ({format_nok(300000)}); "
            f"with {format_nok(300000)} no customer could be B."
        ]
    }
    policy.refresh_from_db()
    assert policy.b_threshold == Decimal(200000)
    assert not LogEntry.objects.exists()


def test_the_tier_policy_cannot_be_added_or_deleted(superuser_client: Client) -> None:
    policy = TierPolicy.current()

    add = get(superuser_client, reverse("admin:customers_tierpolicy_add"))
    delete = post(
        superuser_client, reverse("admin:customers_tierpolicy_delete", args=[policy.pk]), {"post": "yes"}
    )

    assert (add.status_code, delete.status_code) == (403, 403)
    assert TierPolicy.objects.filter(pk=policy.pk).exists()


# --- Recalculation


def test_recalculate_now_queues_a_recalculation_triggered_by_the_admin(
    superuser_client: Client, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    CustomerFactory.create()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = post(superuser_client, RECALCULATE_URL)

    assert response.status_code == 302
    assert response["Location"] == RUNS_URL
    assert len(callbacks) == 1
    assert messages_of(response) == ["Recalculation queued (trigger “admin (admin)”)."]
    run = RecalculationRun.objects.get()
    assert (run.trigger, run.status, run.customers_processed) == ("admin (admin)", RunStatus.SUCCEEDED, 1)


def test_recalculate_now_during_a_run_says_queued_and_the_queued_task_adds_no_run(
    superuser_client: Client, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    running = make_run(status=RunStatus.RUNNING, trigger="schedule")

    with django_capture_on_commit_callbacks(execute=True):
        response = post(superuser_client, RECALCULATE_URL)

    messages = messages_of(response)
    assert messages[0] == "Recalculation queued (trigger “admin (admin)”)."
    assert "is still running" in messages[1]
    assert list(RecalculationRun.objects.all()) == [running]


def test_recalculate_now_refuses_a_get(superuser_client: Client) -> None:
    response = get(superuser_client, RECALCULATE_URL)

    assert response.status_code == 405


def test_staff_with_the_add_run_permission_may_recalculate(
    client: Client, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(staff_with("view_recalculationrun", "add_recalculationrun"))

    page = get(client, RUNS_URL)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, RECALCULATE_URL)

    assert f'action="{RECALCULATE_URL}"' in page.content.decode()
    assert response.status_code == 302
    assert RecalculationRun.objects.filter(status=RunStatus.SUCCEEDED).count() == 1


def test_staff_who_may_only_view_runs_sees_no_button_and_cannot_recalculate(client: Client) -> None:
    client.force_login(staff_with("view_recalculationrun"))

    page = get(client, RUNS_URL)
    response = post(client, RECALCULATE_URL)

    assert page.status_code == 200
    assert f'action="{RECALCULATE_URL}"' not in page.content.decode()
    assert response.status_code == 403
    assert not RecalculationRun.objects.exists()


def test_staff_without_permissions_gets_403_on_runs_policy_and_recalculate(client: Client) -> None:
    client.force_login(UserFactory.create(is_staff=True))

    statuses = [
        get(client, RUNS_URL).status_code,
        get(client, POLICY_URL).status_code,
        get(client, reverse("admin:customers_tierpolicy_change", args=[TierPolicy.current().pk])).status_code,
        post(client, RECALCULATE_URL).status_code,
    ]

    assert statuses == [403, 403, 403, 403]


def test_run_list_shows_a_running_run_and_refreshes_itself(superuser_client: Client) -> None:
    make_run(status=RunStatus.RUNNING, trigger="schedule", customers_processed=20000)

    response = get(superuser_client, RUNS_URL)

    html = response.content.decode()
    assert ">Running</span>" in html
    assert f"{group_thousands(20000)} customers so far" in html
    assert '<meta http-equiv="refresh"' in html


def test_runs_are_read_only_in_the_admin(superuser_client: Client) -> None:
    run = make_run()

    add = get(superuser_client, reverse("admin:customers_recalculationrun_add"))
    change = post(
        superuser_client, reverse("admin:customers_recalculationrun_change", args=[run.pk]), {"trigger": "x"}
    )
    delete = post(
        superuser_client, reverse("admin:customers_recalculationrun_delete", args=[run.pk]), {"post": "yes"}
    )

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    run.refresh_from_db()
    assert run.trigger == ""


def test_run_page_shows_the_policy_snapshot_it_used(superuser_client: Client) -> None:
    run = make_run()
    run.policy = {**run.policy, "a_threshold": "750000.00"}
    run.save(update_fields=["policy"])

    response = get(superuser_client, reverse("admin:customers_recalculationrun_change", args=[run.pk]))

    assert f"<tr><th>A threshold (NOK)</th><td>{nok_2(750000)}</td></tr>" in response.content.decode()


# --- The other lists and pages


@pytest.mark.parametrize("model", ["contact", "product", "interaction", "revenueline", "tierchange"])
def test_every_list_and_detail_page_renders(superuser_client: Client, model: str) -> None:
    customer = CustomerFactory.create()
    contact = ContactFactory.create(customer=customer)
    objects = {
        "contact": contact,
        "product": ProductFactory.create(),
        "interaction": InteractionFactory.create(
            customer=customer, contact=contact, logged_by=UserFactory.create()
        ),
        "revenueline": RevenueLineFactory.create(customer=customer),
        "tierchange": TierChange.objects.create(
            customer=customer, from_tier=Tier.C, to_tier=Tier.B, revenue_12m=Decimal(1), run=make_run()
        ),
    }

    listing = get(superuser_client, reverse(f"admin:customers_{model}_changelist"))
    detail = get(superuser_client, reverse(f"admin:customers_{model}_change", args=[objects[model].pk]))

    assert (listing.status_code, detail.status_code) == (200, 200)
    assert objects[model] in listing.context["cl"].result_list


def test_ticking_opted_out_on_the_contact_page_stamps_the_time(superuser_client: Client) -> None:
    contact = ContactFactory.create()

    post(
        superuser_client,
        reverse("admin:customers_contact_change", args=[contact.pk]),
        {
            "customer": contact.customer_id,
            "name": contact.name,
            "email": contact.email,
            "phone": contact.phone,
            "role": "",
            "language": contact.language,
            "opted_out": "on",
        },
    )

    contact = Contact.objects.get(pk=contact.pk)
    assert contact.opted_out is True
    assert contact.opted_out_at is not None
