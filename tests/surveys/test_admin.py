"""The surveys admin: sending by hand, the survey history, the policy page and read-only records."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Contact, Customer
from surveys.admin import (
    SEND_SURVEY_ACTIONS,
    ContactSurveyActions,
    CustomerSurveyActions,
    SurveyHistoryPanel,
)
from surveys.models import (
    Category,
    SurveyDispatch,
    SurveyInvitation,
    SurveyKind,
    SurveyPolicy,
    SurveyResponse,
    Trigger,
)
from surveys.services import suppress_surveys
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    SurveyInvitationFactory,
    SurveyResponseFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def run_action(client, model: str, action: str, pks: list[int]):
    return client.post(
        reverse(f"admin:customers_{model}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        secure=True,
        follow=True,
    )


def query_count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, secure=True)
    assert response.status_code == 200
    return len(queries)


# --- Sending by hand


def test_the_registered_customer_and_contact_admins_carry_the_survey_pieces():
    customer_admin = admin.site.get_model_admin(Customer)
    contact_admin = admin.site.get_model_admin(Contact)

    assert isinstance(customer_admin, CustomerSurveyActions)
    assert isinstance(customer_admin, SurveyHistoryPanel)
    assert isinstance(contact_admin, ContactSurveyActions)
    assert set(SEND_SURVEY_ACTIONS) <= set(customer_admin.actions)
    assert set(SEND_SURVEY_ACTIONS) <= set(contact_admin.actions)


def test_sending_nps_to_a_customer_invites_its_contacts_and_reports_each_skip(client, superuser):
    customer = CustomerFactory.create()
    reachable = ContactFactory.create(customer=customer)
    ContactFactory.create(customer=customer, opted_out=True)
    ContactFactory.create(customer=customer, email="")
    client.force_login(superuser)

    response = run_action(client, "customer", "send_nps_survey", [customer.pk])

    invitation = SurveyInvitation.objects.get()
    assert invitation.contact == reachable
    assert invitation.survey.kind == SurveyKind.NPS
    assert invitation.trigger == Trigger.MANUAL
    assert invitation.created_by == superuser
    dispatch = SurveyDispatch.objects.get()
    assert (dispatch.invited, dispatch.skipped_opted_out, dispatch.skipped_no_email) == (1, 1, 1)
    html = response.content.decode()
    assert "NPS survey: 1 invited" in html
    assert (
        "1 opted out, 1 without email, 0 in the cool-down, 0 with an open follow-up, 0 already invited"
        in html
    )


def test_sending_csat_to_selected_contacts_invites_only_those(client, superuser):
    chosen = ContactFactory.create()
    ContactFactory.create(customer=chosen.customer)
    client.force_login(superuser)

    run_action(client, "contact", "send_csat_survey", [chosen.pk])

    invitation = SurveyInvitation.objects.get()
    assert (invitation.contact, invitation.survey.kind) == (chosen, SurveyKind.CSAT)


def test_sending_reports_the_cool_down_and_open_follow_up_skips(client, superuser):
    recently_asked = ContactFactory.create()
    SurveyInvitationFactory.create(contact=recently_asked)
    held_back = ContactFactory.create()
    suppress_surveys(customer_id=held_back.customer_id, reason="followup:1")
    client.force_login(superuser)

    response = run_action(client, "contact", "send_ces_survey", [recently_asked.pk, held_back.pk])

    html = response.content.decode()
    assert "CES survey: 0 invited" in html
    assert "1 in the cool-down, 1 with an open follow-up" in html
    assert SurveyInvitation.objects.count() == 1


def test_each_manual_send_is_its_own_cause(client, superuser):
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    client.force_login(superuser)
    run_action(client, "customer", "send_nps_survey", [customer.pk])

    run_action(client, "customer", "send_nps_survey", [customer.pk])

    # Blocked by the cool-down, not by the trigger key: each click has a key of its own.
    latest = SurveyDispatch.objects.order_by("-pk").first()
    assert (latest.skipped_cooldown, latest.skipped_already_invited) == (1, 0)


def test_staff_without_the_invitation_permission_cannot_send_surveys(client):
    staff = UserFactory.create(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_customer"))
    customer = CustomerFactory.create()
    ContactFactory.create(customer=customer)
    client.force_login(staff)

    page = client.get(reverse("admin:customers_customer_changelist"), secure=True)
    run_action(client, "customer", "send_nps_survey", [customer.pk])

    assert "send_nps_survey" not in page.content.decode()
    assert not SurveyInvitation.objects.exists()


def test_staff_with_the_invitation_permission_can_send_surveys(client):
    staff = UserFactory.create(is_staff=True)
    staff.user_permissions.add(
        Permission.objects.get(codename="view_contact"),
        Permission.objects.get(codename="add_surveyinvitation"),
    )
    contact = ContactFactory.create()
    client.force_login(staff)

    run_action(client, "contact", "send_nps_survey", [contact.pk])

    assert SurveyInvitation.objects.filter(contact=contact).exists()


# --- The customer page


def test_the_customer_page_shows_the_survey_history_newest_first(client, superuser):
    contact = ContactFactory.create()
    now = timezone.now()
    SurveyResponseFactory.create(
        contact=contact, score=3, comment="Treg levering", submitted_at=now - timedelta(days=9)
    )
    SurveyResponseFactory.create(contact=contact, score=10, comment="Mye bedre nå", submitted_at=now)
    client.force_login(superuser)

    response = client.get(reverse("admin:customers_customer_change", args=[contact.customer_id]), secure=True)

    html = response.content.decode()
    assert 'id="survey-history"' in html
    assert html.index("Mye bedre nå") < html.index("Treg levering")
    assert "Detractor" in html
    assert "Promoter" in html


def test_the_survey_history_shows_the_newest_twenty(client, superuser):
    customer = CustomerFactory.create()
    now = timezone.now()
    for days in range(25):
        SurveyResponseFactory.create(
            contact=ContactFactory.create(customer=customer),
            comment=f"svar-{days:02d}.",
            submitted_at=now - timedelta(days=days),
        )
    client.force_login(superuser)

    html = client.get(
        reverse("admin:customers_customer_change", args=[customer.pk]), secure=True
    ).content.decode()

    assert "svar-19." in html
    assert "svar-20." not in html


def test_the_customer_page_makes_the_same_number_of_queries_for_3_and_25_responses(client, superuser):
    customer = CustomerFactory.create()
    contacts = ContactFactory.create_batch(3, customer=customer)
    for contact in contacts:
        SurveyResponseFactory.create(contact=contact)
    client.force_login(superuser)
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    client.get(url, secure=True)  # warm the per-process caches (content types, the session)
    few = query_count(client, url)
    for index in range(22):
        SurveyResponseFactory.create(contact=contacts[index % 3])

    many = query_count(client, url)

    assert SurveyResponse.objects.filter(customer=customer).count() == 25
    assert many == few


def test_a_new_customer_page_has_no_survey_history(client, superuser):
    client.force_login(superuser)

    response = client.get(reverse("admin:customers_customer_add"), secure=True)

    assert response.status_code == 200
    assert 'id="survey-history"' not in response.content.decode()


# --- Read-only records


def test_the_response_list_makes_the_same_number_of_queries_for_5_and_50_responses(client, superuser):
    SurveyResponseFactory.create_batch(5)
    client.force_login(superuser)
    url = reverse("admin:surveys_surveyresponse_changelist")
    few = query_count(client, url)
    SurveyResponseFactory.create_batch(45)

    many = query_count(client, url)

    assert many == few


def test_the_invitation_list_makes_the_same_number_of_queries_for_5_and_50_invitations(client, superuser):
    SurveyInvitationFactory.create_batch(5)
    client.force_login(superuser)
    url = reverse("admin:surveys_surveyinvitation_changelist")
    few = query_count(client, url)
    SurveyInvitationFactory.create_batch(45)

    many = query_count(client, url)

    assert many == few


def test_the_dispatch_list_makes_the_same_number_of_queries_for_5_and_50_dispatches(client, superuser):
    for _ in range(5):
        SurveyDispatch.objects.create(trigger=Trigger.MANUAL, created_by=superuser, invited=3)
    client.force_login(superuser)
    url = reverse("admin:surveys_surveydispatch_changelist")
    few = query_count(client, url)
    other = UserFactory.create()
    for index in range(45):
        SurveyDispatch.objects.create(trigger=Trigger.PURCHASE, created_by=other if index % 2 else superuser)

    many = query_count(client, url)

    assert many == few


def test_the_response_list_colours_the_category(client, superuser):
    SurveyResponseFactory.create(score=2)
    client.force_login(superuser)

    html = client.get(reverse("admin:surveys_surveyresponse_changelist"), secure=True).content.decode()

    assert "background:#b3261e" in html
    assert ">Detractor</span>" in html


def test_the_response_list_filters_by_category(client, superuser):
    SurveyResponseFactory.create(score=2, comment="misfornøyd-kunde")
    SurveyResponseFactory.create(score=10, comment="fornøyd-kunde")
    client.force_login(superuser)

    html = client.get(
        reverse("admin:surveys_surveyresponse_changelist"), {"category": Category.DETRACTOR}, secure=True
    ).content.decode()

    assert "misfornøyd-kunde" in html
    assert ">fornøyd-kunde" not in html


def test_the_response_list_searches_by_contact_email(client, superuser):
    SurveyResponseFactory.create(contact=ContactFactory.create(email="finn.meg@kunde.no"), comment="funnet")
    SurveyResponseFactory.create(comment="ikke-funnet")
    client.force_login(superuser)

    html = client.get(
        reverse("admin:surveys_surveyresponse_changelist"), {"q": "finn.meg@kunde.no"}, secure=True
    ).content.decode()

    assert "funnet" in html
    assert "ikke-funnet" not in html


@pytest.mark.parametrize("model", ["surveyresponse", "surveyinvitation", "surveydispatch"])
def test_records_cannot_be_added_changed_or_deleted_in_the_admin(client, superuser, model):
    record = {
        "surveyresponse": SurveyResponseFactory,
        "surveyinvitation": SurveyInvitationFactory,
        "surveydispatch": lambda: SurveyDispatch.objects.create(trigger=Trigger.MANUAL),
    }[model]()
    client.force_login(superuser)

    added = client.get(reverse(f"admin:surveys_{model}_add"), secure=True)
    deleted = client.post(
        reverse(f"admin:surveys_{model}_delete", args=[record.pk]), {"post": "yes"}, secure=True
    )
    shown = client.get(reverse(f"admin:surveys_{model}_change", args=[record.pk]), secure=True)

    assert added.status_code == 403
    assert deleted.status_code == 403
    assert shown.status_code == 200
    assert 'name="_save"' not in shown.content.decode()
    assert type(record).objects.filter(pk=record.pk).exists()


def test_the_survey_policy_list_opens_the_one_policy(client, superuser):
    client.force_login(superuser)

    response = client.get(reverse("admin:surveys_surveypolicy_changelist"), secure=True)

    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:surveys_surveypolicy_change", args=[SurveyPolicy.SINGLETON_PK]
    )


def test_the_survey_policy_cannot_be_added_or_deleted(client, superuser):
    policy = SurveyPolicy.current()
    client.force_login(superuser)

    added = client.get(reverse("admin:surveys_surveypolicy_add"), secure=True)
    deleted = client.post(
        reverse("admin:surveys_surveypolicy_delete", args=[policy.pk]), {"post": "yes"}, secure=True
    )

    assert (added.status_code, deleted.status_code) == (403, 403)
    assert SurveyPolicy.objects.filter(pk=policy.pk).exists()


def test_the_survey_questions_can_be_edited_but_not_the_kind(client, superuser):
    survey = SurveyInvitationFactory.create().survey
    client.force_login(superuser)
    url = reverse("admin:surveys_survey_change", args=[survey.pk])

    response = client.post(
        url,
        {
            "kind": SurveyKind.CES,
            "name": survey.name,
            "is_active": "on",
            "question_nb": "Hvor sannsynlig er det at du anbefaler oss?",
            "question_en": survey.question_en,
            "low_label_nb": survey.low_label_nb,
            "low_label_en": survey.low_label_en,
            "high_label_nb": survey.high_label_nb,
            "high_label_en": survey.high_label_en,
        },
        secure=True,
    )

    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.question_nb == "Hvor sannsynlig er det at du anbefaler oss?"
    assert survey.kind == SurveyKind.NPS


def test_retrying_from_the_invitation_list_resets_invitations_that_gave_up(client, superuser):
    gave_up = SurveyInvitationFactory.create(send_attempts=5, last_error="SMTPServerDisconnected")
    client.force_login(superuser)

    client.post(
        reverse("admin:surveys_surveyinvitation_changelist"),
        {"action": "retry_sending", "_selected_action": [str(gave_up.pk)]},
        secure=True,
    )

    gave_up.refresh_from_db()
    assert (gave_up.send_attempts, gave_up.last_error) == (0, "")
