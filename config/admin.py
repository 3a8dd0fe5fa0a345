"""Admin building blocks shared by the apps."""

from __future__ import annotations

from typing import Any, Protocol, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class _Singleton(Protocol):
    pk: Any

    @classmethod
    def current(cls) -> _Singleton: ...


class SingletonAdmin(admin.ModelAdmin):
    """Admin of a one-row policy model with a `current()` classmethod.

    The list opens the one row (creating it with its defaults on first use); there is nothing to add
    and the row must not be deleted, since the code reads it on every run.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        row = cast(type[_Singleton], self.model).current()
        opts = self.model._meta
        return HttpResponseRedirect(
            reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[row.pk])
        )
