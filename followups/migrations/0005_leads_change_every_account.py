"""Leads change every customer's contacts and interactions; account managers only their own (customers.policy).

The permission belongs to the customers app; the groups are this app's (0002_groups), so the grant
lives here and the dependency stays one-way.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEADS = "Follow-up leads"
PERMISSION = ("customers", "change_every_account")


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    permission = Permission.objects.using(db).get(
        content_type__app_label=PERMISSION[0], codename=PERMISSION[1]
    )
    group, _ = Group.objects.using(db).get_or_create(name=LEADS)
    group.permissions.add(permission)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    permission = Permission.objects.using(db).filter(
        content_type__app_label=PERMISSION[0], codename=PERMISSION[1]
    ).first()
    group = Group.objects.using(db).filter(name=LEADS).first()
    if permission is not None and group is not None:
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0004_active_customer_index"),
        ("customers", "0006_every_account_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
