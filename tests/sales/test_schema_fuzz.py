"""Schemathesis against /api/schema/: every GET operation of the API, fuzzed in process over WSGI.

Positive and negative cases per operation, derandomized and bounded (25 examples each), with a superuser
token. Checks:
no 5xx, documented status codes, content types and headers, and bodies that match the schema.
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
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from customers.models import Customer
from followups.models import Status
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


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def fuzz(operation, mode: GenerationMode, token: str, **fixed: Any) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @hypothesis_settings(
        max_examples=25,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(headers={**HTTPS, "Authorization": f"Token {token}"}, checks=CHECKS)

    run()


# schemathesis' own pytest integration (schema.parametrize) does not run on pytest 9 (it sets
# Node._nodeid, which pytest 9 no longer has), so the operations are walked here, one subtest each.
def test_every_get_operation_survives_fuzzing_and_matches_its_schema(api_schema, seeded, subtests):
    operations = [result.ok() for result in api_schema.include(method="GET").get_all_operations()]
    assert {op.path for op in operations} >= {
        "/api/customers/",
        "/api/customers/{id}/",
        "/api/upsell-candidates/",
    }

    # A random SKU or id almost never exists, so these also run with real ones, the rest generated.
    with_real_values = {
        "GET /api/upsell-candidates/": {"query": {"product": "SKU-1"}},
        "GET /api/customers/{id}/": {"path_parameters": {"id": Customer.objects.earliest("pk").pk}},
    }
    runs = [(operation, mode, {}) for operation in operations for mode in GenerationMode]
    runs += [
        (operation, GenerationMode.POSITIVE, with_real_values[operation.label])
        for operation in operations
        if operation.label in with_real_values
    ]

    for operation, mode, fixed in runs:
        with subtests.test(operation=operation.label, mode=mode.value, fixed=fixed):
            try:
                fuzz(operation, mode, seeded, **fixed)
            except Unsatisfiable:
                # No case of this mode exists (e.g. no parameter to get wrong): nothing to check here.
                continue
