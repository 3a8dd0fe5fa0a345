"""The account manager's working day in the queue: outcome without default, Start before Complete,
the next task after Complete, tabs, reassigning by name (one and many), the phone columns, the
escalated badge, and logging a call from the follow-up page. Each also as the wrong person."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from core.errors import Forbidden
from customers.models import Channel, Interaction
from followups.forms import CompleteForm, ReassignForm
from followups.models import FollowUpTask, Outcome, Status
from followups.services import assign_followups, log_followup_interaction
from tests.factories import ContactFactory, CustomerFactory, FollowUpTaskFactory
from tests.followups.helpers import staff_in
from tests.types import ClientResponse

pytestmark = pytest.mark.django_db

QUEUE_URL = reverse("admin:followups_followuptask_changelist")


@pytest.fixture
def kari() -> User:
    return staff_in("Account managers", "kari", first_name="Kari", last_name="Nordmann")


@pytest.fixture
def ola() -> User:
    return staff_in("Account managers", "ola", first_name="Ola", last_name="Hansen")


@pytest.fixture
def lead() -> User:
    return staff_in("Follow-up leads", "lise", first_name="Lise", last_name="Leder")


def logged_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def task_of(manager: User | None, *, assigned_to: User | None, **fields: object) -> FollowUpTask:
    """A follow-up of a customer `manager` manages, assigned to `assigned_to`."""
    customer = CustomerFactory.create(account_manager=manager)
    return FollowUpTaskFactory.create(
        response__contact__customer=customer,
        response__comment="Leveransen kom en uke for sent, og ingen sa fra.",
        assigned_to=assigned_to,
        **fields,
    )


def started(user: User, **fields: object) -> FollowUpTask:
    return task_of(
        user, assigned_to=user, status=Status.IN_PROGRESS, first_contact_at=timezone.now(), **fields
    )


def url(task: FollowUpTask, action: str = "change") -> str:
    return reverse(f"admin:followups_followuptask_{action}", args=[task.pk])


def messages_of(response: ClientResponse) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def fresh(task: FollowUpTask) -> FollowUpTask:
    return FollowUpTask.objects.get(pk=task.pk)


# --- 1. the outcome has no default; Start comes before Complete


def test_the_outcome_choice_starts_empty_so_completing_needs_a_deliberate_pick():
    form = CompleteForm()

    assert form.fields["outcome"].choices[0][0] == ""
    assert form["outcome"].value() is None
    assert not CompleteForm(data={"note": "x"}).is_valid()


def test_completing_without_an_outcome_is_refused_with_a_message_naming_it(client, kari):
    task = started(kari)

    response = logged_in(client, kari).post(url(task, "complete"), {"outcome": ""}, secure=True)

    assert "Nothing changed. Outcome: Choose the outcome of the follow-up." in messages_of(response)
    assert fresh(task).status == Status.IN_PROGRESS


def test_an_open_task_offers_start_and_explains_that_complete_comes_after(client, kari):
    task = task_of(kari, assigned_to=kari)

    page = logged_in(client, kari).get(url(task), secure=True).content.decode()

    assert url(task, "start") in page
    assert url(task, "complete") not in page
    assert "Complete is offered once you have reached the customer" in page


# --- 2. after Complete, the next task of the queue


def test_completing_opens_the_next_task_of_my_queue_in_the_queues_order(client, kari):
    now = timezone.now()
    current = started(kari, due_at=now + timedelta(hours=1))
    task_of(kari, assigned_to=kari, due_at=now + timedelta(days=3))
    sooner = task_of(kari, assigned_to=kari, due_at=now + timedelta(days=1))

    response = logged_in(client, kari).post(
        url(current, "complete"), {"outcome": Outcome.CONTACTED}, secure=True
    )

    assert fresh(current).status == Status.DONE
    assert response.status_code == 302
    assert response["Location"] == url(sooner)
    assert any(
        text.startswith(f"Next in your queue: {sooner.customer.name}") for text in messages_of(response)
    )


def test_completing_the_last_task_returns_to_the_queue_saying_it_is_empty(client, kari):
    task = started(kari)

    response = logged_in(client, kari).post(
        url(task, "complete"), {"outcome": Outcome.RECOVERED}, secure=True
    )

    assert response["Location"] == QUEUE_URL
    assert "No more follow-ups in your queue." in messages_of(response)


def test_the_next_task_is_never_another_managers_nor_a_shared_one(client, kari, ola):
    now = timezone.now()
    task = started(kari, due_at=now + timedelta(days=2))
    task_of(ola, assigned_to=ola, due_at=now - timedelta(days=3))
    task_of(kari, assigned_to=ola, due_at=now - timedelta(days=2))  # my customer, Ola's task
    task_of(None, assigned_to=None, due_at=now - timedelta(days=1))

    response = logged_in(client, kari).post(url(task, "complete"), {"outcome": Outcome.OTHER}, secure=True)

    assert response["Location"] == QUEUE_URL
    assert "No more follow-ups in your queue." in messages_of(response)


def test_a_refused_complete_stays_on_the_task_and_opens_nothing(client, kari, ola):
    olas = started(ola)
    task_of(kari, assigned_to=kari)

    response = logged_in(client, kari).post(
        url(olas, "complete"), {"outcome": Outcome.RECOVERED}, secure=True
    )

    assert fresh(olas).status == Status.IN_PROGRESS
    assert not any(text.startswith("Next in your queue") for text in messages_of(response))


# --- 3. reassign by full name, and the bulk "Assign to ..."


def test_the_reassign_choice_reads_full_name_and_username_by_name_and_only_follow_up_people(kari, ola, lead):
    staff_in("Sales", "selger", first_name="Sara", last_name="Selger")

    labels = [label for _, label in ReassignForm().fields["to"].choices]

    assert labels == ["Shared queue", "Kari Nordmann (kari)", "Lise Leder (lise)", "Ola Hansen (ola)"]


def test_the_reassign_choice_is_on_the_page_without_opening_a_section(client, kari, lead):
    task = task_of(kari, assigned_to=kari)

    page = logged_in(client, lead).get(url(task), secure=True).content.decode()

    form_at = page.index(url(task, "reassign"))
    assert "<details" not in page[page.rindex("<form", 0, form_at) - 200 : form_at]
    assert "Kari Nordmann (kari)" in page


def bulk_assign(client: Client, tasks: list[FollowUpTask], **extra: object) -> ClientResponse:
    data = {"action": "assign_selected", "_selected_action": [task.pk for task in tasks], **extra}
    return client.post(f"{QUEUE_URL}?queue=all", data, secure=True)


def test_bulk_assign_first_asks_to_whom_on_a_page_of_its_own(client, kari, lead):
    tasks = [task_of(kari, assigned_to=None) for _ in range(2)]

    response = bulk_assign(logged_in(client, lead), tasks)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Assign 2 follow-ups to:" in page
    assert "Kari Nordmann (kari)" in page
    assert all(task.assigned_to_id is None for task in map(fresh, tasks))


def test_bulk_assign_hands_the_active_ones_over_and_reports_the_rest(client, kari, ola, lead):
    shared = task_of(kari, assigned_to=None)
    karis = task_of(kari, assigned_to=kari)
    already = task_of(ola, assigned_to=ola)
    closed = task_of(kari, assigned_to=kari, status=Status.DONE, completed_at=timezone.now(), outcome="other")

    response = bulk_assign(logged_in(client, lead), [shared, karis, already, closed], post="yes", to=ola.pk)

    assert [fresh(task).assigned_to_id for task in (shared, karis, already, closed)] == [
        ola.pk,
        ola.pk,
        ola.pk,
        kari.pk,
    ]
    assert fresh(karis).notified_at is None
    texts = messages_of(response)
    assert "2 follow-ups are with Ola Hansen now." in texts
    assert "1 was already with Ola Hansen." in texts
    assert "1 is closed and stays as it was." in texts


def test_bulk_assign_to_the_shared_queue(client, kari, lead):
    task = task_of(kari, assigned_to=kari)

    bulk_assign(logged_in(client, lead), [task], post="yes", to="")

    assert fresh(task).assigned_to_id is None


def test_an_account_manager_cannot_bulk_assign_even_tasks_they_see(client, kari, ola):
    mine = task_of(kari, assigned_to=kari)
    olas_of_my_customer = task_of(kari, assigned_to=ola)
    olas = task_of(ola, assigned_to=ola)

    response = bulk_assign(logged_in(client, kari), [mine, olas_of_my_customer, olas], post="yes", to=kari.pk)

    assert [fresh(task).assigned_to_id for task in (mine, olas_of_my_customer, olas)] == [
        kari.pk,
        ola.pk,
        ola.pk,
    ]
    assert "Kari Nordmann" not in " ".join(messages_of(response))


def test_the_assign_service_refuses_account_managers(kari, ola):
    task = task_of(ola, assigned_to=ola)

    with pytest.raises(Forbidden, match="Only follow-up leads"):
        assign_followups(tasks=FollowUpTask.objects.filter(pk=task.pk), user=kari, to=kari)

    assert fresh(task).assigned_to_id == ola.pk


# --- 4. Mine and the shared queue as tabs, counted in one query


def test_the_tabs_count_mine_and_the_shared_queue_separately(client, kari, ola):
    task_of(kari, assigned_to=kari)
    task_of(kari, assigned_to=kari, due_at=timezone.now() - timedelta(days=1))
    for _ in range(3):
        task_of(None, assigned_to=None)
    task_of(ola, assigned_to=ola)

    response = logged_in(client, kari).get(QUEUE_URL, secure=True)

    tabs = {str(tab["label"]): tab for tab in response.context["tabs"]}
    assert (tabs["Mine"]["count"], tabs["Mine"]["overdue"], tabs["Mine"]["selected"]) == (2, 1, True)
    assert (tabs["Shared queue"]["count"], tabs["Shared queue"]["selected"]) == (3, False)
    page = response.content.decode()
    assert 'class="queue-tabs"' in page
    assert 'aria-current="page"' in page


# --- 5. the phone columns and the escalated badge


def test_the_queue_rows_carry_the_score_the_start_of_the_comment_and_a_tel_link(client, kari):
    task = task_of(kari, assigned_to=kari)
    comment = "Veldig lang klage " * 20
    task.response.comment = comment
    task.response.save(update_fields=["comment"])

    page = logged_in(client, kari).get(QUEUE_URL, secure=True).content.decode()

    assert "NPS 3" in page
    assert f">{Truncator(comment.strip()).chars(90)}</span>" in page  # the start, the whole in the title
    assert 'class="tel" href="tel:+4740000000"' in page


def test_an_escalated_task_is_marked_in_the_list_and_a_closed_one_is_not(client, kari):
    escalated = task_of(
        kari, assigned_to=kari, due_at=timezone.now() - timedelta(days=1), escalated_at=timezone.now()
    )
    task_of(kari, assigned_to=kari)

    page = logged_in(client, kari).get(QUEUE_URL, secure=True).content.decode()

    assert page.count('class="followup-escalated"') == 1
    assert ">Escalated<" in page
    escalated.status, escalated.completed_at = Status.DONE, timezone.now()
    escalated.save(update_fields=["status", "completed_at"])
    closed = logged_in(client, kari).get(f"{QUEUE_URL}?queue=closed", secure=True).content.decode()
    assert 'class="followup-escalated"' not in closed


# --- 6. logging a call, meeting or email from the follow-up page


def log_data(**fields: object) -> dict[str, object]:
    when = timezone.localtime() - timedelta(minutes=10)
    return {
        "channel": Channel.PHONE,
        "direction": "outbound",
        "occurred_at": when.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "12",
        "summary": "Ringte og beklaget.",
        **fields,
    }


def test_the_follow_up_page_offers_logging_a_call_a_meeting_and_an_email(client, kari):
    task = task_of(kari, assigned_to=kari)

    page = logged_in(client, kari).get(url(task), secure=True).content.decode()

    for channel in ("phone", "meeting", "email"):
        assert f"{url(task, 'log')}?channel={channel}" in page


def test_the_log_form_is_prefilled_with_contact_channel_and_now(client, kari):
    task = task_of(kari, assigned_to=kari)

    response = logged_in(client, kari).get(f"{url(task, 'log')}?channel=meeting", secure=True)

    form = response.context["form"]
    assert form["channel"].value() == "meeting"
    assert form["contact"].value() == task.contact_id
    assert abs(form.initial["occurred_at"] - timezone.now()) < timedelta(minutes=2)
    assert "It counts as the first contact" in response.content.decode()


def test_logging_a_call_links_it_starts_the_task_and_returns_to_the_follow_up(client, kari):
    task = task_of(kari, assigned_to=kari)

    response = logged_in(client, kari).post(url(task, "log"), log_data(contact=task.contact_id), secure=True)

    assert response["Location"] == url(task)
    interaction = Interaction.objects.get(customer=task.customer)
    assert (interaction.channel, interaction.duration_minutes, interaction.logged_by) == ("phone", 12, kari)
    assert list(fresh(task).interactions.all()) == [interaction]
    done = fresh(task)
    assert done.status == Status.IN_PROGRESS
    assert done.first_contact_at == max(interaction.occurred_at, task.created_at)
    assert "The call is logged on the follow-up." in messages_of(response)
    page = client.get(url(task), secure=True).content.decode()
    assert "Ringte og beklaget." in page.split('id="followup-logged"')[1].split("</section>")[0]


@pytest.mark.parametrize("duration", ["0", ""])
@pytest.mark.parametrize("channel", [Channel.PHONE, Channel.MEETING])
def test_a_call_or_meeting_without_a_duration_is_refused_naming_the_field(client, kari, channel, duration):
    task = task_of(kari, assigned_to=kari)

    response = logged_in(client, kari).post(
        url(task, "log"), log_data(channel=channel, duration_minutes=duration), secure=True
    )

    assert response.status_code == 200
    assert response.context["form"].errors["duration_minutes"] == [
        "Duration (minutes) is required for calls and meetings: enter more than 0."
    ]
    assert not Interaction.objects.exists()
    assert fresh(task).status == Status.OPEN


def test_an_email_needs_no_duration(client, kari):
    task = task_of(kari, assigned_to=kari)

    logged_in(client, kari).post(
        url(task, "log"), log_data(channel=Channel.EMAIL, duration_minutes=""), secure=True
    )

    assert Interaction.objects.get().duration_minutes == 0


def test_a_contact_of_another_customer_cannot_be_posted(client, kari):
    task = task_of(kari, assigned_to=kari)
    stranger = ContactFactory.create(customer=CustomerFactory.create(account_manager=kari))

    response = logged_in(client, kari).post(url(task, "log"), log_data(contact=stranger.pk), secure=True)

    assert "contact" in response.context["form"].errors
    assert not Interaction.objects.exists()


def test_another_manager_cannot_open_or_post_the_log_form_of_my_follow_up(client, kari, ola):
    task = task_of(kari, assigned_to=kari)
    logged_in(client, ola)

    assert client.get(url(task, "log"), secure=True).status_code == 403
    response = client.post(url(task, "log"), log_data(), secure=True)

    assert response.status_code == 403
    assert task.customer.name not in response.content.decode()
    assert not Interaction.objects.exists()
    assert fresh(task).status == Status.OPEN


def test_the_manager_of_the_customer_sees_but_cannot_log_on_a_colleagues_follow_up(client, kari, ola):
    task = task_of(kari, assigned_to=ola)

    response = logged_in(client, kari).post(url(task, "log"), log_data(), secure=True)

    assert response["Location"] == url(task)
    assert not Interaction.objects.exists()
    assert fresh(task).status == Status.OPEN


def test_a_late_logged_call_moves_the_first_contact_back_but_never_before_the_task(kari):
    now = timezone.now()
    task = task_of(
        kari,
        assigned_to=kari,
        status=Status.IN_PROGRESS,
        created_at=now - timedelta(days=1),
        first_contact_at=now - timedelta(hours=1),
    )
    early = Interaction(channel=Channel.PHONE, duration_minutes=5, occurred_at=now - timedelta(days=9))

    log_followup_interaction(task=task, user=kari, interaction=early)

    assert fresh(task).first_contact_at == task.created_at
    assert fresh(task).status == Status.IN_PROGRESS


def test_the_interaction_model_refuses_a_call_of_no_duration():
    interaction = Interaction(
        customer=CustomerFactory.create(), channel=Channel.PHONE, occurred_at=timezone.now()
    )

    with pytest.raises(ValidationError) as refused:
        interaction.full_clean()

    assert "duration_minutes" in refused.value.message_dict
    Interaction(customer=interaction.customer, channel=Channel.EMAIL, occurred_at=timezone.now()).full_clean()


def test_the_leads_assignee_filter_lists_people_by_full_name(client, kari, ola, lead):
    task_of(kari, assigned_to=kari)
    task_of(ola, assigned_to=ola)

    page = logged_in(client, lead).get(f"{QUEUE_URL}?queue=active", secure=True).content.decode()

    assert page.index("Kari Nordmann (kari)") < page.index("Ola Hansen (ola)")
