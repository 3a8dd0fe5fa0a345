"""API plumbing shared by the apps: the one mapping of DomainError to HTTP."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import BadInput, Conflict, DomainError, Forbidden


class ConflictError(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The object changed meanwhile; reload it and try again."
    default_code = "conflict"


def as_api_exception(error: DomainError) -> exceptions.APIException:
    """The DRF exception that answers `error`: 400 naming the field, 403 or 409 with the service's words."""
    if isinstance(error, BadInput):
        return exceptions.ValidationError({error.field or "non_field_errors": [error.message]})
    if isinstance(error, Forbidden):
        return exceptions.PermissionDenied(error.message)
    if isinstance(error, Conflict):
        return ConflictError(error.message)
    # A new DomainError subclass must be given its status here; until then it is a bad request.
    return exceptions.ValidationError({"non_field_errors": [error.message]})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, taught the DomainError family (REST_FRAMEWORK["EXCEPTION_HANDLER"])."""
    if isinstance(exc, DomainError):
        exc = as_api_exception(exc)
    return drf_exception_handler(exc, context)
