"""compose.yaml and the Dockerfile say what the README promises (no container daemon runs in CI)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def _compose() -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / "compose.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_compose_runs_the_database_redis_web_worker_and_exactly_one_beat():
    services = _compose()["services"]

    assert {"db", "redis", "web", "worker", "beat"} <= set(services)
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    assert "deploy" not in services["beat"]  # no replicas: two beats would send every task twice


def test_every_long_running_service_restarts_and_the_stateful_ones_have_health_checks_and_volumes():
    compose = _compose()
    services = compose["services"]

    for name in ("db", "redis", "web", "worker", "beat"):
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("db", "redis", "web", "worker"):
        assert "healthcheck" in services[name], name
    assert "/health/" in " ".join(services["web"]["healthcheck"]["test"])
    assert {"pgdata", "redisdata", "media"} <= set(compose["volumes"])
    assert services["db"]["volumes"] == ["pgdata:/var/lib/postgresql/data"]


def test_the_app_waits_for_healthy_services_and_for_the_migrations():
    services = _compose()["services"]

    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["demo"]["profiles"] == ["demo"]


def test_compose_refuses_to_start_without_a_secret_key_rather_than_using_a_default():
    web_env = _compose()["services"]["web"]["environment"]

    assert web_env["DJANGO_SECRET_KEY"].startswith("${DJANGO_SECRET_KEY:?")


def test_the_image_installs_the_pinned_requirements_collects_static_files_and_runs_unprivileged():
    dockerfile = (ROOT / "Dockerfile").read_text()

    assert "pip install -r requirements.lock" in dockerfile
    assert "collectstatic" in dockerfile
    assert "\nUSER tilfreds\n" in dockerfile
    assert "gunicorn config.wsgi" in dockerfile


def test_the_image_compiles_the_translations_without_gnu_gettext():
    dockerfile = (ROOT / "Dockerfile").read_text()

    # Babel's compiler (core.catalogues), before collectstatic; the .mo files are not committed.
    assert "python -m core.catalogues compile" in dockerfile
    assert "*.mo" in (ROOT / ".gitignore").read_text().splitlines()
