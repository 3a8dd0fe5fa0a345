"""Tilfreds settings: one module, every choice made by environment variables.

Zero configuration gives the embedded demo: SQLite, Celery tasks run in-process, DEBUG on.
A real deployment names its database (DATABASE_URL) and broker (REDIS_URL), turns DEBUG off and must
provide DJANGO_SECRET_KEY. `.env.example` lists every variable.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# The embedded demo is the only set-up without a DATABASE_URL, so DEBUG defaults on there and off
# everywhere else: a deployment that forgets DJANGO_DEBUG gets production behaviour, not a debug page.
DEBUG = env.bool("DJANGO_DEBUG", default="DATABASE_URL" not in os.environ)

_DEMO_ONLY_KEY = "django-insecure-tilfreds-demo-only"  # used only with DEBUG on
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set. Production settings (DJANGO_DEBUG=0) refuse to start without "
            "a secret key; generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    SECRET_KEY = _DEMO_ONLY_KEY

# Local names answer by default, with DEBUG off too, so `make serve` and health probes from the same
# host work out of the box; a deployment adds its public name(s).
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    # Login security: lockout after repeated failures, and TOTP second factor (core.security).
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Shared typed pieces (errors, policy base, chunking, paging, formats); imports no app.
    "core",
    # Dependencies point one way: followups -> surveys -> customers.
    "customers",
    "surveys",
    "followups",
    # The sales API reads all three apps, so it sits on top of them.
    "sales",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves the collected static files (hashed, compressed) from the app server itself: no separate
    # web server is needed for the admin's CSS or the API docs' JavaScript. https://whitenoise.readthedocs.io/
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # A signed-in user's chosen language over LocaleMiddleware's guess (core.i18n).
    "core.middleware.UserLanguageMiddleware",
    # Gives request.user is_verified() (a session proven by a TOTP device); the next one enforces it.
    "django_otp.middleware.OTPMiddleware",
    "core.middleware.RequireTwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "core.middleware.AdminContentSecurityPolicyMiddleware",
    # Last, as axes requires: turns a login refused for lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Services own their transactions; a request-wide transaction would hide where they begin and end.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo runs web, in-process tasks and management commands against one file: wait for a lock
    # rather than fail with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Covering indexes (INCLUDE) serve the nightly recalculation on PostgreSQL; SQLite, the demo database,
# builds the same indexes without the extra columns, which is all the warning says.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = env.str("DJANGO_LANGUAGE_CODE", default="en")
# Each language in its own name: the switch in the admin header must be readable to whoever needs it.
LANGUAGES = [("nb", "Norsk"), ("en", "English")]
# The app's catalogues (nb, en): regenerated by `make messages`, compiled to .mo by the set-up.
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True
# Dates, times and number separators per language (config/formats/): nb 01.12.2026 16:00 and
# 1 234 567,5; en 1 Dec 2026 16:00 and 1,234,567.5. core.formats builds every shown number on them.
FORMAT_MODULE_PATH = ["config.formats"]
# Grouped numbers wherever a value is localized (admin lists, {{ n }} in templates). Form inputs are
# not localized unless a field asks (localize=True), so ids, org numbers and amounts typed into
# forms round-trip unchanged; a number put into a URL or an attribute needs |unlocalize.
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
# With DEBUG off, static files are served from STATIC_ROOT under content-hashed names (cacheable for a
# year) with gzip and brotli copies, so `collectstatic` must run before the server starts (make serve
# and the Dockerfile do). The test suite, which renders pages without collecting, sets
# DJANGO_STATIC_MANIFEST=0; the browser tests run against the collected, hashed files.
_STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

# Import uploads can be large ERP exports; keep them on disk rather than in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

EMAIL_BACKEND = env.str(
    "DJANGO_EMAIL_BACKEND",
    default="django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env.str("DJANGO_EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("DJANGO_EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("DJANGO_EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("DJANGO_EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("DJANGO_EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="Tilfreds <tilfreds@localhost>")
# Seconds an SMTP connect or reply may take. Notifications are sent inside the transaction that
# holds the follow-up's row lock (so a failed send rolls the claim back); without a timeout a hung
# mail server would hold that lock, and a worker slot, forever.
EMAIL_TIMEOUT = env.int("DJANGO_EMAIL_TIMEOUT", default=10)

# --- Security: production values unless DEBUG, so `check --deploy` is clean with production settings.
# Only behind a TLS-terminating proxy that sets X-Forwarded-Proto (and strips it from clients):
# trusted unconditionally, any client could claim to be on HTTPS. See README, "Deploying".
if env.bool("DJANGO_BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The health check answers on plain HTTP too: load balancers and compose probe it from inside.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Secure cookies need HTTPS; a trial over plain HTTP on a LAN address turns them off (browsers accept
# them on http://localhost).
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Customers answering a survey get a page in their language, not Django's developer-facing 403.
CSRF_FAILURE_VIEW = "surveys.views.csrf_failure"

# --- Login security (django-axes: https://django-axes.readthedocs.io/en/latest/4_configuration.html)
# The lockout check first: a locked-out login is refused before its password is even checked.
AUTHENTICATION_BACKENDS = [
    "core.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong tries lock the username, and separately the address they came from: guessing one
# user's password from many addresses, or many users' from one address, both stop after five.
AXES_FAILURE_LIMIT = env.int("TILFREDS_LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Long enough to make guessing hopeless (a few tries per quarter hour), short enough that a person
# who mistyped can go on without help. A lead or superuser unlocks sooner (admin, Access attempts).
AXES_COOLOFF_TIME = timedelta(minutes=env.int("TILFREDS_LOGIN_COOLOFF_MINUTES", default=15))
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "core.security.lockout"
AXES_CLIENT_IP_CALLABLE = "core.security.client_ip"
# X-Forwarded-For is a client's claim unless our own proxy wrote it (core.security.client_ip).
TILFREDS_TRUST_X_FORWARDED_FOR = env.bool("DJANGO_BEHIND_TLS_PROXY", default=False)
# Password and token values never reach axes' logs or its access-attempt rows.
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token"]
# TOTP second factor: the issuer name shown in authenticator apps.
OTP_TOTP_ISSUER = "Tilfreds"
# On: staff reach the admin only in a session verified by their authenticator app, and are sent to
# enrol one first. Off (the default): a device is asked for at login only by those who have one.
TILFREDS_REQUIRE_2FA = env.bool("TILFREDS_REQUIRE_2FA", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate header makes an anonymous request a 401, not a 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Services raise core.errors.DomainError; this maps it to 400/403/409 once for every endpoint.
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Per user, counted in the shared cache; generous for a campaign tool paging through a list. With
    # the cache (Redis) down the limit is not enforced and a warning is logged, instead of every API
    # call answering 500 (core.throttling).
    "DEFAULT_THROTTLE_CLASSES": ["core.throttling.FailOpenUserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": env.str("TILFREDS_API_RATE", default="3000/hour")},
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tilfreds API",
    "DESCRIPTION": "Customers, satisfaction and follow-up for B2B account management. Amounts are NOK; "
    "times are ISO 8601. Authenticate with `Authorization: Token <key>` (python manage.py drf_create_token).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The docs page's JavaScript and CSS come from the installed sidecar package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

REDIS_URL = env.str("REDIS_URL", default="")
# API throttling counts requests in the cache, so every web process must share one: Redis when there
# is one, process memory in the single-process demo.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # redis-py waits forever by default; a throttle check that hangs on an unreachable Redis would
        # hold the request as surely as an error fails it. Fail fast, and the throttles fail open.
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}

# --- Celery (https://docs.celeryq.dev/en/stable/userguide/configuration.html)
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-url
CELERY_BROKER_URL = REDIS_URL or "memory://"
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#result-backend
CELERY_RESULT_BACKEND = REDIS_URL or None
# Without a broker the demo runs every task in-process, in the caller, so nothing needs a worker.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-always-eager
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#timezone
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-serializer
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#result-expires
CELERY_RESULT_EXPIRES = 24 * 3600
# Publishing a task also subscribes the caller to its result on Redis; by default that retries 20
# times a second apart, so with Redis down every POST of a detractor answer took about 20 s (the
# chaos bench saw 19 s). Fail as fast as the publish does: the answer is stored, reconciliation
# creates its follow-up. https://docs.celeryq.dev/en/stable/userguide/configuration.html#result-backend-transport-options
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
}
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#redis-socket-connect-timeout
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# A message is redelivered if not acked within this window; every task's hard time limit plus its
# longest retry delay must stay well under it, or a slow task would run twice.
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
# The socket timeouts make a publish to a dead Redis fail within seconds instead of hanging a request:
# the caller logs it and the reconciliation jobs repair what the lost message would have done.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3 * 3600,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-connection-timeout
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-publish-retry-policy
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# A task whose worker process dies (SIGKILL, out of memory) goes back on the queue instead of being
# acknowledged as failed; every task is idempotent, so running it again is safe.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-reject-on-worker-lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_ACKS_LATE = True
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#worker-prefetch-multiplier
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#task-time-limit
CELERY_TASK_SOFT_TIME_LIMIT = 15 * 60
CELERY_TASK_TIME_LIMIT = 20 * 60
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#broker-connection-retry-on-startup
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# https://django-celery-beat.readthedocs.io/en/latest/#example-creating-interval-based-periodic-task
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Write each entry's last_run_at back after every task sent (about one small write a minute) instead
# of every 3 minutes, so /health/ sees beat's heartbeat as soon as it is sent.
# https://docs.celeryq.dev/en/stable/userguide/configuration.html#beat-sync-every
CELERY_BEAT_SYNC_EVERY = 1
CELERY_BEAT_SCHEDULE = {
    # Nightly, when nobody works the admin and ERP imports of the previous day have landed; the run
    # moves the 12-month window one day, so once a day is exactly the cadence the rules need.
    "recalculate-tiers-nightly": {
        "task": "customers.recalculate_tiers",
        "schedule": crontab(hour=2, minute=0),
    },
    # Nightly, after the 02:00 tier recalculation: rebuilds every customer's latest NPS and account
    # NPS, repairing anything a failed per-answer refresh or a deleted answer left behind.
    "refresh-customer-satisfaction-nightly": {
        "task": "surveys.refresh_customer_satisfaction",
        "schedule": crontab(hour=2, minute=30),
    },
    # Every minute: no detractor waits more than about a minute for its follow-up when its message
    # was lost (broker down at commit, a whole worker SIGKILLed, leaving the message unacked for the
    # 3-hour visibility timeout). Cheap when nothing is missing: one anti-join over the partial index
    # of recent detractors (surveys response_detractor_idx) against the unique followup.response_id.
    "reconcile-followups": {
        "task": "followups.reconcile_followups",
        "schedule": 60.0,
        # A run still queued when the next is sent (a backlog, a worker down) is dropped, not piled up.
        "options": {"expires": 55},
    },
    # Every five minutes: an overdue follow-up reaches the leads (once per task) within minutes of its
    # due time; the claim is one indexed UPDATE, so running often costs nothing when none are due.
    "escalate-overdue-followups": {
        "task": "followups.escalate_overdue_followups",
        "schedule": crontab(minute="*/5"),
    },
    # Nightly, after the tier recalculation (02:00) and the satisfaction rebuild (02:30): the
    # dashboard's default views, computed once for the morning's first readers (followups.dashboard.cache).
    "warm-dashboards-nightly": {
        "task": "followups.warm_dashboards",
        "schedule": crontab(hour=3, minute=0),
    },
    # Daily, mid-morning on working days' clock: NPS invitations for purchases 14 days ago arrive when
    # people read email rather than at night.
    "invite-after-purchases": {
        "task": "surveys.invite_after_purchases",
        "schedule": crontab(hour=9, minute=30),
    },
    # Every minute: proves beat and a worker are alive (GET /health/ reads it); cheap, one row.
    "heartbeat": {
        "task": "core.record_heartbeat",
        "schedule": 60.0,
    },
    # Every few minutes: the invitation outbox; retries what a failed SMTP call or lost message left unsent.
    "send-pending-invitations": {
        "task": "surveys.send_pending_invitations",
        "schedule": crontab(minute="*/5"),
    },
}

# --- Tilfreds
# Who acts on an unhappy survey response: dotted paths to Celery tasks taking the response id. Wired
# here rather than imported by surveys, so the app dependency stays one-way (followups -> surveys).
TILFREDS_DETRACTOR_HANDLERS = ["followups.tasks.create_followup_for_response"]
# Public address of the app, for links in emails (survey links, unsubscribe, the admin).
# The default follows the port the demo is served on (make run PORT=...).
TILFREDS_BASE_URL = env.str("TILFREDS_BASE_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}")
# Customers per recalculation transaction: small enough that no chunk holds its row locks for more
# than about a second on PostgreSQL at 20 lines per customer (see docs/benchmarks.md).
TILFREDS_RECALCULATION_CHUNK_SIZE = env.int("TILFREDS_RECALCULATION_CHUNK_SIZE", default=20_000)
# A run that has not reported progress for this long is taken to be dead (a killed worker), so the
# next run may start instead of waiting forever behind it.
TILFREDS_RECALCULATION_STALE_AFTER_MINUTES = env.int("TILFREDS_RECALCULATION_STALE_AFTER_MINUTES", default=30)
