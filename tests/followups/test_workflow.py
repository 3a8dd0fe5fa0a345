from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from core.errors import BadInput, Conflict, Forbidden
from followups.models import FollowUpNote, FollowUpTask, Outcome, Status
from followups.services import (
    FollowUpConflict,
    add_followup_note,
    cancel_followup,
    complete_followup,
    create_followup_for_response,
    escalate_overdue_followups,
    notify_followup_created,
    reassign_followup,
    start_followup,
    take_followup,
)
from surveys.models import SurveyInvitation, SurveyKind, SurveySuppression, Trigger
from tests.factories import ContactFactory, CustomerFactory, SurveyResponseFactory, UserFactory

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def lead(db):
    user = UserFactory.create(username="leder", email="leder@example.no")
    user.groups.add(Group.objects.get(name="Follow-up leads"))
    return user


@pytest.fixture
def account_manager(account_manager):
    # conftest's user, in the group that makes one an account manager: the policy asks for the
    # group's permissions, not only for being the assignee.
    account_manager.groups.add(Group.objects.get(name="Account managers"))
    return account_manager


def manager(**fields):
    user = UserFactory.create(**fields)
    user.groups.add(Group.objects.get(name="Account managers"))
    return user


def open_task(assigned_to=None) -> FollowUpTask:
    contact = ContactFactory.create(customer=CustomerFactory.create(account_manager=assigned_to))
    task = create_followup_for_response(response_id=SurveyResponseFactory.create(contact=contact, score=2).pk)
    assert task is not None  # a detractor answer always gets its follow-up
    return task


def test_taking_a_shared_task_assigns_it():
    user, task = manager(), open_task()

    take_followup(task=task, user=user)

    assert FollowUpTask.objects.get(pk=task.pk).assigned_to == user


def test_a_shared_task_taken_by_someone_else_cannot_be_taken_again():
    task = open_task()
    stale_copy = FollowUpTask.objects.get(pk=task.pk)
    take_followup(task=task, user=manager())

    with pytest.raises(FollowUpConflict, match="Someone else took") as raised:
        take_followup(task=stale_copy, user=manager())

    assert isinstance(raised.value, Conflict)


def test_a_user_without_follow_up_rights_cannot_take_a_task():
    task = open_task()

    with pytest.raises(Forbidden, match="Only account managers"):
        take_followup(task=task, user=UserFactory.create())

    assert FollowUpTask.objects.get(pk=task.pk).assigned_to is None


def test_the_old_assignee_cannot_complete_a_task_a_lead_reassigned_meanwhile(account_manager, lead):
    task = open_task(account_manager)
    loaded_before_the_reassignment = FollowUpTask.objects.get(pk=task.pk)
    reassign_followup(task=task, user=lead, to=UserFactory.create())

    with pytest.raises(FollowUpConflict, match="reassigned meanwhile"):
        complete_followup(
            task=loaded_before_the_reassignment, user=account_manager, outcome=Outcome.RECOVERED
        )

    assert FollowUpTask.objects.get(pk=task.pk).status == Status.OPEN


def test_the_new_assignee_is_told_about_a_reassigned_task(
    account_manager, lead, mailoutbox, django_capture_on_commit_callbacks
):
    task = open_task(account_manager)
    FollowUpTask.objects.filter(pk=task.pk).update(notified_at=timezone.now())
    newcomer = UserFactory.create(email="ny@example.no")

    with django_capture_on_commit_callbacks() as callbacks:
        reassign_followup(task=task, user=lead, to=newcomer)

    assert FollowUpTask.objects.get(pk=task.pk).notified_at is None
    assert len(callbacks) == 1
    notify_followup_created(task_id=task.pk)
    assert mailoutbox[-1].to == ["ny@example.no"]


def test_starting_records_the_first_contact_once(account_manager):
    task = open_task(account_manager)

    start_followup(task=task, user=account_manager)

    task.refresh_from_db()
    assert task.status == Status.IN_PROGRESS
    assert task.first_contact_at is not None


def test_an_account_manager_cannot_work_on_another_managers_task(account_manager):
    task = open_task(UserFactory.create())

    with pytest.raises(Forbidden, match="another account manager"):
        start_followup(task=task, user=account_manager)
    with pytest.raises(Forbidden):
        add_followup_note(task=task, user=account_manager, text="Ringte")
    with pytest.raises(Forbidden):
        complete_followup(task=task, user=account_manager, outcome=Outcome.RECOVERED)

    assert FollowUpTask.objects.get(pk=task.pk).status == Status.OPEN


def test_a_shared_task_must_be_taken_before_it_is_worked_on(account_manager):
    with pytest.raises(Forbidden, match="Take the task"):
        start_followup(task=open_task(), user=account_manager)


def test_an_assignee_without_the_account_managers_permissions_cannot_work_the_task():
    outsider = UserFactory.create()
    task = open_task(outsider)

    with pytest.raises(Forbidden, match="Only account managers and follow-up leads"):
        start_followup(task=task, user=outsider)

    assert FollowUpTask.objects.get(pk=task.pk).status == Status.OPEN


def test_notes_keep_author_and_text(account_manager):
    task = open_task(account_manager)

    add_followup_note(task=task, user=account_manager, text="  Lovet ny leveransedato.  ")

    note = FollowUpNote.objects.get(task=task)
    assert (note.author, note.text) == (account_manager, "Lovet ny leveransedato.")


def test_an_empty_note_is_bad_input_and_adds_nothing(account_manager):
    task = open_task(account_manager)

    with pytest.raises(BadInput, match="needs some text"):
        add_followup_note(task=task, user=account_manager, text="   ")

    assert not FollowUpNote.objects.filter(task=task).exists()


def test_an_unknown_outcome_is_bad_input_and_closes_nothing(account_manager):
    task = open_task(account_manager)

    with pytest.raises(BadInput, match="Choose the outcome"):
        complete_followup(task=task, user=account_manager, outcome="happy")

    assert FollowUpTask.objects.get(pk=task.pk).status == Status.OPEN


def test_completing_records_outcome_times_lifts_the_hold_and_asks_for_csat(account_manager):
    task = open_task(account_manager)

    complete_followup(task=task, user=account_manager, outcome=Outcome.RECOVERED, note="Fornøyd igjen")

    task.refresh_from_db()
    assert (task.status, task.outcome) == (Status.DONE, Outcome.RECOVERED)
    assert task.completed_at is not None
    assert task.first_contact_at == task.completed_at
    assert not SurveySuppression.objects.filter(customer=task.customer, lifted_at__isnull=True).exists()
    invitation = SurveyInvitation.objects.get(contact=task.contact)
    assert (invitation.trigger, invitation.survey.kind) == (Trigger.FOLLOWUP_COMPLETED, SurveyKind.CSAT)
    assert FollowUpNote.objects.get(task=task).text == "Fornøyd igjen"


def test_the_recovery_survey_ignores_the_cool_down_but_not_an_opt_out(account_manager):
    task = open_task(account_manager)
    task.contact.opted_out = True
    task.contact.save(update_fields=["opted_out"])

    complete_followup(task=task, user=account_manager, outcome=Outcome.CONTACTED)

    assert not SurveyInvitation.objects.exists()


def test_a_completed_task_cannot_be_completed_again(account_manager):
    task = open_task(account_manager)
    complete_followup(task=task, user=account_manager, outcome=Outcome.RECOVERED)

    with pytest.raises(FollowUpConflict, match="done"):
        complete_followup(task=task, user=account_manager, outcome=Outcome.CHURN_RISK)

    assert FollowUpTask.objects.get(pk=task.pk).outcome == Outcome.RECOVERED


def test_cancelling_needs_a_reason_and_lifts_the_hold(account_manager):
    task = open_task(account_manager)

    with pytest.raises(BadInput, match="why"):
        cancel_followup(task=task, user=account_manager, reason=" ")
    cancel_followup(task=task, user=account_manager, reason="Duplicate of #12")

    task.refresh_from_db()
    assert task.status == Status.CANCELLED
    assert not SurveySuppression.objects.filter(customer=task.customer, lifted_at__isnull=True).exists()


def test_only_leads_reassign(account_manager, lead):
    task = open_task(account_manager)
    other = UserFactory.create()

    with pytest.raises(Forbidden, match="Only follow-up leads"):
        reassign_followup(task=task, user=account_manager, to=other)
    reassign_followup(task=task, user=lead, to=other)

    assert FollowUpTask.objects.get(pk=task.pk).assigned_to == other


def test_overdue_tasks_are_escalated_to_the_leads_once(lead, mailoutbox):
    overdue = open_task(UserFactory.create())
    FollowUpTask.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=2))
    not_yet = open_task(UserFactory.create())

    first = escalate_overdue_followups()
    second = escalate_overdue_followups()

    assert (first, second) == (1, 0)
    assert FollowUpTask.objects.get(pk=overdue.pk).escalated_at is not None
    assert FollowUpTask.objects.get(pk=not_yet.pk).escalated_at is None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["leder@example.no"]
    assert overdue.customer.name in mailoutbox[0].body


def test_completed_tasks_past_their_due_time_are_not_escalated(account_manager, lead):
    task = open_task(account_manager)
    complete_followup(task=task, user=account_manager, outcome=Outcome.RECOVERED)
    FollowUpTask.objects.filter(pk=task.pk).update(due_at=datetime(2026, 1, 1, tzinfo=OSLO))

    assert escalate_overdue_followups() == 0
