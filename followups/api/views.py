"""Endpoints of the followups API. They validate, call a selector or a service and shape the answer.

Who may see and change which follow-up is followups.policy's to say, as for the admin: the permission
class and the querysets ask it, and so do the services. Their refusals and conflicts are core.errors,
answered by the project's exception handler (Forbidden 403, Conflict 409, BadInput 400).
"""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import KeysetPagination, Segment
from core.permissions import PolicyPermission
from core.types import User
from followups.models import FollowUpNote, FollowUpTask, Status
from followups.policy import followup_policy
from followups.selectors import visible_followups
from followups.services import (
    add_followup_note,
    cancel_followup,
    complete_followup,
    reassign_followup,
    start_followup,
    take_followup,
)

from .filters import FollowUpTaskFilter
from .serializers import (
    FIELD_ERRORS_SCHEMA,
    ErrorSerializer,
    FollowUpTaskDetailSerializer,
    FollowUpTaskSerializer,
    FollowUpTaskUpdateSerializer,
)


# The OpenAPI descriptions are documentation for the integrating developer and stay English; what
# the API answers (permission refusals, validation errors, `detail`) is translated.
def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


UNAUTHENTICATED = _error("No or invalid credentials.")
THROTTLED = _error("Too many requests; retry after the number of seconds in Retry-After.")
FIELD_ERRORS = OpenApiResponse(FIELD_ERRORS_SCHEMA, description="Invalid input; the body names each field.")


class FollowUpPermission(PolicyPermission):
    """followups.policy for the API: account managers and leads get in (Sales: 403).

    Reading one follow-up needs policy.can_view, changing it can_change, each refusal saying why.
    Taking is let through to the service: whether the task is still in the shared queue is decided
    by its conditional UPDATE, and one taken a moment ago by someone else is a conflict (409).
    """

    # Lazy, read by DRF when it refuses (in the request's language); typed as the str it stands for.
    message = cast(
        str,
        _(
            "You need the permission 'followups | follow-up | Can change follow-up' (account managers, leads)."
        ),
    )

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        if getattr(view, "action", None) == "take":
            return True
        if request.method in permissions.SAFE_METHODS:
            if followup_policy.can_view(request.user, obj):
                return True
            self.message = followup_policy.view_refusal(request.user, obj)
            return False
        return super().has_object_permission(request, view, obj)


def _signed_in(request: Request) -> User:
    """The request's user, which the permission class has already required to be signed in."""
    user = request.user
    if not isinstance(user, User):
        raise exceptions.NotAuthenticated
    return user


# The listing's name in its cursors: a cursor made for another listing is refused.
LISTING = "followups:due_at,id"


class FollowUpPagination(KeysetPagination):
    """core's keyset pages over (due_at, id): follow-ups sharing a due time page exactly, by id.

    Due times are whole hours on business days, so hundreds of follow-ups share one.
    """

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                # core's text mentions the sales API's CSV export, which this list does not have.
                parameter["description"] = (
                    f"Rows per page: default {self.page_size}, larger values are capped at {self.max_page_size}."
                )
        return parameters


class FollowUpSchema(AutoSchema):
    """drf-spectacular's schema, with the PATCH body marked required.

    Every alternative of the PATCH body requires a field, but none is common to all, so
    drf-spectacular cannot see that an empty body is refused.
    """

    def _get_request_body(self, direction: str = "request") -> dict[str, Any] | None:
        body = super()._get_request_body(direction)
        if body is not None and self.method == "PATCH":
            body["required"] = True
        return body


_LIST_RELATIONS = ("customer", "contact", "response", "assigned_to")
_DETAIL_RELATIONS = (*_LIST_RELATIONS, "customer__account_manager", "customer__satisfaction")

_READ_ERRORS = {
    401: UNAUTHENTICATED,
    403: _error("Not an account manager or lead, or another account manager's follow-up."),
    404: _error("No follow-up with this id."),
    429: THROTTLED,
}
_CHANGE_ERRORS = {
    400: FIELD_ERRORS,
    401: UNAUTHENTICATED,
    403: _error(
        "Not allowed: another account manager's follow-up, a shared one not yet taken, or (for "
        "assigned_to) not a follow-up lead. `detail` says which."
    ),
    404: _error("No follow-up with this id."),
    409: _error(
        "The follow-up changed meanwhile (taken, started, completed or cancelled); `detail` says how."
    ),
    429: THROTTLED,
}


@extend_schema_view(
    list=extend_schema(
        operation_id="followups_list",
        summary="List follow-ups",
        description="A lead sees every follow-up; an account manager their own, those of the customers "
        "they manage and the shared queue. Ordered by due time (overdue first), then id; paged by cursor.",
        responses={
            200: FollowUpTaskSerializer(many=True),
            400: FIELD_ERRORS,
            401: UNAUTHENTICATED,
            403: _error("Not an account manager or lead (e.g. Sales)."),
            429: THROTTLED,
        },
    ),
    retrieve=extend_schema(
        operation_id="followups_retrieve",
        summary="One follow-up with its notes, customer, contact and answer",
        responses={200: FollowUpTaskDetailSerializer, **_READ_ERRORS},
    ),
)
class FollowUpTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The account managers' follow-ups: list, read, change (PATCH) and take from the shared queue."""

    permission_classes = [FollowUpPermission]
    policy = followup_policy
    filterset_class = FollowUpTaskFilter
    pagination_class = FollowUpPagination
    # No PUT: a follow-up is never replaced whole, only moved by the services.
    http_method_names = ["get", "patch", "post", "head", "options"]
    schema = FollowUpSchema()
    # JSON only, as the schema says: a form body cannot say `assigned_to: null`.
    parser_classes = [JSONParser]
    # Any id reaches the view, so one that is not a number answers a JSON 404 like a missing one
    # (DRF's get_object_or_404 turns the failed conversion into Http404), not Django's HTML page.
    lookup_value_regex = r"[^/]+"

    def get_serializer_class(self) -> type[FollowUpTaskSerializer]:
        return FollowUpTaskSerializer if self.action == "list" else FollowUpTaskDetailSerializer

    def get_queryset(self) -> QuerySet[FollowUpTask]:
        return visible_followups(self.request.user).select_related(*_LIST_RELATIONS)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        tasks = self.filter_queryset(self.get_queryset())
        paginator = cast(FollowUpPagination, self.paginator)
        page = paginator.paginate_segments(request, [Segment(tasks, keys=("due_at", "id"))], listing=LISTING)
        rows = [task for _key, task in page.rows]
        return paginator.get_paginated_response(self.get_serializer(rows, many=True).data)

    def get_object(self) -> FollowUpTask:
        # Looked up among all follow-ups, not only the visible ones, and unfiltered by the list's
        # query parameters: another manager's follow-up answers 403 (the policy says why, as the
        # admin's page does), not a puzzling 404. A change loads the bare row; the answer is read
        # afresh once the service is done.
        rows = _detail_queryset() if self.action == "retrieve" else FollowUpTask.objects.all()
        task = get_object_or_404(rows, pk=self.kwargs["pk"])
        self.check_object_permissions(self.request, task)
        return task

    def _detail(self, task: FollowUpTask) -> Response:
        return Response(FollowUpTaskDetailSerializer(_detail_queryset().get(pk=task.pk)).data)

    @extend_schema(
        operation_id="followups_partial_update",
        summary="Work a follow-up: move its status, add a note, or reassign it",
        description="One act per request, by the same rules as the admin: the assignee or a lead works "
        "a follow-up (take a shared one first); only leads reassign. `done` needs an `outcome`, "
        "`cancelled` a `note` saying why; `in_progress` records the first contact.",
        request=FollowUpTaskUpdateSerializer,
        responses={200: FollowUpTaskDetailSerializer, **_CHANGE_ERRORS},
    )
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        change = FollowUpTaskUpdateSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        data = change.validated_data
        user = _signed_in(request)
        new_status, note = data.get("status"), data.get("note", "")
        if "assigned_to" in data:
            reassign_followup(task=task, user=user, to=data["assigned_to"])
        elif new_status == Status.DONE:
            complete_followup(task=task, user=user, outcome=data["outcome"], note=note)
        elif new_status == Status.CANCELLED:
            cancel_followup(task=task, user=user, reason=note)
        else:
            if note:
                # Asked before anything changes, so a refused note cannot follow a status move that
                # stuck. (The notes that complete and cancel write are part of those acts.)
                followup_policy.require_note(user, task)
            if new_status == Status.IN_PROGRESS:
                start_followup(task=task, user=user)
            if note:
                add_followup_note(task=task, user=user, text=note)
        return self._detail(task)

    @extend_schema(
        operation_id="followups_take",
        summary="Take a follow-up from the shared queue",
        request=None,
        responses={
            200: FollowUpTaskDetailSerializer,
            401: UNAUTHENTICATED,
            403: _error("Not an account manager or lead."),
            404: _error("No follow-up with this id."),
            409: _error("Someone else took it first, or it is closed."),
            429: THROTTLED,
        },
    )
    @action(detail=True, methods=["post"])
    def take(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        take_followup(task=task, user=_signed_in(request))
        return self._detail(task)


def _detail_queryset() -> QuerySet[FollowUpTask]:
    return FollowUpTask.objects.select_related(*_DETAIL_RELATIONS).prefetch_related(
        Prefetch("notes", queryset=FollowUpNote.objects.select_related("author").order_by("created_at", "pk"))
    )
