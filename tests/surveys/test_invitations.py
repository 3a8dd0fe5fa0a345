"""Who gets invited: the survey-fatigue rules of invite_contacts and the after-purchase trigger."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from customers.models import Contact
from surveys.models import SurveyDispatch, SurveyInvitation, SurveyKind, SurveyPolicy, Trigger
from surveys.services import (
    invite_after_purchases,
    invite_contacts,
    lift_survey_suppression,
    suppress_surveys,
)
from tests.factories import ContactFactory, CustomerFactory, RevenueLineFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def invite(contacts: list[Contact], *, key: str = "manual:test", **kwargs) -> SurveyDispatch:
    return invite_contacts(
        contacts=Contact.objects.filter(pk__in=[contact.pk for contact in contacts]),
        kind=kwargs.pop("kind", SurveyKind.NPS),
        trigger=Trigger.MANUAL,
        trigger_key=key,
        **kwargs,
    )


def test_an_eligible_contact_is_invited_to_the_active_survey_with_the_policys_expiry():
    contact = ContactFactory.create()
    user = UserFactory.create()

    with time_machine.travel(START, tick=False):
        dispatch = invite([contact], kind=SurveyKind.CSAT, created_by=user)

    invitation = SurveyInvitation.objects.get()
    assert (invitation.contact_id, invitation.customer_id) == (contact.pk, contact.customer_id)
    assert invitation.survey.kind == SurveyKind.CSAT
    assert invitation.expires_at == START + timedelta(days=30)
    assert invitation.sent_at is None
    assert invitation.created_by == user
    assert (dispatch.candidates, dispatch.invited, dispatch.skipped) == (1, 1, 0)
    assert dispatch.created_by == user


def test_inviting_queues_the_outbox_after_commit(django_capture_on_commit_callbacks):
    contact = ContactFactory.create()

    with django_capture_on_commit_callbacks() as callbacks:
        invite([contact])

    assert len(callbacks) == 1


def test_a_dispatch_that_invites_no_one_queues_nothing(django_capture_on_commit_callbacks):
    contact = ContactFactory.create(opted_out=True)

    with django_capture_on_commit_callbacks() as callbacks:
        invite([contact])

    assert callbacks == []


def test_a_contact_invited_exactly_90_days_ago_is_still_in_the_cool_down():
    contact = ContactFactory.create()
    with time_machine.travel(START, tick=False):
        invite([contact], key="manual:first")

    with time_machine.travel(START + timedelta(days=90), tick=False):
        dispatch = invite([contact], key="manual:second")

    assert dispatch.invited == 0
    assert dispatch.skipped_cooldown == 1
    assert SurveyInvitation.objects.count() == 1


def test_a_contact_is_invited_again_once_the_90_day_cool_down_has_passed():
    contact = ContactFactory.create()
    with time_machine.travel(START, tick=False):
        invite([contact], key="manual:first")

    with time_machine.travel(START + timedelta(days=90, seconds=1), tick=False):
        dispatch = invite([contact], key="manual:second")

    assert dispatch.invited == 1
    assert dispatch.skipped_cooldown == 0
    assert SurveyInvitation.objects.count() == 2


def test_the_cool_down_follows_the_policy():
    policy = SurveyPolicy.current()
    policy.cooldown_days = 30
    policy.save(update_fields=["cooldown_days"])
    contact = ContactFactory.create()
    with time_machine.travel(START, tick=False):
        invite([contact], key="manual:first")

    with time_machine.travel(START + timedelta(days=30, seconds=1), tick=False):
        dispatch = invite([contact], key="manual:second")

    assert dispatch.invited == 1


def test_the_cool_down_spans_survey_kinds():
    contact = ContactFactory.create()
    invite([contact], key="manual:nps", kind=SurveyKind.NPS)

    dispatch = invite([contact], key="manual:csat", kind=SurveyKind.CSAT)

    assert dispatch.skipped_cooldown == 1


def test_an_opted_out_contact_is_skipped_and_counted():
    contact = ContactFactory.create(opted_out=True)

    dispatch = invite([contact])

    assert (dispatch.invited, dispatch.skipped_opted_out, dispatch.skipped) == (0, 1, 1)
    assert not SurveyInvitation.objects.exists()


def test_a_contact_without_email_is_skipped_and_counted():
    contact = ContactFactory.create(email="")

    dispatch = invite([contact])

    assert (dispatch.invited, dispatch.skipped_no_email) == (0, 1)
    assert not SurveyInvitation.objects.exists()


def test_a_customer_with_an_open_suppression_is_skipped_and_counted():
    contact = ContactFactory.create()
    suppress_surveys(customer_id=contact.customer_id, reason="followup:1")

    dispatch = invite([contact])

    assert (dispatch.invited, dispatch.skipped_suppressed) == (0, 1)


def test_a_lifted_suppression_no_longer_holds_surveys_back():
    contact = ContactFactory.create()
    suppress_surveys(customer_id=contact.customer_id, reason="followup:1")
    lift_survey_suppression(customer_id=contact.customer_id, reason="followup:1")

    dispatch = invite([contact])

    assert dispatch.invited == 1


def test_a_contact_already_invited_for_the_same_cause_is_counted_as_such_not_as_cool_down():
    contact = ContactFactory.create()
    invite([contact], key="purchase:2026-03-01")

    dispatch = invite([contact], key="purchase:2026-03-01")

    assert (dispatch.invited, dispatch.skipped_already_invited, dispatch.skipped_cooldown) == (0, 1, 0)
    assert SurveyInvitation.objects.count() == 1


def test_ignoring_the_cool_down_bypasses_only_the_cool_down():
    recent = ContactFactory.create()
    invite([recent], key="manual:earlier")
    opted_out = ContactFactory.create(opted_out=True)
    no_email = ContactFactory.create(email="")
    suppressed = ContactFactory.create()
    suppress_surveys(customer_id=suppressed.customer_id, reason="followup:7")

    dispatch = invite([recent, opted_out, no_email, suppressed], key="followup:7", respect_cooldown=False)

    assert dispatch.invited == 1
    assert SurveyInvitation.objects.filter(contact=recent, trigger_key="followup:7").exists()
    assert (
        dispatch.skipped_opted_out,
        dispatch.skipped_no_email,
        dispatch.skipped_suppressed,
        dispatch.skipped_cooldown,
    ) == (1, 1, 1, 0)


def test_each_skipped_contact_is_counted_once_under_the_first_rule_that_stops_it():
    customer = CustomerFactory.create()
    suppress_surveys(customer_id=customer.pk, reason="followup:9")
    # Opted out and suppressed: counted as opted out only.
    opted_out = ContactFactory.create(customer=customer, opted_out=True)
    # No email and suppressed: counted as without email only.
    no_email = ContactFactory.create(customer=customer, email="")
    suppressed = ContactFactory.create(customer=customer)
    eligible = ContactFactory.create()

    dispatch = invite([opted_out, no_email, suppressed, eligible])

    assert dispatch.candidates == 4
    assert dispatch.invited == 1
    assert (dispatch.skipped_opted_out, dispatch.skipped_no_email, dispatch.skipped_suppressed) == (1, 1, 1)
    assert dispatch.invited + dispatch.skipped == dispatch.candidates


# --- After a purchase


PURCHASE = date(2026, 5, 4)


def test_contacts_are_invited_to_nps_fourteen_days_after_a_purchase():
    customer = CustomerFactory.create()
    buyer, colleague = ContactFactory.create(customer=customer), ContactFactory.create(customer=customer)
    RevenueLineFactory.create(customer=customer, date=PURCHASE)
    ContactFactory.create()  # another customer's contact, who bought nothing

    invite_after_purchases(today=PURCHASE + timedelta(days=14))

    invitations = SurveyInvitation.objects.order_by("contact_id")
    assert [invitation.contact_id for invitation in invitations] == sorted([buyer.pk, colleague.pk])
    assert {(i.survey.kind, i.trigger, i.trigger_key) for i in invitations} == {
        (SurveyKind.NPS, Trigger.PURCHASE, "purchase:2026-05-04")
    }


def test_no_one_is_invited_thirteen_days_after_a_purchase():
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    RevenueLineFactory.create(customer=customer, date=PURCHASE)

    invite_after_purchases(today=PURCHASE + timedelta(days=13))

    assert not SurveyInvitation.objects.exists()


def test_a_day_the_job_did_not_run_is_caught_up():
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    RevenueLineFactory.create(customer=customer, date=PURCHASE)

    invite_after_purchases(today=PURCHASE + timedelta(days=16))

    assert SurveyInvitation.objects.get().trigger_key == "purchase:2026-05-04"


def test_a_purchase_older_than_the_catch_up_window_is_not_invited():
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    RevenueLineFactory.create(customer=customer, date=PURCHASE)

    invite_after_purchases(today=PURCHASE + timedelta(days=17))

    assert not SurveyInvitation.objects.exists()


def test_rerunning_the_purchase_job_invites_no_one_twice():
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    RevenueLineFactory.create(customer=customer, date=PURCHASE)
    invite_after_purchases(today=PURCHASE + timedelta(days=14))

    again = invite_after_purchases(today=PURCHASE + timedelta(days=14))
    next_day = invite_after_purchases(today=PURCHASE + timedelta(days=15))

    assert SurveyInvitation.objects.count() == 1
    assert sum(dispatch.invited for dispatch in again + next_day) == 0
    assert sum(dispatch.skipped_already_invited for dispatch in again + next_day) == 2


def test_a_second_purchase_within_the_cool_down_does_not_ask_again():
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    RevenueLineFactory.create(customer=customer, date=PURCHASE)
    RevenueLineFactory.create(customer=customer, date=PURCHASE + timedelta(days=20))
    with time_machine.travel(datetime(2026, 5, 18, 9, 30, tzinfo=UTC), tick=False):
        invite_after_purchases(today=PURCHASE + timedelta(days=14))

    with time_machine.travel(datetime(2026, 6, 7, 9, 30, tzinfo=UTC), tick=False):
        [*_, latest] = invite_after_purchases(today=PURCHASE + timedelta(days=34))

    assert latest.skipped_cooldown == 1
    assert SurveyInvitation.objects.count() == 1


def test_the_purchase_delay_follows_the_policy():
    policy = SurveyPolicy.current()
    policy.purchase_delay_days = 7
    policy.save(update_fields=["purchase_delay_days"])
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    RevenueLineFactory.create(customer=customer, date=PURCHASE)

    invite_after_purchases(today=PURCHASE + timedelta(days=7))

    assert SurveyInvitation.objects.count() == 1
