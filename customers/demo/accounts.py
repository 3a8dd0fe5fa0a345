"""Who is in the demo: the superuser that logs in and the account managers the customers are assigned to."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.types import User
from customers.models import Customer

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


def demo_usernames() -> list[str]:
    """Return every username the demo creates: the superuser and the account managers."""
    return [DEMO_USERNAME, *(username for username, _, _ in ACCOUNT_MANAGERS)]


def has_real_data() -> bool:
    """Whether the database holds anything the demo did not make: any customer, or any other user.

    Demo rows mixed into real ones could not be told apart, and a demo login on a real database is a
    known password on real data; so the demo goes only where this is False.
    """
    return Customer.objects.exists() or User.objects.exclude(username__in=demo_usernames()).exists()


def ensure_demo_user(*, password: str = DEMO_PASSWORD) -> bool:
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
                password=password,
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


def set_demo_password(*, username: str, password: str) -> None:
    """Give a demo login `password` (a trial deployment's own, instead of the public demo one)."""
    user = User.objects.filter(username=username).first()
    if user is not None:
        user.set_password(password)
        user.save(update_fields=["password"])
