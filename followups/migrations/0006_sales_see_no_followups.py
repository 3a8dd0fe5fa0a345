"""Sales no longer hold followups.view_followuptask: they see no follow-up (followups.policy).

The policy asks for the account manager's or the lead's permissions, so the grant already gave
nothing; it is taken back so the group's permissions say what the group may do, and so admin pages
that still read Django's model permission (an inline on the customer page) agree with the policy.
"""

from django.db import migrations

SALES = "Sales"
PERMISSION = ("followups", "view_followuptask")


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    permission = (
        Permission.objects.using(db)
        .filter(content_type__app_label=PERMISSION[0], codename=PERMISSION[1])
        .first()
    )
    group = Group.objects.using(db).filter(name=SALES).first()
    if permission is not None and group is not None:
        group.permissions.remove(permission)


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    permission = (
        Permission.objects.using(db)
        .filter(content_type__app_label=PERMISSION[0], codename=PERMISSION[1])
        .first()
    )
    group = Group.objects.using(db).filter(name=SALES).first()
    if permission is not None and group is not None:
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0005_leads_change_every_account"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(revoke, grant)]
