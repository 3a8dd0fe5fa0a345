"""Fixtures of the sales API tests: clients per role and builders for satisfaction, holdings, affinity."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import UserFactory
from tests.sales.helpers import token_client


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> Iterator[None]:
    # The per-user rate limit counts in the cache, which outlives a test; start every test from zero.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def sales_user(db: None) -> Any:
    # password=None: no hashing, and API clients sign in by token anyway.
    user = UserFactory.create(username="selger", first_name="Siri", last_name="Salg", password=None)
    user.groups.add(Group.objects.get(name="Sales"))
    return user


@pytest.fixture
def sales_api(sales_user: Any) -> APIClient:
    return token_client(sales_user)


@pytest.fixture
def admin_api(superuser: Any) -> APIClient:
    return token_client(superuser)
