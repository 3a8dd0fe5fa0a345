"""The one family of errors services raise when a request cannot be carried out.

Each is mapped once: to an HTTP answer by `core.api.exception_handler`, and to an admin message by
`core.admin.domain_errors_as_messages`. Anything else a service raises is a bug and must reach the
error log, not the user: that is why no caller catches `ValueError` or `Exception` to show a message.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """Base of the family; `message` is written for the person who asked, in their words."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        # The input field the error is about, when there is one (answered under that key by the API).
        self.field = field


class BadInput(DomainError):
    """The request itself is wrong (an empty note, an unknown outcome); asking again as-is fails again."""


class Conflict(DomainError):
    """The object changed under the caller (taken, closed, reassigned meanwhile); reload and retry."""


class Forbidden(DomainError, PermissionDenied):
    """The caller may not do this to this object.

    Also a Django PermissionDenied, so code and middleware that know only Django's exception (the
    admin, DRF's own handler) still answer 403 rather than 500.
    """
