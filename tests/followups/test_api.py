import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from followups.models import FollowUpNote, FollowUpTask, Outcome, Status
from surveys.services import refresh_customer_satisfaction
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    FollowUpTaskFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

LIST = reverse("followups_api:followup-list")


def detail_url(task: FollowUpTask) -> str:
    return reverse("followups_api:followup-detail", args=[task.pk])


def take_url(task: FollowUpTask) -> str:
    return reverse("followups_api:followup-take", args=[task.pk])


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    # The per-user rate limit counts in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def member(group: str, username: str):
    user = UserFactory.create(username=username, password=None, first_name=username.capitalize())
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def kari():
    return member("Account managers", "kari")


@pytest.fixture
def ola():
    return member("Account managers", "ola")


@pytest.fixture
def lead():
    return member("Follow-up leads", "leder")


@pytest.fixture
def seller():
    return member("Sales", "selger")


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


def get(user, url: str, **params):
    # secure: production settings (the tests' defaults) redirect plain HTTP to HTTPS.
    return client_for(user).get(url, params, secure=True)


def patch(user, task: FollowUpTask, body: dict):
    return client_for(user).patch(detail_url(task), body, format="json", secure=True)


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def fresh(task: FollowUpTask) -> FollowUpTask:
    return FollowUpTask.objects.get(pk=task.pk)


# --- who may do what


def test_anonymous_requests_are_answered_401():
    task = FollowUpTaskFactory.create()

    answers = [
        client_for().get(LIST, secure=True),
        client_for().get(detail_url(task), secure=True),
        client_for().patch(detail_url(task), {"status": "in_progress"}, format="json", secure=True),
        client_for().post(take_url(task), secure=True),
    ]

    assert [answer.status_code for answer in answers] == [401, 401, 401, 401]


def test_sales_may_neither_list_nor_change_followups(seller):
    task = FollowUpTaskFactory.create()

    answers = [
        get(seller, LIST),
        get(seller, detail_url(task)),
        patch(seller, task, {"status": "in_progress"}),
        client_for(seller).post(take_url(task), secure=True),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    assert fresh(task).status == Status.OPEN


def test_an_account_manager_lists_their_own_and_the_shared_followups(kari, ola):
    own, shared = FollowUpTaskFactory.create(assigned_to=kari), FollowUpTaskFactory.create(assigned_to=None)
    FollowUpTaskFactory.create(assigned_to=ola)

    response = get(kari, LIST)

    assert response.status_code == 200
    assert sorted(ids(response)) == sorted([own.pk, shared.pk])


@pytest.mark.parametrize("who", ["lead", "superuser"])
def test_leads_and_superusers_list_every_followup(who, request, kari, ola):
    tasks = [
        FollowUpTaskFactory.create(assigned_to=kari),
        FollowUpTaskFactory.create(assigned_to=ola),
        FollowUpTaskFactory.create(),
    ]

    response = get(request.getfixturevalue(who), LIST)

    assert sorted(ids(response)) == sorted(task.pk for task in tasks)


def test_an_account_manager_may_not_read_another_managers_followup(kari, ola):
    task = FollowUpTaskFactory.create(assigned_to=ola)

    response = get(kari, detail_url(task))

    assert response.status_code == 403
    assert response.json() == {"detail": "This follow-up belongs to another account manager."}


def test_an_account_manager_reads_but_may_not_work_a_followup_of_their_customer_given_to_a_colleague(
    kari, ola
):
    task = FollowUpTaskFactory.create(
        assigned_to=ola, response__contact__customer=CustomerFactory.create(account_manager=kari)
    )

    listed = get(kari, LIST)
    read = get(kari, detail_url(task))
    refused = patch(kari, task, {"status": "in_progress"})

    assert task.pk in ids(listed)
    assert read.status_code == 200
    assert refused.status_code == 403
    assert "another account manager" in refused.json()["detail"]
    assert fresh(task).status == Status.OPEN


def test_an_account_manager_may_not_change_another_managers_followup(kari, ola):
    task = FollowUpTaskFactory.create(assigned_to=ola)

    response = patch(kari, task, {"status": "done", "outcome": "recovered"})

    assert response.status_code == 403
    assert "another account manager" in response.json()["detail"]
    assert fresh(task).status == Status.OPEN


def test_a_shared_followup_is_taken_before_it_is_worked(kari):
    task = FollowUpTaskFactory.create(assigned_to=None)

    refused = patch(kari, task, {"status": "in_progress"})
    taken = client_for(kari).post(take_url(task), secure=True)

    assert refused.status_code == 403
    assert "Take the task" in refused.json()["detail"]
    assert taken.status_code == 200
    assert taken.json()["assigned_to"] == {"id": kari.pk, "name": "Kari"}
    assert fresh(task).assigned_to == kari


def test_taking_a_followup_someone_else_took_is_a_conflict(kari, ola):
    task = FollowUpTaskFactory.create(assigned_to=ola)

    response = client_for(kari).post(take_url(task), secure=True)

    assert response.status_code == 409
    assert fresh(task).assigned_to == ola


def test_a_lead_reassigns_a_followup_and_returns_it_to_the_shared_queue(lead, kari, ola):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    moved = patch(lead, task, {"assigned_to": ola.pk})
    assigned = fresh(task).assigned_to
    returned = patch(lead, task, {"assigned_to": None})

    assert (moved.status_code, assigned) == (200, ola)
    assert returned.status_code == 200
    assert fresh(task).assigned_to is None


def test_an_account_manager_may_not_reassign(kari, ola):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(kari, task, {"assigned_to": ola.pk})

    assert response.status_code == 403
    assert fresh(task).assigned_to == kari


def test_reassigning_to_someone_who_is_not_an_account_manager_is_refused(lead, seller):
    task = FollowUpTaskFactory.create()

    response = patch(lead, task, {"assigned_to": seller.pk})

    assert response.status_code == 400
    assert "assigned_to" in response.json()


def test_a_superuser_may_work_any_followup(superuser, kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(superuser, task, {"status": "in_progress"})

    assert response.status_code == 200
    assert fresh(task).status == Status.IN_PROGRESS


@pytest.mark.parametrize("followup_id", ["999999", "abc", "1.5", "99999999999999999999999"])
def test_an_unknown_followup_is_answered_with_a_json_404(kari, followup_id):
    response = get(kari, f"/api/followups/{followup_id}/")

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_a_followup_cannot_be_replaced_whole_with_put(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = client_for(kari).put(detail_url(task), {"status": "done"}, format="json", secure=True)

    assert response.status_code == 405


# --- status transitions


def test_starting_a_followup_records_the_first_contact_and_a_note(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(kari, task, {"status": "in_progress", "note": "Ringte, avtalte møte"})

    assert response.status_code == 200
    stored = fresh(task)
    assert stored.status == Status.IN_PROGRESS
    assert stored.first_contact_at is not None
    assert [note["text"] for note in response.json()["notes"]] == ["Ringte, avtalte møte"]


def test_completing_records_the_outcome_and_the_completion_time(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(kari, task, {"status": "done", "outcome": "recovered", "note": "Fornøyd igjen"})

    assert response.status_code == 200
    stored = fresh(task)
    assert (stored.status, stored.outcome) == (Status.DONE, Outcome.RECOVERED)
    assert stored.completed_at is not None
    assert stored.first_contact_at == stored.completed_at
    assert response.json()["status"] == "done"


def test_completing_without_an_outcome_is_answered_400(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(kari, task, {"status": "done"})

    assert response.status_code == 400
    assert response.json() == {"outcome": ["An outcome is required when the status is done."]}
    assert fresh(task).status == Status.OPEN


def test_completing_a_completed_followup_is_a_conflict(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)
    assert patch(kari, task, {"status": "done", "outcome": "contacted"}).status_code == 200

    response = patch(kari, task, {"status": "done", "outcome": "recovered"})

    assert response.status_code == 409
    assert response.json() == {"detail": "The follow-up is done now."}
    assert fresh(task).outcome == Outcome.CONTACTED


def test_cancelling_needs_a_note_saying_why(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    refused = patch(kari, task, {"status": "cancelled", "note": "   "})
    cancelled = patch(kari, task, {"status": "cancelled", "note": "Duplikat"})

    assert refused.status_code == 400
    assert refused.json() == {"note": ["Say why the follow-up is cancelled."]}
    assert cancelled.status_code == 200
    assert fresh(task).status == Status.CANCELLED
    assert list(FollowUpNote.objects.values_list("text", flat=True)) == ["Cancelled: Duplikat"]


def test_a_note_alone_is_added_to_the_log_without_moving_the_status(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(kari, task, {"note": "Lagt igjen beskjed"})

    assert response.status_code == 200
    assert fresh(task).status == Status.OPEN
    assert response.json()["notes"][0]["text"] == "Lagt igjen beskjed"
    assert response.json()["notes"][0]["author"] == {"id": kari.pk, "name": "Kari"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "non_field_errors"),
        ({"status": "open"}, "status"),
        ({"status": "done", "outcome": "happy"}, "outcome"),
        ({"outcome": "recovered"}, "outcome"),
        ({"assigned_to": None, "status": "in_progress"}, "non_field_errors"),
    ],
)
def test_invalid_changes_are_answered_400_naming_the_field(kari, body, field):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(kari, task, body)

    assert response.status_code == 400
    assert field in response.json()
    assert fresh(task).status == Status.OPEN


def test_an_unknown_status_names_the_statuses_one_may_set(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    response = patch(kari, task, {"status": "open"})

    assert response.json() == {
        "status": ['"open" is not a status you can set; use in_progress, done or cancelled.']
    }


# --- shape


def test_a_followup_shows_its_answer_contact_customer_and_notes(kari):
    customer = CustomerFactory.create(name="Fjord Bygg AS", account_manager=kari, revenue_12m="750000.00")
    contact = ContactFactory.create(customer=customer, name="Per Hansen", email="per@fjord.no")
    answer = SurveyResponseFactory.create(contact=contact, score=3, comment="Treg levering")
    refresh_customer_satisfaction(customer_ids=[customer.pk])
    task = FollowUpTaskFactory.create(response=answer, assigned_to=kari)
    FollowUpNote.objects.create(task=task, author=kari, text="Første forsøk")

    body = get(kari, detail_url(task)).json()

    assert body["response"] | {"submitted_at": None} == {
        "id": answer.pk,
        "kind": "nps",
        "score": 3,
        "category": "detractor",
        "comment": "Treg levering",
        "submitted_at": None,
        "source": "api",
    }
    assert body["contact"] == {
        "id": contact.pk,
        "name": "Per Hansen",
        "email": "per@fjord.no",
        "phone": "+47 400 00 000",
        "role": "",
    }
    assert body["customer"] | {"latest_nps_at": None} == {
        "id": customer.pk,
        "external_id": customer.external_id,
        "name": "Fjord Bygg AS",
        "tier": "C",
        "industry": "Bygg og anlegg",
        "revenue_12m": "750000.00",
        "contribution_margin_12m": "0.00",
        "time_cost_flag": False,
        "account_manager": {"id": kari.pk, "name": "Kari"},
        "latest_nps": 3,
        "latest_nps_at": None,
        "account_nps": "-100.0",
    }
    assert [note["text"] for note in body["notes"]] == ["Første forsøk"]
    assert body["is_overdue"] is False


def test_a_customer_without_a_satisfaction_row_shows_no_nps(kari):
    task = FollowUpTaskFactory.create(assigned_to=kari)

    customer = get(kari, detail_url(task)).json()["customer"]

    assert (customer["latest_nps"], customer["account_nps"]) == (None, None)


# --- filters, order and paging


def test_the_list_filters_by_status_queue_overdue_and_tier(kari):
    now = timezone.now()
    mine_late = FollowUpTaskFactory.create(assigned_to=kari, due_at=now - timedelta(hours=1))
    shared_open = FollowUpTaskFactory.create(assigned_to=None, tier="A")
    mine_done = FollowUpTaskFactory.create(
        assigned_to=kari, status=Status.DONE, completed_at=now, due_at=now - timedelta(days=3)
    )

    def listed(**params) -> set[int]:
        return set(ids(get(kari, LIST, **params)))

    assert listed(status="open") == {mine_late.pk, shared_open.pk}
    assert listed(status=["open", "done"]) == {mine_late.pk, shared_open.pk, mine_done.pk}
    assert listed(queue="mine") == {mine_late.pk, mine_done.pk}
    assert listed(queue="shared") == {shared_open.pk}
    assert listed(queue="all") == {mine_late.pk, shared_open.pk, mine_done.pk}
    assert listed(overdue="true") == {mine_late.pk}
    assert listed(overdue="false") == {shared_open.pk, mine_done.pk}
    assert listed(tier="A") == {shared_open.pk}


@pytest.mark.parametrize(
    "params",
    [{"status": "finished"}, {"queue": "theirs"}, {"overdue": "ture"}, {"tier": "D"}, {"page_size": "0"}],
)
def test_bad_list_parameters_are_answered_400(kari, params):
    response = get(kari, LIST, **params)

    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_pages_follow_due_time_then_id_across_equal_due_times(lead):
    due = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
    # Five share a due time, as follow-ups created on one day for one tier do.
    tasks = [FollowUpTaskFactory.create(due_at=due) for _ in range(5)]
    earlier = FollowUpTaskFactory.create(due_at=due - timedelta(days=1))
    expected = [earlier.pk, *sorted(task.pk for task in tasks)]

    first = get(lead, LIST, page_size=2).json()
    second = client_for(lead).get(first["next"], secure=True).json()
    third = client_for(lead).get(second["next"], secure=True).json()
    back = client_for(lead).get(third["previous"], secure=True).json()

    pages = [[row["id"] for row in page["results"]] for page in (first, second, third)]
    assert pages == [expected[0:2], expected[2:4], expected[4:6]]
    assert (first["previous"], third["next"]) == (None, None)
    assert [row["id"] for row in back["results"]] == expected[2:4]


def test_a_page_size_over_the_cap_is_cut_to_the_cap(lead):
    FollowUpTaskFactory.create_batch(3)

    response = get(lead, LIST, page_size=100_000)

    assert response.status_code == 200
    assert len(response.json()["results"]) == 3


def test_a_cursor_past_the_last_followup_answers_an_empty_page_with_a_working_previous_link(lead):
    # The empty page's previous link re-encodes the cursor it was given (a due time in it).
    FollowUpTaskFactory.create()
    second = FollowUpTaskFactory.create()
    page = get(lead, LIST, page_size=1).json()
    second.delete()

    past = client_for(lead).get(page["next"], secure=True)
    back = client_for(lead).get(past.json()["previous"], secure=True)

    assert (past.status_code, past.json()["results"], past.json()["next"]) == (200, [], None)
    assert back.status_code == 200


def _cursor(values: list[object]) -> str:
    raw = json.dumps(["followups:due_at,id", 0, values, False]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "values",
    [
        ["0001-01-01T00:30:00+01:00", 1],  # before year 1 in UTC
        ["2026-05-04T14:00:00", 1],  # no time zone
        ["tomorrow", 1],
        ["2026-05-04T14:00:00+00:00", "x"],
    ],
)
def test_a_hand_made_cursor_is_answered_400(lead, values):
    response = get(lead, LIST, cursor=_cursor(values))

    assert response.status_code == 400
    assert set(response.json()) == {"cursor"}


def test_a_tampered_cursor_is_answered_400(lead):
    response = get(lead, LIST, cursor="bm90LWEtY3Vyc29y")

    assert response.status_code == 400
    assert "cursor" in response.json()


def test_the_list_makes_as_many_queries_for_50_followups_as_for_5(kari):
    def queries_for(count: int) -> int:
        FollowUpTask.objects.all().delete()
        for _ in range(count):
            FollowUpTaskFactory.create(assigned_to=kari)
        client = client_for(kari)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(LIST, secure=True)
        assert len(response.json()["results"]) == count
        return len(captured)

    assert queries_for(5) == queries_for(50)


def test_a_followup_page_makes_as_many_queries_with_many_notes_as_with_one(kari):
    def queries_for(notes: int) -> int:
        task = FollowUpTaskFactory.create(assigned_to=kari)
        FollowUpNote.objects.bulk_create(
            FollowUpNote(task=task, author=kari, text=f"{n}") for n in range(notes)
        )
        client = client_for(kari)
        with CaptureQueriesContext(connection) as captured:
            client.get(detail_url(task), secure=True)
        return len(captured)

    assert queries_for(1) == queries_for(30)


# --- the OpenAPI schema


def test_the_schema_describes_every_answer_of_the_followup_and_metrics_endpoints():
    schema = SchemaGenerator().get_schema(request=None, public=True)

    codes = {
        (path, method): sorted(operation["responses"])
        for path, operations in schema["paths"].items()
        if path.startswith(("/api/followups/", "/api/metrics/"))
        for method, operation in operations.items()
    }

    assert codes == {
        ("/api/followups/", "get"): ["200", "400", "401", "403", "429"],
        ("/api/followups/{id}/", "get"): ["200", "401", "403", "404", "429"],
        ("/api/followups/{id}/", "patch"): ["200", "400", "401", "403", "404", "409", "429"],
        ("/api/followups/{id}/take/", "post"): ["200", "401", "403", "404", "409", "429"],
        ("/api/metrics/nps/", "get"): ["200", "400", "401", "403", "429"],
        ("/api/metrics/dashboard/", "get"): ["200", "400", "401", "403", "429"],
    }
    list_parameters = {
        parameter["name"] for parameter in schema["paths"]["/api/followups/"]["get"]["parameters"]
    }
    assert list_parameters == {"status", "queue", "overdue", "tier", "cursor", "page_size"}
