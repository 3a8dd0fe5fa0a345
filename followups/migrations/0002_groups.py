"""The three roles of the follow-up work, as auth groups with the permissions each role needs.

Data only: the group names are what followups.roles names for the services and selectors, so
renaming one here means renaming it there.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ACCOUNT_MANAGERS = "Account managers"
LEADS = "Follow-up leads"
SALES = "Sales"

# (app label, codename) per group.
_ACCOUNT_MANAGER_PERMISSIONS = [
    ("customers", "view_customer"),
    ("customers", "view_contact"),
    ("customers", "add_contact"),
    ("customers", "change_contact"),
    ("customers", "view_product"),
    ("customers", "view_revenueline"),
    ("customers", "view_interaction"),
    ("customers", "add_interaction"),
    ("customers", "change_interaction"),
    ("customers", "view_tierchange"),
    ("surveys", "view_surveyresponse"),
    ("surveys", "view_surveyinvitation"),
    ("followups", "view_followuptask"),
    ("followups", "change_followuptask"),
    ("followups", "view_followupnote"),
    ("followups", "add_followupnote"),
]

GROUP_PERMISSIONS = {
    ACCOUNT_MANAGERS: _ACCOUNT_MANAGER_PERMISSIONS,
    LEADS: [
        *_ACCOUNT_MANAGER_PERMISSIONS,
        ("followups", "reassign_followuptask"),
        ("followups", "view_followuppolicy"),
        ("followups", "change_followuppolicy"),
        ("surveys", "view_surveydispatch"),
    ],
    SALES: [
        ("customers", "view_customer"),
        ("customers", "view_contact"),
        ("customers", "view_product"),
        ("customers", "view_revenueline"),
        ("surveys", "view_surveyresponse"),
        ("followups", "view_followuptask"),
    ],
}


def create_groups(apps, schema_editor):
    # On a fresh database the permissions are created by post_migrate, i.e. after this migration;
    # create them now (it skips those that exist) so the groups can be given them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for name, wanted in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(db).get_or_create(name=name)
        permissions = []
        for app_label, codename in wanted:
            # .get() on purpose: a missing permission is a typo here, and should fail loudly.
            permissions.append(
                Permission.objects.using(db).get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.add(*permissions)


def remove_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.using(schema_editor.connection.alias).filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0001_initial"),
        ("surveys", "0002_default_surveys"),
        ("followups", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
