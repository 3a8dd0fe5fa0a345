"""Who is in the demo: the superuser that logs in and the account managers the customers are assigned to."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.types import User

DEMO_USERNAME = "demo"
# A public login for a local demo, printed by `make run` and the README; never a production secret.
DEMO_PASSWORD = "demo"  # noqa: S105
# RFC 2606 reserves .example: the addresses look like the company's own, but a demo database that
# ends up behind a real mail server can never send a survey to a stranger.
EMAIL_TLD = "example"

ACCOUNT_MANAGERS = (
    ("ingrid.solberg", "Ingrid", "Solberg"),
    ("erik.haugland", "Erik", "Haugland"),
    ("sofie.lund", "Sofie", "Lund"),
    ("magnus.eide", "Magnus", "Eide"),
)


def ensure_demo_user() -> bool:
    """Create the demo superuser unless a user of that name exists; return whether it was created.

    An existing user is left alone, password included: someone may have changed it on purpose.
    """
    if User.objects.filter(username=DEMO_USERNAME).exists():
        return False
    try:
        with transaction.atomic():
            User.objects.create_superuser(
                username=DEMO_USERNAME,
                email=f"{DEMO_USERNAME}@tilfreds.{EMAIL_TLD}",
                password=DEMO_PASSWORD,
                first_name="Demo",
                last_name="Bruker",
            )
    except IntegrityError:  # a concurrent `make run` created it between the check and the insert
        return False
    return True


def ensure_account_managers() -> dict[str, User]:
    """Create the demo account managers that are missing (staff, no groups) and return all of them."""
    new_users = []
    for username, first_name, last_name in ACCOUNT_MANAGERS:
        user = User(
            username=username,
            first_name=first_name,
            last_name=last_name,
            email=f"{username}@tilfreds.{EMAIL_TLD}",
            is_staff=True,
        )
        # They are characters in the demo, not logins: no password until someone sets one in the admin.
        user.set_unusable_password()
        new_users.append(user)
    User.objects.bulk_create(new_users, ignore_conflicts=True)
    usernames = [username for username, _, _ in ACCOUNT_MANAGERS]
    return {user.get_username(): user for user in User.objects.filter(username__in=usernames)}
