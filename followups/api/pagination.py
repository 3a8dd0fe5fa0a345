"""Keyset pagination of the follow-up list on (due_at, id).

DRF's CursorPagination keys on the first ordering column alone and steps over equal values with an
OFFSET it caps at 1 000. Due times here are whole hours on business days, so hundreds of follow-ups
share one: paging must compare (due_at, id) pairs to stay exact and as fast on the last page as on
the first.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

from followups.models import FollowUpTask

_AFTER, _BEFORE = "a", "b"


class FollowUpCursorPagination(BasePagination):
    page_size = 50
    max_page_size = 200
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def paginate_queryset(
        self, queryset: QuerySet[FollowUpTask], request: Request, view: APIView | None = None
    ) -> list[FollowUpTask]:
        self.request = request
        size = self._page_size(request)
        cursor = self._cursor(request)
        self.next_cursor: tuple[str, datetime, int] | None = None
        self.previous_cursor: tuple[str, datetime, int] | None = None
        if cursor is not None and cursor[0] == _BEFORE:
            _, due_at, pk = cursor
            rows = list(
                queryset.filter(Q(due_at__lt=due_at) | Q(due_at=due_at, pk__lt=pk)).order_by(
                    "-due_at", "-pk"
                )[: size + 1]
            )
            if rows:
                page = rows[:size][::-1]
                if len(rows) > size:
                    self.previous_cursor = (_BEFORE, page[0].due_at, page[0].pk)
                self.next_cursor = (_AFTER, page[-1].due_at, page[-1].pk)
                return page
            # Nothing before the cursor any more (rows closed or moved): this is the first page.
            cursor = None
        ordered = queryset.order_by("due_at", "pk")
        if cursor is not None:
            _, due_at, pk = cursor
            ordered = ordered.filter(Q(due_at__gt=due_at) | Q(due_at=due_at, pk__gt=pk))
        rows = list(ordered[: size + 1])
        page = rows[:size]
        if len(rows) > size:
            self.next_cursor = (_AFTER, page[-1].due_at, page[-1].pk)
        if cursor is not None:
            # Came from an earlier page, so one lies before; an empty page points back at the cursor.
            first_due, first_pk = (page[0].due_at, page[0].pk) if page else (cursor[1], cursor[2] + 1)
            self.previous_cursor = (_BEFORE, first_due, first_pk)
        return page

    def get_paginated_response(self, data: Sequence[Any]) -> Response:
        return Response(
            {
                "next": self._link(self.next_cursor),
                "previous": self._link(self.previous_cursor),
                "results": data,
            }
        )

    def _link(self, cursor: tuple[str, datetime, int] | None) -> str | None:
        if cursor is None:
            return None
        direction, due_at, pk = cursor
        token = base64.urlsafe_b64encode(f"{direction}|{due_at.isoformat()}|{pk}".encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, token)

    def _cursor(self, request: Request) -> tuple[str, datetime, int] | None:
        token = request.query_params.get(self.cursor_query_param)
        if not token:
            return None
        try:
            direction, due_at, pk = base64.urlsafe_b64decode(token.encode()).decode().split("|")
            moment = datetime.fromisoformat(due_at)
            # In UTC here, as the database compares it: a hand-made time at the calendar's edge
            # overflows now, as a 400, instead of in the database adapter, as a 500.
            parsed = (direction, moment.astimezone(UTC), int(pk)) if moment.tzinfo else None
        except (ValueError, UnicodeError, binascii.Error, OverflowError):
            parsed = None
        if parsed is None or parsed[0] not in (_AFTER, _BEFORE):
            raise ValidationError(
                {self.cursor_query_param: ["Invalid cursor; use the next or previous link as given."]}
            )
        return parsed

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number of 1 or more."]})
        return min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "The page after or before another: take it from a `next` or `previous` link.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, default {self.page_size}; larger values are capped at "
                f"{self.max_page_size}.",
                "schema": {"type": "integer", "minimum": 1, "default": self.page_size},
            },
        ]

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {"next": link, "previous": link, "results": schema},
        }
