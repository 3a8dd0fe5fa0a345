"""Follow-up leads may unlock a locked-out login: see and delete axes' access attempts.

The group is the followups app's (0002_groups) and the permissions are axes'; the grant is login
security, which core owns, so it lives here. Migrations are not imports: core's code still imports no
app, only this migration runs after theirs.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LEADS = "Follow-up leads"
PERMISSIONS = [("axes", "view_accessattempt"), ("axes", "delete_accessattempt")]


def grant(apps, schema_editor):
    # Permissions are made after `migrate` (post_migrate); on a fresh database they do not exist yet.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    group, _ = Group.objects.using(db).get_or_create(name=LEADS)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(
            Permission.objects.using(db).get(content_type__app_label=app_label, codename=codename)
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    group = Group.objects.using(db).filter(name=LEADS).first()
    if group is None:
        return
    for app_label, codename in PERMISSIONS:
        permission = (
            Permission.objects.using(db).filter(content_type__app_label=app_label, codename=codename).first()
        )
        if permission is not None:
            group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_heartbeat"),
        ("axes", "0010_accessattemptexpiration"),
        ("followups", "0002_groups"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
