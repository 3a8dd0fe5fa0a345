"""The roles of the follow-up work, created by migration followups.0002_groups and adjusted since."""

from importlib import import_module
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db

groups_migration = import_module("followups.migrations.0002_groups")

ACCOUNT_MANAGER_PERMISSIONS = {
    "customers.view_customer",
    "customers.view_contact",
    "customers.add_contact",
    "customers.change_contact",
    "customers.view_product",
    "customers.view_revenueline",
    "customers.view_interaction",
    "customers.add_interaction",
    "customers.change_interaction",
    "customers.view_tierchange",
    "surveys.view_surveyresponse",
    "surveys.view_surveyinvitation",
    "followups.view_followuptask",
    "followups.change_followuptask",
    "followups.view_followupnote",
    "followups.add_followupnote",
}


def permissions_of(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list("content_type__app_label", "codename")
    }


def test_the_three_groups_exist_after_migrate():
    names = set(Group.objects.values_list("name", flat=True))

    assert {"Account managers", "Follow-up leads", "Sales"} <= names


def test_account_managers_have_exactly_the_listed_permissions():
    assert permissions_of("Account managers") == ACCOUNT_MANAGER_PERMISSIONS


def test_leads_have_what_account_managers_have_plus_reassign_policy_dispatches_and_every_account():
    # change_every_account: migration 0005, for customers.policy (leads change every customer's records).
    assert permissions_of("Follow-up leads") == ACCOUNT_MANAGER_PERMISSIONS | {
        "followups.reassign_followuptask",
        "followups.view_followuppolicy",
        "followups.change_followuppolicy",
        "surveys.view_surveydispatch",
        "customers.change_every_account",
        # core migration 0002: leads unlock locked-out logins (axes' access attempts).
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
    }


def test_sales_can_only_view_and_not_follow_ups():
    # Migration 0006 took followups.view_followuptask back: Sales see no follow-up (followups.policy).
    assert permissions_of("Sales") == {
        "customers.view_customer",
        "customers.view_contact",
        "customers.view_product",
        "customers.view_revenueline",
        "surveys.view_surveyresponse",
    }


def test_reversing_the_migration_removes_the_groups_and_reapplying_restores_them():
    # The historical apps of the migration itself: create_groups flips models_module on their app
    # configs, which must not touch the real app registry.
    state_apps = MigrationExecutor(connection).loader.project_state(("followups", "0002_groups")).apps
    schema_editor = SimpleNamespace(connection=connection)

    groups_migration.remove_groups(state_apps, schema_editor)
    removed = set(
        Group.objects.filter(name__in=groups_migration.GROUP_PERMISSIONS).values_list("name", flat=True)
    )
    groups_migration.create_groups(state_apps, schema_editor)

    assert removed == set()
    assert permissions_of("Account managers") == ACCOUNT_MANAGER_PERMISSIONS
