"""The account manager's queue in the admin: who sees what, the buttons, and the page's query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pytest_django.fixtures import Settings

from core.formats import format_nok, format_percent
from customers.models import Tier
from followups.models import FollowUpNote, FollowUpPolicy, FollowUpTask, Outcome, Status
from followups.services import create_followup_for_response
from surveys.models import SurveyInvitation, SurveyKind, SurveySuppression, Trigger
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FollowUpTaskFactory,
    InteractionFactory,
    SurveyResponseFactory,
    UserFactory,
)
from tests.types import ClientResponse

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("admin:followups_followuptask_changelist")


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    # Each test makes a few staff users who log in with force_login; the production hasher would
    # spend about a second on each password nobody types.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def staff_in(group: str, username: str, **fields: object) -> User:
    user = UserFactory.create(username=username, is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def kari() -> User:
    return staff_in("Account managers", "kari", first_name="Kari", last_name="Nordmann")


@pytest.fixture
def ola() -> User:
    return staff_in("Account managers", "ola", first_name="Ola", last_name="Hansen")


@pytest.fixture
def lead() -> User:
    return staff_in("Follow-up leads", "lise", first_name="Lise", last_name="Leder")


@pytest.fixture
def seller() -> User:
    return staff_in("Sales", "selger")


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def task_for(assigned_to: User | None = None, **fields: object) -> FollowUpTask:
    return FollowUpTaskFactory.create(assigned_to=assigned_to, **fields)


def change_url(task: FollowUpTask) -> str:
    return reverse("admin:followups_followuptask_change", args=[task.pk])


def action_url(task: FollowUpTask, action: str) -> str:
    return reverse(f"admin:followups_followuptask_{action}", args=[task.pk])


def post(client: Client, task: FollowUpTask, action: str, **data: object) -> ClientResponse:
    return client.post(action_url(task, action), data, secure=True)


def message_texts(response: ClientResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def fresh(task: FollowUpTask) -> FollowUpTask:
    return FollowUpTask.objects.get(pk=task.pk)


def listed(client: Client, query: str = "") -> list[FollowUpTask]:
    response = client.get(f"{QUEUE_URL}{query}", secure=True)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


# --- the queue


def test_mine_shows_only_my_tasks_and_the_shared_queue_is_a_tab_of_its_own(client, kari, ola):
    mine, shared, others = task_for(kari), task_for(None), task_for(ola)
    logged_in(client, kari)

    assert listed(client) == [mine]
    assert listed(client, "?queue=shared") == [shared]
    assert others not in listed(client, "?queue=all")


def test_my_queue_lists_overdue_tasks_first_then_by_due_time_then_tier(client, kari):
    now = timezone.now()
    later = task_for(kari, due_at=now + timedelta(days=3))
    soon_c = task_for(kari, due_at=now + timedelta(days=1), priority=3)
    soon_a = task_for(kari, due_at=now + timedelta(days=1), priority=1)
    overdue = task_for(kari, due_at=now - timedelta(days=2))

    tasks = listed(logged_in(client, kari))

    assert tasks == [overdue, soon_a, soon_c, later]


def test_an_overdue_task_carries_a_red_overdue_badge_in_the_queue(client, kari):
    task_for(kari, due_at=timezone.now() - timedelta(days=2, hours=1))

    response = logged_in(client, kari).get(QUEUE_URL, secure=True)

    assert "Overdue by 2 days" in response.content.decode()
    assert 'class="followup-overdue"' in response.content.decode()


def test_my_queue_leaves_out_closed_tasks_which_the_closed_view_shows(client, kari):
    done = task_for(kari, status=Status.DONE, completed_at=timezone.now(), outcome=Outcome.RECOVERED)
    active = task_for(kari)
    logged_in(client, kari)

    assert listed(client) == [active]
    assert listed(client, "?queue=closed") == [done]


def test_the_shared_queue_view_shows_only_unassigned_active_tasks(client, kari, ola):
    shared = task_for(None)
    task_for(kari)
    task_for(ola)
    task_for(None, status=Status.CANCELLED, completed_at=timezone.now())

    assert listed(logged_in(client, kari), "?queue=shared") == [shared]


def test_the_queue_shows_customer_score_contact_phone_and_shared(client, kari):
    task = task_for(None)

    page = logged_in(client, kari).get(f"{QUEUE_URL}?queue=active", secure=True).content.decode()

    assert task.customer.name in page
    assert "NPS 3" in page
    assert task.contact.name in page
    assert 'href="tel:+4740000000"' in page
    assert "<em>Shared</em>" in page


def test_the_queue_makes_as_many_queries_for_50_tasks_as_for_5(client, kari, ola, django_assert_num_queries):
    for index in range(5):
        task_for(kari if index % 2 else None)
    logged_in(client, kari).get(QUEUE_URL, secure=True)  # session, permission caches
    with CaptureQueriesContext(connection) as five:
        assert len(listed(client)) == 2
    for index in range(45):
        task_for([kari, None, ola][index % 3])

    with django_assert_num_queries(len(five.captured_queries)):
        assert len(listed(client)) == 17


def test_the_lead_queue_with_the_assignee_filter_makes_as_many_queries_for_50_tasks_as_for_5(
    client, kari, ola, lead, django_assert_num_queries
):
    for index in range(5):
        task_for([kari, ola, None][index % 3])
    logged_in(client, lead).get(f"{QUEUE_URL}?queue=active", secure=True)
    with CaptureQueriesContext(connection) as five:
        assert len(listed(client, "?queue=active")) == 5
    for index in range(45):
        task_for([kari, ola, None][index % 3])

    with django_assert_num_queries(len(five.captured_queries)):
        assert len(listed(client, "?queue=active")) == 50


def test_the_queue_searches_customer_name_and_contact(client, kari):
    wanted = task_for(kari)
    task_for(kari)
    logged_in(client, kari)

    assert listed(client, f"?q={wanted.customer.name}") == [wanted]
    assert listed(client, f"?q={wanted.contact.name}") == [wanted]


# --- what an account manager may not do


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("start", {}),
        ("note", {"text": "Ringte"}),
        ("complete", {"outcome": Outcome.RECOVERED}),
        ("cancel", {"reason": "Duplikat"}),
    ],
)
def test_an_account_manager_cannot_work_on_another_managers_task(client, kari, ola, action, data):
    task = task_for(ola)

    response = post(logged_in(client, kari), task, action, **data)

    assert response.status_code == 302
    # Back to the queue: the follow-up page itself is not Kari's to open.
    assert response["Location"] == QUEUE_URL
    assert any("another account manager" in text for text in message_texts(response))
    unchanged = fresh(task)
    assert (unchanged.status, unchanged.assigned_to, unchanged.first_contact_at) == (Status.OPEN, ola, None)
    assert not FollowUpNote.objects.filter(task=task).exists()


def test_an_account_manager_cannot_take_another_managers_task(client, kari, ola):
    task = task_for(ola)

    response = post(logged_in(client, kari), task, "take")

    assert any("Someone else took" in text for text in message_texts(response))
    assert fresh(task).assigned_to == ola


def test_an_account_manager_cannot_reassign(client, kari, ola):
    task = task_for(kari)

    response = post(logged_in(client, kari), task, "reassign", to=ola.pk)

    assert response.status_code == 403
    assert fresh(task).assigned_to == kari


def test_another_managers_task_does_not_open_for_an_account_manager(client, kari, ola):
    task = task_for(ola, response__comment="Leveransen kom en uke for sent.")
    FollowUpNote.objects.create(task=task, author=ola, text="Privat: kunden vurderer å bytte.")

    response = logged_in(client, kari).get(change_url(task), secure=True)

    page = response.content.decode()
    assert response.status_code == 403
    assert "Privat" not in page
    assert "Leveransen kom" not in page


def test_another_managers_task_of_my_customer_opens_read_only_without_buttons(client, kari, ola):
    # A lead handed a follow-up of Kari's customer to Ola: Kari sees it, Ola works it.
    task = task_for(ola, response__contact__customer=CustomerFactory.create(account_manager=kari))

    response = logged_in(client, kari).get(change_url(task), secure=True)

    page = response.content.decode()
    assert response.status_code == 200
    assert response.context["has_change_permission"] is False
    assert action_url(task, "complete") not in page
    assert action_url(task, "note") not in page
    assert "only they or a follow-up lead can change it" in page


def test_the_queue_lists_another_managers_task_of_my_customer(client, kari, ola):
    mine_by_customer = task_for(ola, response__contact__customer=CustomerFactory.create(account_manager=kari))
    task_for(ola)

    assert listed(logged_in(client, kari), "?queue=all") == [mine_by_customer]


def test_a_shared_task_must_be_taken_before_it_is_started(client, kari):
    task = task_for(None)

    response = post(logged_in(client, kari), task, "start")

    assert any("Take the task" in text for text in message_texts(response))
    assert fresh(task).status == Status.OPEN


# --- working a task


def test_an_account_manager_takes_a_shared_task(client, kari):
    task = task_for(None)

    response = post(logged_in(client, kari), task, "take")

    assert response.status_code == 302
    assert response["Location"] == change_url(task)
    assert fresh(task).assigned_to == kari
    assert "You took this follow-up." in message_texts(response)


def test_a_second_take_by_someone_else_warns_of_the_conflict_and_keeps_the_first_taker(kari, ola):
    task = task_for(None)
    post(logged_in(Client(), kari), task, "take")

    response = post(logged_in(Client(), ola), task, "take")

    assert any(text.startswith("Nothing changed: Someone else took") for text in message_texts(response))
    assert fresh(task).assigned_to == kari


def test_starting_records_the_first_contact_and_marks_it_in_progress(client, kari):
    task = task_for(kari)

    post(logged_in(client, kari), task, "start")

    started = fresh(task)
    assert started.status == Status.IN_PROGRESS
    assert started.first_contact_at is not None


def test_a_note_is_added_with_its_author(client, kari):
    task = task_for(kari)

    post(logged_in(client, kari), task, "note", text="  Ringte, lovet svar i morgen.  ")

    note = FollowUpNote.objects.get(task=task)
    assert (note.author, note.text) == (kari, "Ringte, lovet svar i morgen.")


def test_an_empty_note_is_refused_with_a_message(client, kari):
    task = task_for(kari)

    response = post(logged_in(client, kari), task, "note", text="   ")

    assert any(text.startswith("Nothing changed.") for text in message_texts(response))
    assert not FollowUpNote.objects.filter(task=task).exists()


def test_completing_records_the_outcome_lifts_the_survey_hold_and_queues_a_csat_invitation(client, kari):
    contact = ContactFactory.create(customer=CustomerFactory.create(account_manager=kari))
    task = create_followup_for_response(response_id=SurveyResponseFactory.create(contact=contact, score=2).pk)

    post(logged_in(client, kari), task, "complete", outcome=Outcome.RECOVERED, note="Fikk ny leveranse.")

    done = fresh(task)
    assert (done.status, done.outcome) == (Status.DONE, Outcome.RECOVERED)
    assert done.completed_at is not None
    assert done.first_contact_at == done.completed_at
    assert FollowUpNote.objects.get(task=task).text == "Fikk ny leveranse."
    assert not SurveySuppression.objects.filter(customer=contact.customer, lifted_at__isnull=True).exists()
    invitation = SurveyInvitation.objects.get(contact=contact, trigger=Trigger.FOLLOWUP_COMPLETED)
    assert invitation.survey.kind == SurveyKind.CSAT


def test_completing_without_a_valid_outcome_changes_nothing(client, kari):
    task = task_for(kari)

    response = post(logged_in(client, kari), task, "complete", outcome="happy")

    assert any(text.startswith("Nothing changed.") for text in message_texts(response))
    assert fresh(task).status == Status.OPEN


def test_completing_a_task_twice_warns_and_keeps_the_first_outcome(client, kari):
    task = task_for(kari)
    logged_in(client, kari)
    post(client, task, "complete", outcome=Outcome.RECOVERED)

    response = post(client, task, "complete", outcome=Outcome.CHURN_RISK)

    assert any(text.startswith("Nothing changed: The follow-up is done") for text in message_texts(response))
    assert fresh(task).outcome == Outcome.RECOVERED


def test_cancelling_closes_the_task_with_the_reason_as_a_note(client, kari):
    task = task_for(kari)

    post(logged_in(client, kari), task, "cancel", reason="Samme sak som #12")

    cancelled = fresh(task)
    assert cancelled.status == Status.CANCELLED
    assert FollowUpNote.objects.get(task=task).text == "Cancelled: Samme sak som #12"


def test_cancelling_needs_a_reason(client, kari):
    task = task_for(kari)

    post(logged_in(client, kari), task, "cancel", reason="")

    assert fresh(task).status == Status.OPEN


def test_a_lead_reassigns_a_task_to_another_account_manager(client, kari, ola, lead):
    task = task_for(kari)

    response = post(logged_in(client, lead), task, "reassign", to=ola.pk)

    assert fresh(task).assigned_to == ola
    assert "Assigned to Ola Hansen." in message_texts(response)


def test_a_lead_returns_a_task_to_the_shared_queue(client, kari, lead):
    task = task_for(kari)

    post(logged_in(client, lead), task, "reassign", to="")

    assert fresh(task).assigned_to is None


def test_a_lead_may_work_on_any_task(client, kari, lead):
    task = task_for(kari)

    post(logged_in(client, lead), task, "start")

    assert fresh(task).status == Status.IN_PROGRESS


def test_the_buttons_refuse_get(client, kari):
    task = task_for(kari)

    response = logged_in(client, kari).get(action_url(task, "complete"), secure=True)

    assert response.status_code == 405
    assert fresh(task).status == Status.OPEN


def test_the_buttons_need_the_csrf_token(kari):
    task = task_for(None)
    client = logged_in(Client(enforce_csrf_checks=True), kari)

    response = post(client, task, "take")

    assert response.status_code == 403
    assert fresh(task).assigned_to is None


def test_the_change_form_itself_cannot_be_posted(client, kari):
    task = task_for(kari)

    response = logged_in(client, kari).post(change_url(task), {"status": Status.DONE}, secure=True)

    assert response.status_code == 405
    assert fresh(task).status == Status.OPEN


def test_a_redirect_keeps_the_queue_filters(client, kari):
    task = task_for(None)

    response = logged_in(client, kari).post(
        f"{action_url(task, 'take')}?_changelist_filters=queue%3Dshared", secure=True
    )

    assert response["Location"] == f"{change_url(task)}?_changelist_filters=queue%3Dshared"


def test_take_selected_takes_the_shared_ones_and_leaves_the_others(client, kari, ola):
    shared, others = task_for(None), task_for(ola)

    response = logged_in(client, kari).post(
        f"{QUEUE_URL}?queue=all",
        {"action": "take_selected", "_selected_action": [shared.pk, others.pk]},
        secure=True,
    )

    assert response.status_code == 302
    assert fresh(shared).assigned_to == kari
    assert fresh(others).assigned_to == ola


def test_return_to_the_shared_queue_is_a_lead_only_bulk_action(client, kari, lead):
    task = task_for(kari)
    logged_in(client, kari)
    kari_actions = client.get(QUEUE_URL, secure=True).context["action_form"].fields["action"].choices
    client.force_login(lead)

    client.post(
        f"{QUEUE_URL}?queue=active",
        {"action": "release_selected", "_selected_action": [task.pk]},
        secure=True,
    )

    assert "release_selected" not in dict(kari_actions)
    assert fresh(task).assigned_to is None


# --- sales


def test_sales_see_no_follow_ups_in_the_admin_and_change_none(client, seller, kari):
    task = task_for(None)
    logged_in(client, seller)

    queue = client.get(f"{QUEUE_URL}?queue=all", secure=True)
    page = client.get(change_url(task), secure=True)
    index = client.get(reverse("admin:index"), secure=True)
    take = post(client, task, "take")
    start = post(client, task, "start")

    assert (queue.status_code, page.status_code) == (403, 403)
    assert QUEUE_URL not in index.content.decode()
    assert (take.status_code, start.status_code) == (403, 403)
    assert fresh(task).assigned_to is None


def test_sales_cannot_add_notes(client, seller):
    task = task_for(None)

    response = post(logged_in(client, seller), task, "note", text="Hei")

    assert response.status_code == 403
    assert not FollowUpNote.objects.exists()


# --- the follow-up page


def test_the_follow_up_page_shows_what_is_needed_on_the_phone(client, kari):
    customer = CustomerFactory.create(
        name="Fjordkraft Handel AS",
        tier=Tier.A,
        revenue_12m=Decimal("1234567.00"),
        contribution_margin_12m=Decimal("345678.00"),
        time_cost_flag=True,
    )
    contact = ContactFactory.create(
        customer=customer, name="Per Olsen", role="Innkjøpssjef", phone="+47 912 34 567"
    )
    response = SurveyResponseFactory.create(
        contact=contact, score=2, comment="Leveransen kom en uke for sent."
    )
    task = FollowUpTaskFactory.create(
        response=response, assigned_to=kari, due_at=timezone.now() - timedelta(hours=5)
    )
    FollowUpNote.objects.create(task=task, author=kari, text="Lagt igjen beskjed.")
    InteractionFactory.create(customer=customer, contact=contact, summary="Klage på leveringstid")
    SurveyResponseFactory.create(contact=contact, score=9, comment="Veldig fornøyd i fjor")

    page = logged_in(client, kari).get(change_url(task), secure=True).content.decode()

    assert reverse("admin:customers_customer_change", args=[customer.pk]) in page
    assert "Fjordkraft Handel AS" in page
    assert format_nok(Decimal("1234567")) in page  # 1 234 567 kr, with non-breaking spaces
    assert format_nok(Decimal("345678")) in page
    assert format_percent(customer.margin_pct) in page  # 28,0 % in Norwegian
    assert "Time thief" in page
    assert 'href="tel:+4791234567"' in page
    assert f'href="mailto:{contact.email}"' in page
    assert "Innkjøpssjef" in page
    assert "NPS 2" in page
    assert "“Leveransen kom en uke for sent.”" in page
    assert "Overdue by 5 hours" in page
    assert "Lagt igjen beskjed." in page
    assert "Klage på leveringstid" in page
    assert "Veldig fornøyd i fjor" in page


def test_my_own_open_task_offers_start_cancel_and_note_but_not_complete_take_or_reassign(client, kari):
    task = task_for(kari)

    page = logged_in(client, kari).get(change_url(task), secure=True).content.decode()

    for action in ("start", "cancel", "note"):
        assert action_url(task, action) in page
    for action in ("complete", "take", "reassign"):
        assert action_url(task, action) not in page
    assert 'name="_save"' not in page


def test_my_started_task_offers_complete_and_no_longer_start(client, kari):
    task = task_for(kari, status=Status.IN_PROGRESS, first_contact_at=timezone.now())

    page = logged_in(client, kari).get(change_url(task), secure=True).content.decode()

    assert action_url(task, "complete") in page
    assert action_url(task, "start") not in page


def test_a_shared_task_offers_take(client, kari):
    task = task_for(None)

    page = logged_in(client, kari).get(change_url(task), secure=True).content.decode()

    assert action_url(task, "take") in page
    assert action_url(task, "complete") not in page


def test_a_lead_sees_the_reassign_choice_of_account_managers(client, kari, ola, lead):
    task = task_for(kari)

    page = logged_in(client, lead).get(change_url(task), secure=True).content.decode()

    assert action_url(task, "reassign") in page
    assert f'<option value="{ola.pk}">' in page


def test_the_follow_up_page_makes_as_many_queries_for_50_notes_responses_and_interactions_as_for_5(
    client, kari, django_assert_num_queries
):
    task = task_for(kari)
    contact = task.contact

    def add_history(count: int) -> None:
        for _ in range(count):
            FollowUpNote.objects.create(task=task, author=kari, text="Notat")
            SurveyResponseFactory.create(contact=contact, score=8)
            InteractionFactory.create(customer=task.customer, contact=contact, logged_by=kari)

    add_history(5)
    FollowUpTaskFactory.create(
        response=SurveyResponseFactory.create(contact=contact, score=1), assigned_to=kari
    )
    logged_in(client, kari).get(change_url(task), secure=True)
    with CaptureQueriesContext(connection) as five:
        assert client.get(change_url(task), secure=True).status_code == 200
    add_history(45)

    with django_assert_num_queries(len(five.captured_queries)):
        assert client.get(change_url(task), secure=True).status_code == 200


# --- the customer page


def test_the_customer_page_lists_its_follow_ups_newest_first_with_links(client, kari):
    customer = CustomerFactory.create()
    older = FollowUpTaskFactory.create(
        response=SurveyResponseFactory.create(contact=ContactFactory.create(customer=customer), score=1),
        created_at=timezone.now() - timedelta(days=30),
    )
    newer = FollowUpTaskFactory.create(
        response=SurveyResponseFactory.create(contact=ContactFactory.create(customer=customer), score=4)
    )
    FollowUpTaskFactory.create()  # another customer's

    response = logged_in(client, kari).get(
        reverse("admin:customers_customer_change", args=[customer.pk]), secure=True
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert change_url(newer) in page
    assert change_url(older) in page
    assert page.index(change_url(newer)) < page.index(change_url(older))
    assert "NPS 1" in page
    assert "NPS 4" in page


def test_the_customer_page_makes_as_many_queries_for_30_follow_ups_as_for_3(
    client, kari, django_assert_num_queries
):
    customer = CustomerFactory.create()
    contact = ContactFactory.create(customer=customer)
    url = reverse("admin:customers_customer_change", args=[customer.pk])

    def add_followups(count: int) -> None:
        for _ in range(count):
            FollowUpTaskFactory.create(
                response=SurveyResponseFactory.create(contact=contact, score=2), assigned_to=kari
            )

    add_followups(3)
    logged_in(client, kari).get(url, secure=True)
    with CaptureQueriesContext(connection) as three:
        client.get(url, secure=True)
    add_followups(27)

    with django_assert_num_queries(len(three.captured_queries)):
        response = client.get(url, secure=True)
    assert response.content.decode().count("/admin/followups/followuptask/") >= 10


# --- the policy


def test_the_policy_list_opens_the_one_policy(client, lead):
    response = logged_in(client, lead).get(reverse("admin:followups_followuppolicy_changelist"), secure=True)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:followups_followuppolicy_change", args=[FollowUpPolicy.SINGLETON_PK]
    )


def test_account_managers_cannot_open_the_policy(client, kari):
    response = logged_in(client, kari).get(reverse("admin:followups_followuppolicy_changelist"), secure=True)

    assert response.status_code == 403
