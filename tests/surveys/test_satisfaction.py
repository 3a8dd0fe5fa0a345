from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from surveys.models import CustomerSatisfaction, Source, SurveyKind, SurveyResponse
from surveys.selectors import SatisfactionFigures, account_nps
from surveys.services import record_response, refresh_customer_satisfaction
from surveys.services.satisfaction import _upsert
from surveys.tasks import refresh_customer_satisfaction as refresh_task
from tests.factories import ContactFactory, CustomerFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(days: int) -> datetime:
    return T0 + timedelta(days=days)


def satisfaction(customer) -> CustomerSatisfaction:
    return CustomerSatisfaction.objects.get(customer=customer)


def test_the_latest_answer_from_any_contact_is_the_customers_latest_nps():
    customer = CustomerFactory.create()
    first, second = ContactFactory.create(customer=customer), ContactFactory.create(customer=customer)
    SurveyResponseFactory.create(contact=first, score=3, submitted_at=at(0))
    SurveyResponseFactory.create(contact=second, score=8, submitted_at=at(5))
    SurveyResponseFactory.create(contact=first, score=10, submitted_at=at(2))

    refresh_customer_satisfaction(customer_ids=[customer.pk])

    row = satisfaction(customer)
    assert (row.latest_nps, row.latest_nps_at) == (8, at(5))


def test_of_two_answers_stamped_alike_the_later_stored_is_the_latest():
    contact = ContactFactory.create()
    SurveyResponseFactory.create(contact=contact, score=2, submitted_at=at(1))
    SurveyResponseFactory.create(contact=contact, score=9, submitted_at=at(1))

    refresh_customer_satisfaction(customer_ids=[contact.customer_id])

    assert satisfaction(contact.customer).latest_nps == 9


def test_account_nps_counts_only_each_contacts_latest_answer():
    customer = CustomerFactory.create()
    chatty, quiet, unhappy = (ContactFactory.create(customer=customer) for _ in range(3))
    for day, score in enumerate([0, 1, 2, 3, 10]):  # five answers, the latest a promoter
        SurveyResponseFactory.create(contact=chatty, score=score, submitted_at=at(day))
    SurveyResponseFactory.create(contact=quiet, score=9, submitted_at=at(1))
    SurveyResponseFactory.create(contact=unhappy, score=9, submitted_at=at(1))
    SurveyResponseFactory.create(contact=unhappy, score=4, submitted_at=at(3))

    refresh_customer_satisfaction(customer_ids=[customer.pk])

    row = satisfaction(customer)
    # Latest scores 10, 9 and 4: two promoters and one detractor of three contacts.
    assert (row.account_nps, row.nps_contacts) == (Decimal("33.3"), 3)
    assert float(row.account_nps) == account_nps([customer.pk])[customer.pk].score


def test_answers_without_a_contact_set_the_latest_nps_but_no_account_nps():
    customer = CustomerFactory.create()
    SurveyResponseFactory.create(customer=customer, contact=None, score=6, submitted_at=at(0))

    refresh_customer_satisfaction(customer_ids=[customer.pk])

    row = satisfaction(customer)
    assert (row.latest_nps, row.account_nps, row.nps_contacts) == (6, None, 0)


def test_csat_answers_and_customers_without_nps_answers_get_no_row():
    answered_csat = CustomerFactory.create()
    SurveyResponseFactory.create(customer=answered_csat, contact=None, kind=SurveyKind.CSAT, score=5)
    silent = CustomerFactory.create()

    refresh_customer_satisfaction()

    assert not CustomerSatisfaction.objects.filter(customer__in=[answered_csat, silent]).exists()


def test_an_imported_older_answer_does_not_replace_a_newer_latest():
    customer = CustomerFactory.create()
    recent, former = ContactFactory.create(customer=customer), ContactFactory.create(customer=customer)
    record_response(kind=SurveyKind.NPS, customer=customer, contact=recent, score=9, source=Source.API)
    newest = SurveyResponse.objects.get().submitted_at

    record_response(
        kind=SurveyKind.NPS,
        customer=customer,
        contact=former,
        score=2,
        source=Source.IMPORT,
        submitted_at=newest - timedelta(days=400),
    )

    row = satisfaction(customer)
    assert (row.latest_nps, row.latest_nps_at) == (9, newest)
    # The old answer is still the former contact's latest, so it counts in the account NPS.
    assert (row.account_nps, row.nps_contacts) == (Decimal("0.0"), 2)


def test_an_imported_older_answer_of_the_same_contact_does_not_replace_their_latest():
    contact = ContactFactory.create()
    record_response(
        kind=SurveyKind.NPS, customer=contact.customer, contact=contact, score=10, source=Source.API
    )

    record_response(
        kind=SurveyKind.NPS,
        customer=contact.customer,
        contact=contact,
        score=0,
        source=Source.IMPORT,
        submitted_at=at(-100),
    )

    row = satisfaction(contact.customer)
    assert (row.latest_nps, row.account_nps, row.nps_contacts) == (10, Decimal("100.0"), 1)


def test_record_response_keeps_the_row_current_without_a_rebuild():
    contact = ContactFactory.create()

    record_response(
        kind=SurveyKind.NPS, customer=contact.customer, contact=contact, score=4, source=Source.API
    )
    first = satisfaction(contact.customer)
    record_response(
        kind=SurveyKind.NPS, customer=contact.customer, contact=contact, score=9, source=Source.API
    )

    assert (first.latest_nps, first.account_nps) == (4, Decimal("-100.0"))
    row = satisfaction(contact.customer)
    assert (row.latest_nps, row.account_nps, row.nps_contacts) == (9, Decimal("100.0"), 1)


def test_a_csat_answer_leaves_the_satisfaction_row_alone():
    contact = ContactFactory.create()
    record_response(
        kind=SurveyKind.NPS, customer=contact.customer, contact=contact, score=7, source=Source.API
    )
    before = satisfaction(contact.customer).updated_at

    record_response(
        kind=SurveyKind.CSAT, customer=contact.customer, contact=contact, score=1, source=Source.API
    )

    assert satisfaction(contact.customer).updated_at == before


def test_keeping_the_row_current_costs_the_same_queries_with_a_long_history():
    def queries_for_one_more_answer(history: int) -> int:
        contact = ContactFactory.create()
        for day in range(history):
            SurveyResponseFactory.create(contact=contact, score=day % 11, submitted_at=at(day))
        with CaptureQueriesContext(connection) as captured:
            record_response(
                kind=SurveyKind.NPS, customer=contact.customer, contact=contact, score=8, source=Source.API
            )
        return len(captured)

    short, long = queries_for_one_more_answer(2), queries_for_one_more_answer(40)

    assert short == long


def test_a_rerun_over_unchanged_answers_writes_nothing():
    contact = ContactFactory.create()
    SurveyResponseFactory.create(contact=contact, score=9, submitted_at=at(0))
    assert refresh_customer_satisfaction() == 1
    written_at = satisfaction(contact.customer).updated_at

    changed = refresh_customer_satisfaction()
    changed_for_the_customer = refresh_customer_satisfaction(customer_ids=[contact.customer_id])

    assert (changed, changed_for_the_customer) == (0, 0)
    assert satisfaction(contact.customer).updated_at == written_at


def test_the_rebuild_writes_only_the_customers_whose_figures_changed():
    unchanged, changed = ContactFactory.create(), ContactFactory.create()
    SurveyResponseFactory.create(contact=unchanged, score=9, submitted_at=at(0))
    SurveyResponseFactory.create(contact=changed, score=9, submitted_at=at(0))
    refresh_customer_satisfaction()
    untouched_at = satisfaction(unchanged.customer).updated_at
    SurveyResponseFactory.create(contact=changed, score=5, submitted_at=at(1))

    count = refresh_customer_satisfaction()

    assert count == 1
    assert satisfaction(unchanged.customer).updated_at == untouched_at
    assert satisfaction(changed.customer).latest_nps == 5


def test_the_nightly_rebuild_covers_customers_in_every_chunk():
    contacts = [ContactFactory.create() for _ in range(7)]
    for score, contact in enumerate(contacts):
        SurveyResponseFactory.create(contact=contact, score=score, submitted_at=at(score))

    changed = refresh_customer_satisfaction(chunk_size=2)

    assert changed == 7
    assert dict(CustomerSatisfaction.objects.values_list("customer_id", "latest_nps")) == {
        contact.customer_id: score for score, contact in enumerate(contacts)
    }


def test_a_row_whose_answers_are_gone_is_deleted():
    contact = ContactFactory.create()
    answer = SurveyResponseFactory.create(contact=contact, score=9, submitted_at=at(0))
    refresh_customer_satisfaction()
    answer.delete()

    changed = refresh_customer_satisfaction()

    assert changed == 1
    assert not CustomerSatisfaction.objects.filter(customer=contact.customer).exists()


def test_the_rebuilds_upsert_skips_a_row_written_since_it_was_read():
    contact = ContactFactory.create()
    SurveyResponseFactory.create(contact=contact, score=9, submitted_at=at(0))
    refresh_customer_satisfaction()
    read_at = satisfaction(contact.customer).updated_at
    # An answer's refresh moves updated_at after the rebuild read the row.
    CustomerSatisfaction.objects.filter(customer=contact.customer).update(
        updated_at=read_at + timedelta(seconds=1)
    )
    stale = SatisfactionFigures(latest_nps=1, latest_nps_at=at(-1), account_nps=None, nps_contacts=0)

    written = _upsert(
        [(contact.customer_id, stale, read_at)], now=read_at + timedelta(seconds=2), compare_and_set=True
    )

    assert written == 0
    assert satisfaction(contact.customer).latest_nps == 9


def test_the_nightly_task_rebuilds_every_customer():
    contact = ContactFactory.create()
    SurveyResponseFactory.create(contact=contact, score=10, submitted_at=at(0))

    changed = refresh_task()

    assert changed == 1
    assert satisfaction(contact.customer).account_nps == Decimal("100.0")
