"""Settings, read from the environment with safe development defaults.

DJANGO_ENV            development (default) | production
DJANGO_SECRET_KEY     required in production
WEBHOOK_SECRET_KEYS   required in production: Fernet keys (comma list) encrypting webhook secrets
DATABASE_URL          default: SQLite in var/; postgres://user@host:port/name for PostgreSQL
DATABASE_PARALLEL_WORKERS  PostgreSQL parallel workers per query, default 0
DATABASE_RANDOM_PAGE_COST  PostgreSQL planner cost of a random page read, default 1.1
ALLOWED_HOSTS         comma list
CSRF_TRUSTED_ORIGINS  comma list of https://host origins (admin behind a proxy)
SECURE_PROXY_SSL_HEADER  e.g. "HTTP_X_FORWARDED_PROTO=https" when a proxy terminates TLS
DATABASE_HEALTH_CHECK_IDLE_SECONDS  a persistent connection idle this long is checked first
CACHE_URL             default: local memory; redis://host:6379/0 when several processes serve
API_THROTTLE_RATE     requests per API key, e.g. "1200/minute"
API_MAX_BODY_BYTES    request body limit, default 10 MiB
API_MAX_FIELDS_PER_OBJECT, API_MAX_OBJECTS_PER_ORG, API_MAX_SEARCH_ANY_GROUPS,
API_MAX_SEARCH_CONDITIONS, API_MAX_IN_VALUES, API_STATEMENT_TIMEOUT_SECONDS: see docs/api.md
"""

import base64
import hashlib
import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.postgres_session import session_options

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCT_NAME = "Recordbase"


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DJANGO_ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured(
        f"DJANGO_ENV must be 'development' or 'production', not {DJANGO_ENV!r}."
    )
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env_bool("DJANGO_DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is not set: production refuses to start without a secret key."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks_db",
    "axes",
    "api",
    "accounts",
    "records",
    "contacts",
    "webhooks",
]

MIDDLEWARE = [
    # First: every /api/ response gets its guid, envelope, HTTPS and size checks, and a log row.
    "api.middleware.ApiRequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: answers a locked-out login with a 429.
    "axes.middleware.AxesMiddleware",
]

# The admin login locks a user name, from one client address, after repeated failures
# (django-axes). Its backend goes first: it refuses a locked-out login before any password
# is checked. The API's keys are not passwords and are not counted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("ADMIN_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("ADMIN_LOGIN_COOLOFF_MINUTES", "15")))
# User name and address together: by address alone, everyone behind one proxy or NAT would be
# locked out by one person; by user name alone, anyone could lock out an administrator.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A success forgets the failures before it: typos spread over weeks never add up to a lockout.
AXES_RESET_ON_SUCCESS = True
# Failures and lockouts are logged either way; this only adds a banner to every process start.
AXES_VERBOSE = False

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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

# Database: SQLite in var/ unless DATABASE_URL says otherwise.
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        # Kept between requests only where the server's threads are bounded: config/gunicorn.py
        # sets 60 for its sync workers (one connection each). Elsewhere (the development
        # server starts a thread per client connection) each request closes its own.
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        # Not before every request (a SELECT 1 each): api.db_connections checks a kept
        # connection only after DATABASE_HEALTH_CHECK_IDLE_SECONDS without use.
        conn_health_checks=False,
    )
}
DATABASE_HEALTH_CHECK_IDLE_SECONDS = float(
    os.environ.get("DATABASE_HEALTH_CHECK_IDLE_SECONDS", "10")
)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Wait on locks rather than fail at once; WAL lets the server, the worker and readers work
    # beside a writer instead of queueing behind it.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A writing transaction takes the lock when it begins, so concurrent writers wait
            # their turn instead of failing with "database is locked" halfway through.
            "transaction_mode": "IMMEDIATE",
        }
    )
    # Tests use a file too: an in-memory database shares its cache between threads with
    # table locks that ignore the timeout, which is not how the product runs.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Planner settings per connection (config/postgres_session.py says why).
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = session_options(os.environ)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Background work: Django's Tasks framework, stored in the database (worker: manage.py db_worker).
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}
# A task row RUNNING for longer than this is taken for one whose worker died (killed, out of
# memory, its machine gone): the sweep and `schedule_periodic_tasks` mark it failed and start
# the periodic task again. Keep it well above the longest run of a periodic task.
TASK_STALE_AFTER_SECONDS = float(os.environ.get("TASK_STALE_AFTER_SECONDS", "300"))

# --- Webhooks ------------------------------------------------------------------------------
# Seconds before each attempt, after the event (first) or the previous failure: the Standard
# Webhooks schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then failed.
WEBHOOK_RETRY_SCHEDULE = [
    float(seconds)
    for seconds in env_list("WEBHOOK_RETRY_SCHEDULE", "0,5,300,1800,7200,18000,36000,36000")
]
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# A worker owns the deliveries it claimed this long; if it dies, another takes them over.
WEBHOOK_LEASE_SECONDS = float(os.environ.get("WEBHOOK_LEASE_SECONDS", "60"))
# Sends a worker keeps in flight at once (threads doing HTTP; the worker's one thread writes),
# and the most deliveries it claims at a time (never more than it has free senders).
WEBHOOK_SEND_CONCURRENCY = int(os.environ.get("WEBHOOK_SEND_CONCURRENCY", "32"))
WEBHOOK_CLAIM_SIZE = int(os.environ.get("WEBHOOK_CLAIM_SIZE", "32"))
# Sends to one endpoint in flight at once, across all workers: a slow, hanging or failing
# endpoint holds this many senders at most, and the other endpoints' deliveries go meanwhile.
WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = int(os.environ.get("WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT", "4"))
# SSRF guard: endpoints must be HTTPS on public addresses, unless development says otherwise.
WEBHOOK_REQUIRE_HTTPS = env_bool("WEBHOOK_REQUIRE_HTTPS", default=PRODUCTION)
WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", default=not PRODUCTION)
# Fernet keys that encrypt endpoint secrets at rest, comma-separated: the first encrypts, every
# one decrypts (rotation: add a key in front, run `reencrypt_webhook_secrets`, drop the old).
# Required in production; in development one is derived from SECRET_KEY.
WEBHOOK_SECRET_KEYS = env_list("WEBHOOK_SECRET_KEYS")
if not WEBHOOK_SECRET_KEYS:
    if PRODUCTION:
        raise ImproperlyConfigured(
            "WEBHOOK_SECRET_KEYS is not set: production refuses to start without the keys that "
            "encrypt webhook secrets (make one with `python -c 'from cryptography.fernet import "
            "Fernet; print(Fernet.generate_key().decode())'`)."
        )
    WEBHOOK_SECRET_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(b"recordbase webhook secrets:" + SECRET_KEY.encode()).digest()
        ).decode()
    ]
WEBHOOK_SECRET_OVERLAP_HOURS = float(os.environ.get("WEBHOOK_SECRET_OVERLAP_HOURS", "24"))
WEBHOOK_DISABLE_AFTER_DAYS = float(os.environ.get("WEBHOOK_DISABLE_AFTER_DAYS", "5"))
WEBHOOK_EVENT_RETENTION_DAYS = int(os.environ.get("WEBHOOK_EVENT_RETENTION_DAYS", "30"))

# --- The API -------------------------------------------------------------------------------
API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(10 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_THROTTLE_RATE = os.environ.get("API_THROTTLE_RATE", "1200/minute")
API_REQUEST_LOG_ENABLED = env_bool("API_REQUEST_LOG_ENABLED", default=True)
API_REQUEST_LOG_RETENTION_DAYS = int(os.environ.get("API_REQUEST_LOG_RETENTION_DAYS", "14"))
# How long the first response to an Idempotency-Key is kept and replayed to retries.
API_IDEMPOTENCY_RETENTION_HOURS = int(os.environ.get("API_IDEMPOTENCY_RETENTION_HOURS", "24"))
# A key reserved this long without an answer lost its request (the process died): a retry
# takes it over. Above gunicorn's request timeout (30 s) and the statement timeout.
API_IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS = float(
    os.environ.get("API_IDEMPOTENCY_IN_FLIGHT_TIMEOUT_SECONDS", "60")
)
# Bounds on what a tenant controls (docs/api.md, "Limits"): past one, a 400 naming it.
API_MAX_FIELDS_PER_OBJECT = int(os.environ.get("API_MAX_FIELDS_PER_OBJECT", "500"))
API_MAX_OBJECTS_PER_ORG = int(os.environ.get("API_MAX_OBJECTS_PER_ORG", "200"))
API_MAX_SEARCH_ANY_GROUPS = int(os.environ.get("API_MAX_SEARCH_ANY_GROUPS", "100"))
API_MAX_SEARCH_CONDITIONS = int(os.environ.get("API_MAX_SEARCH_CONDITIONS", "1000"))
API_MAX_IN_VALUES = int(os.environ.get("API_MAX_IN_VALUES", "1000"))
# PostgreSQL: how long one statement of an API request may run (0: no limit); past it a 503.
API_STATEMENT_TIMEOUT_SECONDS = float(os.environ.get("API_STATEMENT_TIMEOUT_SECONDS", "15"))
# Plain-HTTP API requests are refused (403), never redirected.
API_REQUIRE_HTTPS = env_bool("API_REQUIRE_HTTPS", default=PRODUCTION)
# How often a key's last_used_at is written: at most once a minute, not on every request.
API_KEY_LAST_USED_RESOLUTION_SECONDS = 60

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiKeyBearerAuthentication",
        "accounts.authentication.ApiKeyBasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "api.parsers.JSONParser",
        "api.parsers.FormParser",
        "api.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.JSONOnlyContentNegotiation",
    "EXCEPTION_HANDLER": "api.exception_handler.handle_exception",
    "DEFAULT_SCHEMA_CLASS": "api.schema.EnvelopeAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_PAGINATION_CLASS": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": f"{PRODUCT_NAME} API",
    "DESCRIPTION": (
        "Objects, typed fields, records and contacts for your organization. Every answer is "
        "wrapped in an envelope: `success`, `guid` (also in the `X-Request-Id` header) and "
        "`data` (with `pagination` on lists), or `errors`, `errorDetail` and "
        "`missingInputVars` on failure. Authenticate with `Authorization: Bearer <key>` or "
        "HTTP Basic with the key as the user name and an empty password. Request bodies are "
        "shown as JSON; `application/x-www-form-urlencoded` and `multipart/form-data` are "
        "accepted too, and GET and DELETE accept a body as well as the query string."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": [],
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SCHEMA_PATH_PREFIX": r"/api",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"ScopeEnum": "api.scopes.Scope"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.refuse_unknown_inputs",
        "api.schema.empty_means_default",
        "api.schema.link_created_resources",
    ],
}

# --- Security -------------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = None
if os.environ.get("SECURE_PROXY_SSL_HEADER"):
    header, _, value = os.environ["SECURE_PROXY_SSL_HEADER"].partition("=")
    SECURE_PROXY_SSL_HEADER = (header.strip(), (value or "https").strip())

if PRODUCTION:
    # The admin and pages redirect to HTTPS; the API answers plain HTTP with a 403 instead
    # (api.middleware), because a redirected API call would send its key in clear twice.
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^api(/|$)"]
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
APPEND_SLASH = False  # the API accepts both forms itself; nothing redirects

# --- Logging: every line carries the request guid ---------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_guid": {"()": "api.log_context.RequestGuidFilter"}},
    "formatters": {
        "standard": {
            "format": "%(asctime)s %(levelname)s [%(request_guid)s] %(name)s: %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_guid"],
            "formatter": "standard",
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Replaces Django's own console handler for "django", which would print lines twice.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.db.backends": {"level": "INFO"},
    },
}
