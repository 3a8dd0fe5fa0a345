"""seed_demo never puts a known-password superuser or demo rows into a database that is not the demo's."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

STRONG = "trial-hest-batteri-stift-81"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--customers", "20", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def test_with_debug_off_seed_demo_refuses_and_creates_no_user(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        seed()

    assert not get_user_model().objects.exists()
    assert not Customer.objects.exists()


def test_with_debug_off_if_empty_still_refuses_to_create_demo_demo(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--trial"):
        seed("--if-empty")

    assert not get_user_model().objects.filter(username="demo").exists()


def test_a_trial_with_debug_off_needs_a_password_from_the_environment(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.delenv("TILFREDS_DEMO_PASSWORD", raising=False)

    with pytest.raises(CommandError, match="TILFREDS_DEMO_PASSWORD"):
        seed("--trial")

    assert not get_user_model().objects.exists()


@pytest.mark.parametrize("password", ["demo", "short", "12345678901234"])
def test_a_trial_refuses_the_demo_password_and_weak_ones(settings, monkeypatch, password):
    settings.DEBUG = False
    monkeypatch.setenv("TILFREDS_DEMO_PASSWORD", password)

    with pytest.raises(CommandError, match="TILFREDS_DEMO_PASSWORD"):
        seed("--trial")

    assert not get_user_model().objects.exists()


def test_a_trial_gives_every_demo_login_the_environment_password_not_demo(settings, monkeypatch):
    settings.DEBUG = False
    monkeypatch.setenv("TILFREDS_DEMO_PASSWORD", STRONG)

    output = seed("--trial")

    demo = get_user_model().objects.get(username="demo")
    manager = get_user_model().objects.get(username="ingrid.solberg")
    assert demo.is_superuser
    assert demo.check_password(STRONG)
    assert not demo.check_password("demo")
    assert manager.check_password(STRONG)
    assert not any(user.check_password("demo") for user in get_user_model().objects.all())
    assert STRONG not in output
    assert "demo / demo" not in output


def test_a_database_with_a_real_customer_gets_no_demo_user_even_with_if_empty(debug_on):
    CustomerFactory()

    output = seed("--if-empty")

    assert not get_user_model().objects.filter(username="demo").exists()
    assert Customer.objects.count() == 1
    assert "not loaded" in output


def test_a_database_with_a_real_user_gets_no_demo_user_and_no_data(debug_on):
    get_user_model().objects.create_superuser(username="ops", email="ops@example.no", password="pw")

    with pytest.raises(CommandError, match="already has customers or users"):
        seed()

    assert list(get_user_model().objects.values_list("username", flat=True)) == ["ops"]
    assert not Customer.objects.exists()


def test_a_database_with_a_real_user_and_if_empty_creates_nothing(debug_on):
    get_user_model().objects.create_user(username="kari", password="pw")

    output = seed("--if-empty")

    assert list(get_user_model().objects.values_list("username", flat=True)) == ["kari"]
    assert not Customer.objects.exists()
    assert "No demo login was created" in output


def test_make_run_on_an_empty_database_with_debug_on_still_gives_demo_demo(debug_on, client):
    output = seed("--if-empty")

    assert Customer.objects.count() == 20
    assert "Log in as demo / demo." in output
    assert client.login(username="demo", password="demo")


def test_seed_demo_help_says_what_it_refuses():
    from followups.management.commands.seed_demo import Command

    assert "DEBUG off" in Command.help
    assert "--trial" in Command.help
    assert "TILFREDS_DEMO_PASSWORD" in Command.help
