"""Keyset pagination over one or more ordered segments, for lists of a million customers.

Why not page numbers or DRF's CursorPagination: OFFSET reads and throws away every row before the page,
COUNT(*) reads them all, and CursorPagination orders by one field without a unique tiebreaker, so with
thousands of customers at revenue 0 it repeats or skips rows. Here every page is

    WHERE (key, id) > (last key, last id) ORDER BY key, id LIMIT page_size + 1

a row-value comparison PostgreSQL turns into one index range, so page 20 000 costs what page 1 costs.

A listing is a sequence of *segments*, each a queryset ordered by its keys (the last key unique, the
id). One segment is the plain case. Two serve a nullable ordering field: the rows with a value, then
the NULLs ordered by id (NULLS LAST on both databases, without relying on either's NULL ordering).
The upsell ranking uses one segment per relevance band. A page walks the segments from the cursor and
makes at most one query per segment it touches, whatever the page size.

The cursor is opaque to clients: base64 of [listing, segment, key values of the edge row, backward].
`listing` names the ordering (or ranking) it was made for; a cursor used with another one is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, F, Field, Func, Model, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.sql.compiler import SQLCompiler
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class RowComparison(Func):
    """`(a, b, ...) > (x, y, ...)`: compares rows lexicographically, as one index range on PostgreSQL.

    `lhs` are expressions over the queryset, `rhs` plain values bound as parameters. Both databases
    support row values (SQLite since 3.15).
    """

    output_field = BooleanField()

    def __init__(self, lhs: Sequence[Combinable], operator: str, rhs: Sequence[Value]) -> None:
        if operator not in {"<", ">"} or len(lhs) != len(rhs) or not lhs:
            raise ValueError("a row comparison needs < or > and two rows of the same, non-zero width")
        super().__init__(*lhs, *rhs)
        self.operator = operator
        self.width = len(lhs)

    def as_sql(
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        function: str | None = None,
        template: str | None = None,
        arg_joiner: str | None = None,
        **extra_context: Any,
    ) -> tuple[str, tuple[Any, ...]]:
        parts: list[str] = []
        params: list[Any] = []
        for expression in self.get_source_expressions():
            sql, expression_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(expression_params)
        left, right = ", ".join(parts[: self.width]), ", ".join(parts[self.width :])
        return f"({left}) {self.operator} ({right})", tuple(params)


@dataclass(frozen=True)
class Segment:
    """Rows of `queryset` ordered by `keys` (all ascending or all descending); the last key is unique.

    Keys name model fields or annotations of the queryset, and none of them may be NULL in it: the
    caller puts NULLs in a segment of their own.

    `first_key_twins` name columns of other joined tables that equal the first key in every row of
    the segment (satisfaction.customer_id beside customer.id). The cursor bounds them too: PostgreSQL
    does not carry `id > 900000` over a join to the twin, and would otherwise merge-join the other
    table's index from its start, reading every row before the cursor.
    """

    queryset: QuerySet[Any]
    keys: tuple[str, ...]
    descending: bool = False
    first_key_twins: tuple[str, ...] = ()

    def ordered(self, *, reverse: bool = False) -> QuerySet[Any]:
        descending = self.descending != reverse
        return self.queryset.order_by(*(F(key).desc() if descending else F(key).asc() for key in self.keys))

    def beyond(self, values: tuple[Any, ...], *, reverse: bool = False) -> QuerySet[Any]:
        """The rows after `values` in this segment's order (before them with reverse), same order."""
        after = ">" if self.descending == reverse else "<"
        bound = [
            Value(value, output_field=self.key_field(key))
            for key, value in zip(self.keys, values, strict=True)
        ]
        queryset = self.ordered(reverse=reverse).filter(
            RowComparison([F(key) for key in self.keys], after, bound)
        )
        # The row comparison implies first key >= its value (<= going down), and so for its twins.
        lookup = "gte" if after == ">" else "lte"
        return queryset.filter(**{f"{twin}__{lookup}": values[0] for twin in self.first_key_twins})

    def key_field(self, key: str) -> Field[Any, Any]:
        return self.queryset.query.resolve_ref(key).output_field

    def values_of(self, row: Model) -> tuple[Any, ...]:
        return tuple(getattr(row, key) for key in self.keys)


@dataclass(frozen=True)
class Cursor:
    listing: str
    segment: int
    values: tuple[Any, ...]
    backward: bool

    def encode(self) -> str:
        plain = [self.listing, self.segment, [_json_value(v) for v in self.values], self.backward]
        raw = json.dumps(plain, separators=(",", ":"), ensure_ascii=False).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _json_value(value: Any) -> Any:
    # Decimals as strings: a float would round 1234567.89 on its way through JSON. Times as ISO 8601
    # in UTC, which is how the database compares them (and what DateTimeField.to_python reads back).
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _invalid_cursor(
    message: str = "Invalid cursor: use the next/previous links as given.",
) -> ValidationError:
    return ValidationError({"cursor": [message]})


@dataclass(frozen=True)
class Page:
    """The rows of one page, each with the index of the segment it came from."""

    rows: list[tuple[int, Any]]


class KeysetPagination(BasePagination):
    """`?cursor=` and `?page_size=` (default 50, at most 500) over segments; answers next/previous/results."""

    page_size = DEFAULT_PAGE_SIZE
    max_page_size = MAX_PAGE_SIZE
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"

    def __init__(self) -> None:
        self.request: Request | None = None
        self.next_cursor: Cursor | None = None
        self.previous_cursor: Cursor | None = None

    def get_page_size(self, request: Request) -> int:
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        # One whole number, as the schema says: an empty or repeated page_size is refused rather than
        # read as the default or as its last value.
        try:
            size = int(values[0]) if len(values) == 1 else 0
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError({self.page_size_query_param: ["A whole number of at least 1 is required."]})
        # Capped rather than refused: a client asking for 10 000 gets the largest page we serve.
        return min(size, self.max_page_size)

    def decode_cursor(self, request: Request, listing: str, segments: Sequence[Segment]) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if not encoded:
            return None
        try:
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
            cursor_listing, segment, values, backward = json.loads(raw)
        except (ValueError, TypeError, binascii.Error):
            raise _invalid_cursor() from None
        if cursor_listing != listing:
            raise _invalid_cursor(
                "This cursor belongs to another ordering or to a ranking that has been recalculated since; "
                "start again without a cursor."
            )
        if (
            type(segment) is not int
            or not 0 <= segment < len(segments)
            or type(backward) is not bool
            or not isinstance(values, list)
            or len(values) != len(segments[segment].keys)
        ):
            raise _invalid_cursor()
        return Cursor(listing, segment, self._clean_values(segments[segment], values), backward)

    def _clean_values(self, segment: Segment, values: list[Any]) -> tuple[Any, ...]:
        cleaned = []
        for key, value in zip(segment.keys, values, strict=True):
            # Values come from the client: each must be a valid value of its column (the range of an
            # integer, no NUL in a string), or the database would fail on it instead of answering 400.
            if value is None or not isinstance(value, str | int) or isinstance(value, bool):
                raise _invalid_cursor()
            if isinstance(value, str) and "\x00" in value:
                raise _invalid_cursor()
            field = segment.key_field(key)
            try:
                python_value = field.to_python(value)
                field.run_validators(python_value)
                if isinstance(python_value, datetime):
                    if python_value.tzinfo is None:
                        raise _invalid_cursor()
                    # A hand-made time at the calendar's edge overflows here, as a 400, rather than
                    # in the database adapter, as a 500.
                    python_value.astimezone(UTC)
            except (DjangoValidationError, OverflowError):
                raise _invalid_cursor() from None
            cleaned.append(python_value)
        return tuple(cleaned)

    def paginate_segments(self, request: Request, segments: Sequence[Segment], *, listing: str) -> Page:
        """Return the page the request's cursor points at, one query per segment touched at most."""
        self.request = request
        size = self.get_page_size(request)
        cursor = self.decode_cursor(request, listing, segments)
        if cursor is not None and cursor.backward:
            return self._walk_backward(segments, cursor, size)
        return self._walk_forward(segments, cursor, size, listing)

    def _walk_forward(
        self, segments: Sequence[Segment], cursor: Cursor | None, size: int, listing: str
    ) -> Page:
        # One row more than the page says whether there is a next page, without counting anything.
        wanted = size + 1
        rows: list[tuple[int, Any]] = []
        start = cursor.segment if cursor else 0
        for index in range(start, len(segments)):
            segment = segments[index]
            queryset = (
                segment.beyond(cursor.values) if cursor and index == cursor.segment else segment.ordered()
            )
            rows.extend((index, row) for row in queryset[: wanted - len(rows)])
            if len(rows) >= wanted:
                break
        has_more = len(rows) > size
        rows = rows[:size]
        self.next_cursor = self._cursor_at(segments, rows[-1], listing, backward=False) if has_more else None
        if cursor is None:
            self.previous_cursor = None
        elif rows:
            self.previous_cursor = self._cursor_at(segments, rows[0], listing, backward=True)
        else:
            # Past the end (the rows after the cursor went away): going back starts where it pointed.
            self.previous_cursor = Cursor(listing, cursor.segment, cursor.values, backward=True)
        return Page(rows)

    def _walk_backward(self, segments: Sequence[Segment], cursor: Cursor, size: int) -> Page:
        wanted = size + 1
        rows: list[tuple[int, Any]] = []
        for index in range(cursor.segment, -1, -1):
            segment = segments[index]
            if index == cursor.segment:
                queryset = segment.beyond(cursor.values, reverse=True)
            else:
                queryset = segment.ordered(reverse=True)
            rows.extend((index, row) for row in queryset[: wanted - len(rows)])
            if len(rows) >= wanted:
                break
        has_more = len(rows) > size
        rows = rows[:size][::-1]
        listing = cursor.listing
        self.previous_cursor = (
            self._cursor_at(segments, rows[0], listing, backward=True) if has_more else None
        )
        if rows:
            self.next_cursor = self._cursor_at(segments, rows[-1], listing, backward=False)
        else:
            self.next_cursor = Cursor(listing, cursor.segment, cursor.values, backward=False)
        return Page(rows)

    @staticmethod
    def _cursor_at(
        segments: Sequence[Segment], row: tuple[int, Any], listing: str, *, backward: bool
    ) -> Cursor:
        index, instance = row
        return Cursor(listing, index, segments[index].values_of(instance), backward)

    def _link(self, cursor: Cursor | None) -> str | None:
        if cursor is None or self.request is None:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.cursor_query_param, cursor.encode())

    def get_paginated_response(self, data: Any) -> Response:
        return Response(
            {
                "next": self._link(self.next_cursor),
                "previous": self._link(self.previous_cursor),
                "results": data,
            }
        )

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The next page, or null on the last one.",
                },
                "previous": {
                    "type": "string",
                    "nullable": True,
                    "format": "uri",
                    "description": "The previous page, or null on the first one.",
                },
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Opaque position from a `next` or `previous` link; omit it for the first page.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page: default {self.page_size}, larger values are capped at "
                f"{self.max_page_size}. Ignored by the CSV export, which returns every row.",
                "schema": {"type": "integer", "minimum": 1, "default": self.page_size},
            },
        ]
