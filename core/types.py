"""Type aliases for the user and for requests that have passed authentication."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import User as _User

    # The project uses Django's default user model; code that needs its fields (first_name, groups,
    # has_perm) says `User`, and code that only needs "whoever is asking" says `AnyUser`.
    User: TypeAlias = _User
else:
    from django.contrib.auth import get_user_model

    User = get_user_model()

AnyUser: TypeAlias = "AbstractBaseUser | AnonymousUser"


class AuthenticatedHttpRequest(HttpRequest):
    """An HttpRequest behind a login check (every admin view): `user` is a real user.

    Only for annotations; Django builds the request objects.
    """

    user: User
