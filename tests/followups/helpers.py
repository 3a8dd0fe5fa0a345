"""Builders the follow-up permission tests share: people in the roles' groups, tasks of a scope."""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from followups.models import FollowUpNote, FollowUpTask
from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP, SALES_GROUP
from tests.factories import CustomerFactory, FollowUpTaskFactory, UserFactory

GROUP_OF_ROLE = {
    "lead": LEADS_GROUP,
    "owner": ACCOUNT_MANAGERS_GROUP,
    "other_manager": ACCOUNT_MANAGERS_GROUP,
    "sales": SALES_GROUP,
}


def join(user: User, group: str) -> User:
    """Put `user` in `group` and let them into the admin, as the operators' accounts are."""
    user.groups.add(Group.objects.get(name=group))
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return user


def staff_in(group: str, username: str, **fields: object) -> User:
    """A staff user in `group`; first name from the username unless `fields` say otherwise."""
    return join(
        UserFactory.create(**{"username": username, "first_name": username.capitalize(), **fields}), group
    )


def followup_of(*, manager: User | None, assigned_to: User | None) -> FollowUpTask:
    """An open follow-up of a customer `manager` manages (None: nobody), assigned to `assigned_to`."""
    customer = CustomerFactory.create(account_manager=manager)
    return FollowUpTaskFactory.create(
        response__contact__customer=customer,
        response__comment="Leveransen kom en uke for sent.",
        assigned_to=assigned_to,
    )


def row_state(task: FollowUpTask) -> tuple[object, ...]:
    """Everything an act on a task may change: the row's moving columns and its number of notes."""
    row = FollowUpTask.objects.values_list(
        "status", "assigned_to_id", "first_contact_at", "completed_at", "outcome", "notified_at"
    ).get(pk=task.pk)
    return (*row, FollowUpNote.objects.filter(task_id=task.pk).count())
