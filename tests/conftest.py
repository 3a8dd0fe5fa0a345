import pytest
from django.contrib.auth import get_user_model


@pytest.fixture
def account_manager(db):
    return get_user_model().objects.create_user(
        username="kari", email="kari@example.no", password="pw", first_name="Kari", last_name="Nordmann"
    )


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser(
        username="admin", email="admin@example.no", password="pw"
    )
