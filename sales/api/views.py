"""Endpoints of the sales API: parse the parameters, call a selector, paginate or stream, shape rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.http import Http404, HttpResponseBase
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from core.pagination import KeysetPagination, Segment
from customers.models import Customer
from sales.permissions import CanViewCustomers
from sales.renderers import CSVRenderer, StrictFormatNegotiation, streaming_csv_response
from sales.selectors import (
    CustomerRow,
    attach_held_skus,
    customer_detail,
    customer_rows,
    customer_segments,
    explain_candidate,
    export_chunks,
    upsell_ranking,
    with_potential_factors,
)

from .filters import CustomerFilter, UpsellCandidateFilter
from .serializers import (
    CUSTOMER_EXPORT_COLUMNS,
    UPSELL_COLUMNS,
    VALIDATION_ERROR_SCHEMA,
    Column,
    CustomerDetailSerializer,
    CustomerRowSerializer,
    ErrorDetailSerializer,
    UpsellCandidateSerializer,
    csv_header,
    csv_values,
)

# Rows per database round trip of a CSV export; holdings come with one more query per chunk. Large
# enough that 100 000 rows are 50 round trips, small enough that a chunk is a few megabytes.
EXPORT_CHUNK_SIZE = 2000

JSON = JSONRenderer.media_type

FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", "csv"],
    description="csv: every row matching the filters as a ';'-separated UTF-8 file with a BOM and decimal "
    "commas (Norwegian Excel), streamed; cursor and page_size are ignored. Same as Accept: text/csv.",
)


def _error_responses(*, not_found: bool = False) -> dict[tuple[int, str], OpenApiResponse]:
    # Errors are JSON whatever format was asked for (SalesAPIView.handle_exception).
    detail = ErrorDetailSerializer
    responses = {
        (401, JSON): OpenApiResponse(detail, description="No or invalid credentials."),
        (403, JSON): OpenApiResponse(detail, description="Lacks the permission customers.view_customer."),
        (429, JSON): OpenApiResponse(
            detail, description="Too many requests; retry after Retry-After seconds."
        ),
    }
    responses[400, JSON] = OpenApiResponse(
        VALIDATION_ERROR_SCHEMA, description="Invalid parameters: {parameter: [message, ...]}."
    )
    if not_found:
        responses[404, JSON] = OpenApiResponse(detail, description="No such customer.")
    return responses


def _list_responses(serializer: type[CustomerRowSerializer]) -> dict[Any, Any]:
    return {
        (200, JSON): serializer(many=True),
        (200, CSVRenderer.media_type): OpenApiResponse(
            OpenApiTypes.STR, description="The CSV export (with ?format=csv or Accept: text/csv)."
        ),
        **_error_responses(),
    }


class SalesAPIView(generics.GenericAPIView):
    """What every sales endpoint shares: who may call it and JSON errors even for CSV.

    How often: the settings' per-user rate (core.throttling), as for every API view.
    """

    permission_classes = [CanViewCustomers]
    renderer_classes = [JSONRenderer, CSVRenderer]
    content_negotiation_class = StrictFormatNegotiation
    queryset = Customer.objects.none()

    def handle_exception(self, exc: Exception) -> Response:
        # A refused CSV request (400, 401, 403, 429) still answers with the JSON error body: a CSV of
        # {"detail": ...} helps no one, and the schema documents the errors as JSON.
        request = self.request
        if isinstance(getattr(request, "accepted_renderer", None), CSVRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def wants_csv(self) -> bool:
        return isinstance(self.request.accepted_renderer, CSVRenderer)

    def keyset_paginator(self) -> KeysetPagination:
        """The view's paginator: every paginated sales list pages by keyset."""
        paginator = self.paginator
        if not isinstance(paginator, KeysetPagination):
            raise ImproperlyConfigured(f"{type(self).__name__} needs pagination_class = KeysetPagination.")
        return paginator


def _export(
    name: str,
    segments: Sequence[Segment],
    columns: Sequence[Column],
    decorate: Callable[[list[tuple[int, CustomerRow]]], None] | None = None,
) -> HttpResponseBase:
    def rows() -> Iterator[list[Any]]:
        for chunk in export_chunks(segments, chunk_size=EXPORT_CHUNK_SIZE):
            if decorate is not None:
                decorate(chunk)
            for _, customer in chunk:
                yield csv_values(columns, customer)

    return streaming_csv_response(name, csv_header(columns), rows())


class CustomerListView(SalesAPIView):
    """Filter, sort and page through the customer base, or export it as CSV.

    Pages are keyset pages: follow `next` and `previous` as given; there is no total count. Customers
    without a latest NPS or a potential score sort last in both directions.
    """

    serializer_class = CustomerRowSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = CustomerFilter
    pagination_class = KeysetPagination

    @extend_schema(
        operation_id="customers_list",
        parameters=[FORMAT_PARAMETER],
        responses=_list_responses(CustomerRowSerializer),
    )
    def get(self, request: Request) -> HttpResponseBase:
        filterset = CustomerFilter(request.query_params, queryset=customer_rows(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        ordering = filterset.ordering_value
        segments = customer_segments(filterset.qs, ordering)
        if self.wants_csv():
            return _export("customers", segments, CUSTOMER_EXPORT_COLUMNS)
        paginator = self.keyset_paginator()
        page = paginator.paginate_segments(request, segments, listing=f"customers:{ordering}")
        customers = [customer for _, customer in page.rows]
        # One query for the whole page, whichever segments its rows came from.
        attach_held_skus(customers)
        return paginator.get_paginated_response(self.get_serializer(customers, many=True).data)


class UpsellCandidateListView(SalesAPIView):
    """GET /api/upsell-candidates/?product=SKU: whom to offer SKU, most relevant first, with reasons."""

    serializer_class = UpsellCandidateSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = UpsellCandidateFilter
    pagination_class = KeysetPagination

    @extend_schema(
        operation_id="upsell_candidates_list",
        description="Customers that lack the product, answered NPS above 6 last time and have no open "
        "follow-up, ranked by relevance (the best lift among the products they hold toward it; 0 when "
        "none), then id. Each row says why. Example: satisfied B and C customers lacking a product that "
        "look like A customers, as CSV: `?product=SKU&tier=B&tier=C&potential_min=60&format=csv`.",
        parameters=[FORMAT_PARAMETER],
        responses=_list_responses(UpsellCandidateSerializer),
    )
    def get(self, request: Request) -> HttpResponseBase:
        filterset = UpsellCandidateFilter(request.query_params, queryset=customer_rows(), request=request)
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        product = filterset.product_value
        ranking = upsell_ranking(product, filterset.qs)

        def explain(rows: list[tuple[int, CustomerRow]]) -> None:
            # Per page or export chunk: one query for the potential factors of all its customers.
            with_potential_factors([customer for _, customer in rows])
            for index, customer in rows:
                customer.upsell_driver = ranking.driver_of(index)
                customer.upsell_reason = explain_candidate(customer, customer.upsell_driver, product)

        if self.wants_csv():
            return _export(f"upsell-{product.sku}", ranking.segments, UPSELL_COLUMNS, explain)
        paginator = self.keyset_paginator()
        page = paginator.paginate_segments(request, ranking.segments, listing=ranking.listing)
        customers = [customer for _, customer in page.rows]
        attach_held_skus(customers)
        explain(page.rows)
        return paginator.get_paginated_response(self.get_serializer(customers, many=True).data)


class CustomerDetailView(SalesAPIView):
    """One customer with contacts, revenue by product over the last recalculation's window, and the
    latest 20 tier changes, survey answers and follow-ups."""

    serializer_class = CustomerDetailSerializer
    # One customer is not an export; JSON only.
    renderer_classes = [JSONRenderer]
    filter_backends: list[type] = []

    @extend_schema(
        operation_id="customers_retrieve",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Customer id.")
        ],
        responses={(200, JSON): CustomerDetailSerializer, **_error_responses(not_found=True)},
    )
    def get(self, request: Request, pk: str) -> Response:
        customer = customer_detail(int(pk)) if pk.isascii() and pk.isdigit() else None
        if customer is None:
            raise Http404("No such customer.")
        return Response(self.get_serializer(customer).data)
