"""Every role over every act on a follow-up, in the admin and in the API, against followups.policy.

The rules, from the point of view of Kari, an account manager ("owner"):

    scope      the follow-up is                                       Kari      Ola (other manager)
    own        Kari's, of a customer Kari manages                     works     -
    other      Ola's, of a customer Ola manages                       -         works
    shared     in the shared queue, of a customer nobody manages      takes     takes
    customer   Ola's (a lead handed it on), of a customer Kari manages sees      works

Leads and superusers see and work every follow-up and alone reassign; Sales see none; anonymous
people are sent to log in (admin) or answered 401 (API). Whenever an act is refused or loses a race,
the task row and its notes are exactly as they were.

The expectations below are written out from these rules, not computed by the policy under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from followups.models import FollowUpNote, FollowUpTask, Outcome, Status
from followups.policy import followup_policy
from followups.roles import ACCOUNT_MANAGERS_GROUP, LEADS_GROUP, SALES_GROUP
from tests.factories import FollowUpTaskFactory
from tests.types import AnyClientResponse

from .helpers import followup_of, join, row_state, staff_in

pytestmark = pytest.mark.django_db

ROLES = ["superuser", "lead", "owner", "other_manager", "sales", "anonymous"]
SCOPES = ["own", "other", "shared", "customer"]
ADMIN_ACTIONS = [
    "admin_changelist",
    "admin_change_page",
    "admin_take",
    "admin_start",
    "admin_note",
    "admin_complete",
    "admin_cancel",
    "admin_reassign",
]
API_ACTIONS = ["api_list", "api_detail", "api_patch", "api_take"]

EVERYTHING = frozenset(SCOPES)
SEES = {
    "superuser": EVERYTHING,
    "lead": EVERYTHING,
    "owner": frozenset({"own", "shared", "customer"}),
    "other_manager": frozenset({"other", "shared", "customer"}),
    "sales": frozenset(),
    "anonymous": frozenset(),
}
WORKS = {
    "superuser": EVERYTHING,
    "lead": EVERYTHING,
    "owner": frozenset({"own"}),
    "other_manager": frozenset({"other", "customer"}),
    "sales": frozenset(),
    "anonymous": frozenset(),
}
LEADS = {"superuser", "lead"}


def expected(role: str, scope: str, action: str) -> str:
    """What the act answers: login, 401, 403, listed, unlisted, shown, done, refused or conflict."""
    if action.startswith("admin_"):
        if role == "anonymous":
            return "login"
        if role == "sales":
            return "403"
    else:
        if role == "anonymous":
            return "401"
        if role == "sales":
            return "403"
    sees, works = scope in SEES[role], scope in WORKS[role]
    if action in ("admin_changelist", "api_list"):
        return "listed" if sees else "unlisted"
    if action in ("admin_change_page", "api_detail"):
        return "shown" if sees else "403"
    if action in ("admin_take", "api_take"):
        # Anyone who works on follow-ups may try; only a shared one is still there to take.
        return "done" if scope == "shared" else "conflict"
    if action == "admin_reassign":
        return "done" if role in LEADS else "403"
    if action == "api_patch":
        return "done" if works else "403"
    # start, note, complete, cancel: refused with the reason as a message on the page
    return "done" if works else "refused"


@dataclass
class People:
    superuser: User
    lead: User
    owner: User
    other_manager: User
    sales: User
    third_manager: User

    def actor(self, role: str) -> User | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def people(superuser: User, account_manager: User) -> People:
    return People(
        superuser=superuser,
        lead=staff_in(LEADS_GROUP, "lise"),
        owner=join(account_manager, ACCOUNT_MANAGERS_GROUP),
        other_manager=staff_in(ACCOUNT_MANAGERS_GROUP, "ola"),
        sales=staff_in(SALES_GROUP, "selma"),
        third_manager=staff_in(ACCOUNT_MANAGERS_GROUP, "trond"),
    )


def followup_in(scope: str, people: People) -> FollowUpTask:
    owner, other = people.owner, people.other_manager
    return {
        "own": lambda: followup_of(manager=owner, assigned_to=owner),
        "other": lambda: followup_of(manager=other, assigned_to=other),
        "shared": lambda: followup_of(manager=None, assigned_to=None),
        "customer": lambda: followup_of(manager=owner, assigned_to=other),
    }[scope]()


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> None:
    # The API's per-user rate limit counts in the cache, which outlives a test.
    cache.clear()


# --- the acts


def admin_client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def button(name: str, **data: object) -> Callable[[User | None, FollowUpTask, People], AnyClientResponse]:
    def press(user: User | None, task: FollowUpTask, people: People) -> AnyClientResponse:
        url = reverse(f"admin:followups_followuptask_{name}", args=[task.pk])
        body = {key: (people.third_manager.pk if value is THIRD else value) for key, value in data.items()}
        return admin_client(user).post(url, body, secure=True)

    return press


THIRD = object()  # stands for the third account manager's id in a reassignment


def admin_changelist(user: User | None, task: FollowUpTask, people: People) -> AnyClientResponse:
    url = reverse("admin:followups_followuptask_changelist")
    return admin_client(user).get(f"{url}?queue=all", secure=True)


def admin_change_page(user: User | None, task: FollowUpTask, people: People) -> AnyClientResponse:
    return admin_client(user).get(reverse("admin:followups_followuptask_change", args=[task.pk]), secure=True)


def api_list(user: User | None, task: FollowUpTask, people: People) -> AnyClientResponse:
    return api_client(user).get(reverse("followups_api:followup-list"), secure=True)


def api_detail(user: User | None, task: FollowUpTask, people: People) -> AnyClientResponse:
    return api_client(user).get(reverse("followups_api:followup-detail", args=[task.pk]), secure=True)


def api_patch(user: User | None, task: FollowUpTask, people: People) -> AnyClientResponse:
    url = reverse("followups_api:followup-detail", args=[task.pk])
    return api_client(user).patch(url, {"status": "in_progress"}, format="json", secure=True)


def api_take(user: User | None, task: FollowUpTask, people: People) -> AnyClientResponse:
    return api_client(user).post(reverse("followups_api:followup-take", args=[task.pk]), secure=True)


ACTS: dict[str, Callable[[User | None, FollowUpTask, People], AnyClientResponse]] = {
    "admin_changelist": admin_changelist,
    "admin_change_page": admin_change_page,
    "admin_take": button("take"),
    "admin_start": button("start"),
    "admin_note": button("note", text="Ringte, lovet svar i morgen."),
    "admin_complete": button("complete", outcome=Outcome.RECOVERED),
    "admin_cancel": button("cancel", reason="Duplikat"),
    "admin_reassign": button("reassign", to=THIRD),
    "api_list": api_list,
    "api_detail": api_detail,
    "api_patch": api_patch,
    "api_take": api_take,
}


def _done(action: str, task: FollowUpTask, actor: User, people: People) -> bool:
    """Whether the act did what it is for."""
    row = FollowUpTask.objects.get(pk=task.pk)
    notes = FollowUpNote.objects.filter(task_id=task.pk)
    return {
        "admin_take": lambda: row.assigned_to_id == actor.pk,
        "api_take": lambda: row.assigned_to_id == actor.pk,
        "admin_start": lambda: row.status == Status.IN_PROGRESS and row.first_contact_at is not None,
        "api_patch": lambda: row.status == Status.IN_PROGRESS and row.first_contact_at is not None,
        "admin_note": lambda: notes.filter(author=actor, text="Ringte, lovet svar i morgen.").exists(),
        "admin_complete": lambda: (row.status, row.outcome) == (Status.DONE, Outcome.RECOVERED),
        "admin_cancel": lambda: row.status == Status.CANCELLED and notes.exists(),
        "admin_reassign": lambda: row.assigned_to_id == people.third_manager.pk,
    }[action]()


def _levels(response: AnyClientResponse) -> set[int]:
    return {message.level for message in get_messages(response.wsgi_request)}


def _listed(action: str, response: AnyClientResponse) -> set[int]:
    if action == "admin_changelist":
        return {task.pk for task in response.context["cl"].result_list}
    return {row["id"] for row in response.json()["results"]}


CASES = [
    pytest.param(role, scope, action, id=f"{role}-{scope}-{action}")
    for action in ADMIN_ACTIONS + API_ACTIONS
    for role in ROLES
    for scope in SCOPES
]


@pytest.mark.parametrize(("role", "scope", "action"), CASES)
def test_permission_matrix(people: People, role: str, scope: str, action: str) -> None:
    task = followup_in(scope, people)
    FollowUpNote.objects.create(task=task, author=task.assigned_to, text="Privat notat.")
    actor = people.actor(role)
    before = row_state(task)
    outcome = expected(role, scope, action)

    response = ACTS[action](actor, task, people)

    unchanged = row_state(task) == before
    is_admin = action.startswith("admin_")
    if outcome == "login":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
        assert unchanged
    elif outcome in ("401", "403"):
        assert response.status_code == int(outcome)
        assert "Privat notat." not in response.content.decode()
        assert unchanged
    elif outcome in ("listed", "unlisted"):
        assert response.status_code == 200
        assert (task.pk in _listed(action, response)) == (outcome == "listed")
        assert unchanged
    elif outcome == "shown":
        assert response.status_code == 200
        assert "Privat notat." in response.content.decode()
        assert unchanged
    elif outcome == "done":
        assert actor is not None
        assert response.status_code == (302 if is_admin else 200)
        assert _done(action, task, actor, people)
        if is_admin:
            assert messages.SUCCESS in _levels(response)
    elif outcome == "refused":
        assert response.status_code == 302
        assert messages.ERROR in _levels(response)
        assert unchanged
    elif outcome == "conflict":
        assert response.status_code == (302 if is_admin else 409)
        if is_admin:
            assert messages.WARNING in _levels(response)
        assert unchanged
    else:
        pytest.fail(f"no check for outcome {outcome!r}")


def test_the_matrix_covers_every_role_scope_and_act() -> None:
    assert len(CASES) == len(ROLES) * len(SCOPES) * len(ACTS) == 288


# --- the policy's set form and row form agree


@pytest.fixture
def everyone(people: People) -> dict[str, User | AnonymousUser]:
    inactive = join(staff_in(ACCOUNT_MANAGERS_GROUP, "gone"), ACCOUNT_MANAGERS_GROUP)
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])
    return {
        "superuser": people.superuser,
        "lead": people.lead,
        "owner": people.owner,
        "other_manager": people.other_manager,
        "sales": people.sales,
        "third_manager": people.third_manager,
        "inactive_manager": inactive,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def every_kind_of_followup(people: People) -> list[FollowUpTask]:
    tasks = [followup_in(scope, people) for scope in SCOPES]
    closed = FollowUpTaskFactory.create(
        assigned_to=people.owner, status=Status.DONE, outcome=Outcome.CONTACTED, completed_at=timezone.now()
    )
    return [*tasks, closed, followup_of(manager=people.third_manager, assigned_to=None)]


@pytest.mark.parametrize(
    "who",
    [
        "superuser",
        "lead",
        "owner",
        "other_manager",
        "sales",
        "third_manager",
        "inactive_manager",
        "anonymous",
    ],
)
def test_visible_and_can_view_agree_on_every_followup(everyone, every_kind_of_followup, who) -> None:
    user = everyone[who]

    in_the_set = set(followup_policy.visible(user, FollowUpTask.objects.all()).values_list("pk", flat=True))
    row_by_row = {task.pk for task in FollowUpTask.objects.all() if followup_policy.can_view(user, task)}

    assert in_the_set == row_by_row


@pytest.mark.parametrize(
    "who",
    [
        "superuser",
        "lead",
        "owner",
        "other_manager",
        "sales",
        "third_manager",
        "inactive_manager",
        "anonymous",
    ],
)
def test_changeable_and_can_change_agree_on_every_followup(everyone, every_kind_of_followup, who) -> None:
    user = everyone[who]

    in_the_set = set(
        followup_policy.changeable(user, FollowUpTask.objects.all()).values_list("pk", flat=True)
    )
    row_by_row = {task.pk for task in FollowUpTask.objects.all() if followup_policy.can_change(user, task)}

    assert in_the_set == row_by_row


def test_sales_and_anonymous_see_nothing_while_a_lead_sees_everything(
    everyone, every_kind_of_followup
) -> None:
    every = FollowUpTask.objects.all()

    assert not followup_policy.visible(everyone["sales"], every).exists()
    assert not followup_policy.visible(everyone["anonymous"], every).exists()
    assert followup_policy.visible(everyone["lead"], every).count() == len(every_kind_of_followup)
