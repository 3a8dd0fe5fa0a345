"""Schemathesis against /api/schema/: every operation of the API, fuzzed in process over WSGI.

Every operation (GET, POST and PATCH), positive and negative cases, derandomized and bounded (10
examples per mode), with a superuser token, and every check schemathesis has: no 5xx; documented
status codes, content types and headers; bodies that match the schema; schema-valid requests accepted
and schema-invalid ones refused; missing headers, unsupported methods, Allow headers, ignored auth;
use after free and resource availability (these need links between operations, which the schema has
none of, so they pass vacuously).

One allowance, made in the open (`accepted_unless_unknown_reference`): a schema-valid request may be
refused with 400 when the only fields blamed are references to stored data or the clock (a customer's
external ID, a SKU, a cursor, a user id, a time in the future), which no schema can know.
"""

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    allow_header_conformance,
    content_type_conformance,
    ensure_resource_availability,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from config.wsgi import application
from customers.models import Customer
from followups.models import FollowUpTask, Status
from tests.factories import FollowUpTaskFactory, SurveyResponseFactory, UserFactory
from tests.sales.helpers import affinity, customer, hold, product, satisfied

pytestmark = pytest.mark.django_db

# Production settings (the tests' defaults) redirect plain HTTP: say the proxy terminated TLS.
HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture
def _in_process_requests(settings) -> Iterator[None]:
    # Schemathesis calls the WSGI app as a server would, so Django's request signals fire. Their
    # close_old_connections would close the test's connection and lose its transaction (the test
    # client unhooks it the same way).
    settings.ALLOWED_HOSTS = ["localhost"]
    # Served as behind the TLS proxy (DJANGO_BEHIND_TLS_PROXY), so the HTTPS header below is believed
    # and production's redirect to HTTPS does not answer every request with a 301.
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(superuser) -> str:
    """A small data set that gives most operations something to return; the superuser's token."""
    sku, x, y = product("SKU-1"), product("X-1"), product("Y-1")
    affinity(x, sku, "3.100")
    affinity(y, sku, "1.200")
    manager = UserFactory.create(username="kari", first_name="Kari", last_name="Nordmann")
    for n in range(12):
        c = customer(
            tier="ABC"[n % 3],
            revenue_12m=Decimal(n * 100_000),
            contribution_margin_12m=Decimal(n * 10_000 - 30_000),
            potential_score=None if n % 4 == 0 else n * 8,
            account_manager=manager if n % 2 else None,
        )
        satisfied(c, None if n % 5 == 0 else n % 11, account_nps=str(n * 5))
        hold(c, *((x,) if n % 2 else (x, y))[: n % 3])
        SurveyResponseFactory.create(contact__customer=c, score=n % 11)
    FollowUpTaskFactory.create(response__contact__customer=c, assigned_to=manager)
    FollowUpTaskFactory.create(
        response__contact__customer=c,
        status=Status.DONE,
        outcome="recovered",
        completed_at=datetime(2026, 1, 5, tzinfo=ZoneInfo("Europe/Oslo")),
    )
    return Token.objects.create(user=superuser).key


@pytest.fixture
def api_schema(_in_process_requests, seeded: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, headers=HTTPS)


# Fields whose validity depends on stored rows or on the clock, not on their shape.
STORED_REFERENCES = {
    "customer",
    "product",
    "has_product",
    "lacks_product",
    "cursor",
    "assigned_to",
    "submitted_at",
}


def accepted_unless_unknown_reference(ctx: Any, response: Any, case: Any) -> bool | None:
    """positive_data_acceptance, except a 400 that blames only STORED_REFERENCES."""
    if response.status_code == 400:
        body = response.json()
        if isinstance(body, dict) and body and set(body) <= STORED_REFERENCES:
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    accepted_unless_unknown_reference,
    missing_required_header,
    unsupported_method,
    allow_header_conformance,
    ignored_auth,
    use_after_free,
    ensure_resource_availability,
]


def fuzz(operation, mode: GenerationMode, token: str, **fixed: Any) -> None:
    customer_id = fixed.pop("customer", None)

    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @hypothesis_settings(
        max_examples=10,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        if customer_id is not None and mode is GenerationMode.POSITIVE and isinstance(case.body, dict):
            # A generated external ID names no customer; a real one lets the scores be checked.
            # (Not in negative cases: the wrong part may be the customer field.)
            case.body["customer"] = customer_id
        case.call_and_validate(headers={**HTTPS, "Authorization": f"Token {token}"}, checks=CHECKS)

    run()


# schemathesis' own pytest integration (schema.parametrize) does not run on pytest 9 (it sets
# Node._nodeid, which pytest 9 no longer has), so the operations are walked here, one subtest each.
def test_every_operation_survives_fuzzing_and_matches_its_schema(api_schema, seeded, subtests):
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {op.label for op in operations} >= {
        "GET /api/customers/",
        "GET /api/customers/{id}/",
        "GET /api/upsell-candidates/",
        "GET /api/followups/",
        "GET /api/followups/{id}/",
        "PATCH /api/followups/{id}/",
        "POST /api/followups/{id}/take/",
        "GET /api/metrics/nps/",
        "POST /api/survey-responses/",
    }

    # A random SKU or id almost never exists, so these also run with real ones, the rest generated.
    open_task = FollowUpTask.objects.filter(status=Status.OPEN).earliest("pk").pk
    with_real_values = {
        "GET /api/upsell-candidates/": {"query": {"product": "SKU-1"}},
        "GET /api/customers/{id}/": {"path_parameters": {"id": Customer.objects.earliest("pk").pk}},
        "GET /api/followups/{id}/": {"path_parameters": {"id": open_task}},
        "PATCH /api/followups/{id}/": {"path_parameters": {"id": open_task}},
        "POST /api/followups/{id}/take/": {"path_parameters": {"id": open_task}},
        "POST /api/survey-responses/": {"customer": Customer.objects.earliest("pk").external_id},
    }
    runs = [(operation, mode, {}) for operation in operations for mode in GenerationMode]
    runs += [
        (operation, mode, with_real_values[operation.label])
        for operation in operations
        if operation.label in with_real_values
        for mode in GenerationMode
    ]

    for operation, mode, fixed in runs:
        with subtests.test(operation=operation.label, mode=mode.value, fixed=fixed):
            try:
                fuzz(operation, mode, seeded, **dict(fixed))
            except Unsatisfiable:
                # No case of this mode exists (e.g. no parameter to get wrong): nothing to check here.
                continue


def test_chains_of_operations_along_the_inferred_links_match_the_schema(api_schema, seeded):
    # Schemathesis infers links from the schema (a list's ids into its detail, PATCH and take) and
    # walks short chains of calls, each response checked as above.
    headers = {**HTTPS, "Authorization": f"Token {seeded}"}

    class Machine(api_schema.as_state_machine()):
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(
            self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            # The headers are named so that ignored_auth knows the token was ours, not generated.
            case.validate_response(response, checks=CHECKS, headers=headers, transport_kwargs=kwargs or None)

    Machine.run(
        settings=hypothesis_settings(
            max_examples=10,
            stateful_step_count=5,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
