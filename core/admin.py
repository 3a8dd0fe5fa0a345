"""Admin building blocks shared by the apps: policy pages, read-only logs, service errors as messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import Conflict, DomainError
from core.models import LanguagePreference


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


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what happened: viewable, never added, edited or deleted by hand."""

    # Counting a table of millions of rows for "(N total)" costs more than the page itself.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyTabularInline(admin.TabularInline):
    """Rows shown on another object's page for reading: nothing added, edited or deleted there."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@contextmanager
def domain_errors_as_messages(
    request: HttpRequest, *, success: str | None = None
) -> Iterator[list[DomainError]]:
    """Run a service call; show a DomainError it raises as an admin message instead of an error page.

    Yields a list that holds the error afterwards, so the caller can tell whether the call went
    through. Only the DomainError family is caught: any other exception is a bug and propagates.

        with domain_errors_as_messages(request, success="Taken.") as failed:
            take_followup(task=task, user=request.user)
        if not failed: ...
    """
    failed: list[DomainError] = []
    try:
        yield failed
    except Conflict as conflict:
        failed.append(conflict)
        messages.warning(request, _("Nothing changed: %(reason)s") % {"reason": conflict.message})
    except DomainError as error:
        failed.append(error)
        messages.error(request, error.message)
    else:
        if success:
            messages.success(request, success)


@admin.register(LanguagePreference)
class LanguagePreferenceAdmin(admin.ModelAdmin):
    """Who reads Tilfreds in which language: a superuser may set it for someone who never signed in
    (their emails follow it). Users set their own with the switch in the header."""

    list_display = ("user", "language", "browser_language")
    list_filter = ("language", "browser_language")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email")
    list_select_related = ("user",)
    raw_id_fields = ("user",)
    readonly_fields = ("browser_language",)
