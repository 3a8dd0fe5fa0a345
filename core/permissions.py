"""The shape of a permission policy: one object per model answering "may this user see / change this?"

Each app writes one policy module (`customers/policy.py`, `followups/policy.py`). The admin
(`PolicyAdmin`: `get_queryset`, `has_view_permission`, `has_change_permission`), the API
(`PolicyPermission`, querysets from `policy.visible`) and the services (`policy.require_change`) all
ask the same object, so the admin cannot show what the API refuses, nor a service allow what the
admin hides.
"""

from __future__ import annotations

from typing import Any, Generic, Protocol, TypeVar, cast

from django.contrib import admin
from django.contrib.auth.models import PermissionsMixin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from core.errors import Forbidden
from core.types import AnyUser

M = TypeVar("M", bound=Model)


class Policy(Generic[M]):
    """Rules for one model. Subclasses override `visible`, `can_view` and `can_change` together.

    `visible` is the set form of `can_view` (a filter the database runs), `can_view` the row form: a
    test walks both over the same objects so they cannot drift apart.
    """

    def visible(self, user: AnyUser, queryset: QuerySet[M]) -> QuerySet[M]:
        return queryset if self.can_view_any(user) else queryset.none()

    def can_view_any(self, user: AnyUser) -> bool:
        return False

    def can_view(self, user: AnyUser, obj: M) -> bool:
        return self.can_view_any(user)

    def can_change_any(self, user: AnyUser) -> bool:
        """Whether the user may change some rows of the model (the admin shows edit controls)."""
        return False

    def can_change(self, user: AnyUser, obj: M) -> bool:
        return False

    def refusal(self, user: AnyUser, obj: M) -> str:
        """Why `user` may not change `obj`, in words for that user."""
        return "You may not change this."

    def require_change(self, user: AnyUser, obj: M) -> None:
        """Raise Forbidden (with the reason) unless the user may change `obj`."""
        if not self.can_change(user, obj):
            raise Forbidden(self.refusal(user, obj))


def is_active_user(user: AnyUser) -> bool:
    return bool(user.is_authenticated and user.is_active)


def is_superuser(user: AnyUser) -> bool:
    return is_active_user(user) and isinstance(user, PermissionsMixin) and user.is_superuser


def has_perm(user: AnyUser, perm: str) -> bool:
    """Django's model permission check, false for anonymous and inactive users."""
    return is_active_user(user) and isinstance(user, PermissionsMixin) and user.has_perm(perm)


class PolicyAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows and buttons come from `policy`, as the API's do."""

    policy: Policy[Any]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return self.policy.visible(request.user, super().get_queryset(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.policy.can_view_any(request.user) or self.policy.can_change_any(request.user)
        return self.policy.can_view(request.user, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return self.policy.can_change_any(request.user)
        return self.policy.can_change(request.user, obj)


class _HasPolicy(Protocol):
    policy: Policy[Any]


class PolicyPermission(permissions.BasePermission):
    """DRF permission from the view's `policy`: reads need can_view, writes can_change."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        policy = cast(_HasPolicy, view).policy
        if request.method in permissions.SAFE_METHODS:
            return policy.can_view_any(request.user) or policy.can_change_any(request.user)
        return policy.can_change_any(request.user)

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        policy = cast(_HasPolicy, view).policy
        if request.method in permissions.SAFE_METHODS:
            return policy.can_view(request.user, obj)
        if not policy.can_change(request.user, obj):
            self.message = policy.refusal(request.user, obj)
            return False
        return True
