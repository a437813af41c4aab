"""Settings, read from the environment.

Every default makes `make demo` work on a fresh machine. With DEBUG off the
app refuses to start on an insecure SECRET_KEY, without ALLOWED_HOSTS, or with
the sandbox enabled unless SANDBOX_ALLOW_WITHOUT_DEBUG says so.
Any value may also be read from a file named by `<NAME>_FILE` (for secrets).
"""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.FileAwareEnv()

INSECURE_KEY_PREFIX = "django-insecure-"
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A strict boolean: anything but a clear yes or no is a configuration error."""
    raw = env.str(name, default=str(default)).strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env.str(name, default=str(default)).strip()
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}") from None


def env_int_list(name: str, default: list[int]) -> list[int]:
    raw = env.list(name, default=[str(value) for value in default])
    try:
        return [int(value) for value in raw]
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be comma-separated whole numbers, not {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = env.str(name, default=str(default)).strip()
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {raw!r}") from None


def env_seconds(name: str, default: float) -> float:
    """A duration of at least one second (a deadline shorter than that could never hold a call)."""
    value = env_float(name, default)
    if not 1 <= value < float("inf"):
        raise ImproperlyConfigured(f"{name} must be at least 1 second, not {value}")
    return value


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env.str("SECRET_KEY", default=INSECURE_KEY_PREFIX + "demo-only-never-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
PORT = env_int("PORT", 8000)
SITE_URL = env.str("SITE_URL", default=f"http://127.0.0.1:{PORT}").rstrip("/")

# The local emulator of the vendor's API, mounted at /sandbox/.
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", DEBUG)
SANDBOX_ALLOW_WITHOUT_DEBUG = env_bool("SANDBOX_ALLOW_WITHOUT_DEBUG", False)
SANDBOX_RATE_LIMIT_PER_SECOND = env_int("SANDBOX_RATE_LIMIT_PER_SECOND", 30)
SANDBOX_RATE_LIMIT_BLOCK_SECONDS = env_int("SANDBOX_RATE_LIMIT_BLOCK_SECONDS", 60)
# With the sandbox as the vendor, customer pages say where its test clock stands (read from its control API).
DEMO_CLOCK_BANNER = env_bool("DEMO_CLOCK_BANNER", SANDBOX_ENABLED)
# Payments marked as test purchases (statusId TST) are processed, not ignored: on with the sandbox, never in production.
CLEVERBRIDGE_ACCEPT_TEST_PURCHASES = env_bool("CLEVERBRIDGE_ACCEPT_TEST_PURCHASES", SANDBOX_ENABLED)

if not DEBUG:
    if SECRET_KEY.startswith(INSECURE_KEY_PREFIX) or len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("SECRET_KEY is missing or insecure; set a long random value when DEBUG is off")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off")
    if SANDBOX_ENABLED and not SANDBOX_ALLOW_WITHOUT_DEBUG:
        raise ImproperlyConfigured(
            "SANDBOX_ENABLED is on while DEBUG is off; set SANDBOX_ALLOW_WITHOUT_DEBUG=true if that is intended"
        )

# Whom customers contact, shown wherever a page tells them to contact us (the demo's address by default).
SUPPORT_CONTACT = {
    "email": env.str("SUPPORT_EMAIL", default="support@example.com"),
    "url": env.str("SUPPORT_URL", default=""),
    "phone": env.str("SUPPORT_PHONE", default=""),
}

# The vendor's subscription API (the sandbox by default).
CLEVERBRIDGE_API_URL = env.str(
    "CLEVERBRIDGE_API_URL", default=f"http://127.0.0.1:{PORT}/sandbox/api" if SANDBOX_ENABLED else ""
).rstrip("/")
CLEVERBRIDGE_API_USER = env.str("CLEVERBRIDGE_API_USER", default="sandbox" if SANDBOX_ENABLED else "")
CLEVERBRIDGE_API_PASSWORD = env.str("CLEVERBRIDGE_API_PASSWORD", default="sandbox" if SANDBOX_ENABLED else "")
CLEVERBRIDGE_CONNECT_TIMEOUT = env_float("CLEVERBRIDGE_CONNECT_TIMEOUT", 5.0)
CLEVERBRIDGE_READ_TIMEOUT = env_float("CLEVERBRIDGE_READ_TIMEOUT", 20.0)
CLEVERBRIDGE_MAX_TRIES = env_int("CLEVERBRIDGE_MAX_TRIES", 3)
# Each call's whole time, tries, pauses and budget waits included. The confirm page makes a read, a preview and a
# commit in turn; all three must end, with a margin to record the outcome, before the web worker is killed
# (GUNICORN_TIMEOUT, which gunicorn.conf.py reads too). docs/client.md has the arithmetic.
CLEVERBRIDGE_READ_DEADLINE = env_seconds("CLEVERBRIDGE_READ_DEADLINE", 8.0)
CLEVERBRIDGE_PREVIEW_DEADLINE = env_seconds("CLEVERBRIDGE_PREVIEW_DEADLINE", 12.0)
CLEVERBRIDGE_COMMIT_DEADLINE = env_seconds("CLEVERBRIDGE_COMMIT_DEADLINE", 20.0)
GUNICORN_TIMEOUT = env_int("GUNICORN_TIMEOUT", 45)
WEB_TIMEOUT_MARGIN_SECONDS = 5.0
_confirm_seconds = CLEVERBRIDGE_READ_DEADLINE + CLEVERBRIDGE_PREVIEW_DEADLINE + CLEVERBRIDGE_COMMIT_DEADLINE
if _confirm_seconds + WEB_TIMEOUT_MARGIN_SECONDS > GUNICORN_TIMEOUT:
    raise ImproperlyConfigured(
        f"a confirmation (CLEVERBRIDGE_READ_DEADLINE + CLEVERBRIDGE_PREVIEW_DEADLINE + CLEVERBRIDGE_COMMIT_DEADLINE "
        f"= {_confirm_seconds:g} s) and {WEB_TIMEOUT_MARGIN_SECONDS:g} s to record its outcome do not fit in "
        f"GUNICORN_TIMEOUT ({GUNICORN_TIMEOUT} s); raise GUNICORN_TIMEOUT or lower the deadlines"
    )
# The vendor's request budget that every process draws from before calling (docs/vendor-budget.md): shared through
# Redis when there is one (by default the cache's, if that is Redis), else kept in this process's memory.
CLEVERBRIDGE_RATE_PER_SECOND = env_float("CLEVERBRIDGE_RATE_PER_SECOND", 25.0)
CLEVERBRIDGE_RATE_BURST = env_float("CLEVERBRIDGE_RATE_BURST", 4.0)
CLEVERBRIDGE_MAX_CONCURRENT = env_int("CLEVERBRIDGE_MAX_CONCURRENT", 4)
CLEVERBRIDGE_PROCESS_COUNT_HINT = env_int("CLEVERBRIDGE_PROCESS_COUNT_HINT", 4)
_cache_url = env.str("CACHE_URL", default="")
VENDOR_BUDGET_REDIS_URL = env.str(
    "VENDOR_BUDGET_REDIS_URL", default=_cache_url if _cache_url.startswith(("redis://", "rediss://")) else ""
)
# The vendor's subscription reads kept in the cache (docs/vendor-cache.md): fresh for this long, then shown only as
# the last known state, marked as such, while the vendor may not be called; forgotten after the second number.
VENDOR_CACHE_FRESH_SECONDS = env_int("VENDOR_CACHE_FRESH_SECONDS", 60)
VENDOR_CACHE_KEEP_SECONDS = env_int("VENDOR_CACHE_KEEP_SECONDS", 24 * 60 * 60)
if not 0 <= VENDOR_CACHE_FRESH_SECONDS <= VENDOR_CACHE_KEEP_SECONDS:
    raise ImproperlyConfigured(
        "VENDOR_CACHE_FRESH_SECONDS must be at least 0 and at most VENDOR_CACHE_KEEP_SECONDS, "
        f"not {VENDOR_CACHE_FRESH_SECONDS} and {VENDOR_CACHE_KEEP_SECONDS}"
    )

# Customer sign-in: emailed links, portal links from the vendor's product, idle sessions.
SIGN_IN_LINK_MINUTES = env_int("SIGN_IN_LINK_MINUTES", 15)
PORTAL_LINK_MINUTES = env_int("PORTAL_LINK_MINUTES", 5)
PORTAL_RETURN_HOSTS = env.list(
    "PORTAL_RETURN_HOSTS", default=["localhost", "127.0.0.1", "example.com"] if DEBUG else []
)
CUSTOMER_IDLE_MINUTES = env_int("CUSTOMER_IDLE_MINUTES", 30)

# Throttles, counted in the shared cache (docs/customers.md, "Throttles"). Sign-in: three links per address per
# 15 minutes (a link lives 15 minutes; a fourth mail helps nobody and makes a mail bomb), twenty requests per IP
# (a whole office behind one address signing in, with typos), each a vendor lookup drawn from the anonymous share.
# Portal sessions: the vendor's product asks once per customer click; a minute's worth per key and per IP stops a
# leaked or looping key from spending the vendor budget everyone shares.
SIGN_IN_EMAILS_PER_ADDRESS = env_int("SIGN_IN_EMAILS_PER_ADDRESS", 3)
SIGN_IN_REQUESTS_PER_IP = env_int("SIGN_IN_REQUESTS_PER_IP", 20)
SIGN_IN_THROTTLE_MINUTES = env_int("SIGN_IN_THROTTLE_MINUTES", 15)
PORTAL_SESSIONS_PER_KEY = env_int("PORTAL_SESSIONS_PER_KEY", 60)
PORTAL_SESSIONS_PER_IP = env_int("PORTAL_SESSIONS_PER_IP", 120)
PORTAL_THROTTLE_MINUTES = env_int("PORTAL_THROTTLE_MINUTES", 1)
for _name in (
    "SIGN_IN_EMAILS_PER_ADDRESS",
    "SIGN_IN_REQUESTS_PER_IP",
    "SIGN_IN_THROTTLE_MINUTES",
    "PORTAL_SESSIONS_PER_KEY",
    "PORTAL_SESSIONS_PER_IP",
    "PORTAL_THROTTLE_MINUTES",
):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be at least 1, not {vars()[_name]}")
# How many proxies we run in front of the app, each appending to X-Forwarded-For; 0 means clients connect directly
# and REMOTE_ADDR is their address. Too high a number lets any client choose the address it is counted under.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT must be 0 or more, not {TRUSTED_PROXY_COUNT}")

# Background work (Django's tasks API through the django-tasks backport): a database queue by default,
# worked by `manage.py db_worker`; no extra server needed.
TASKS = {"default": {"BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.DatabaseBackend")}}

# Changes: how long a quote may be consented to, and the consent text's version.
QUOTE_VALID_MINUTES = env_int("QUOTE_VALID_MINUTES", 15)
# A vendor subscription (a test one) that catalog product ids are checked against with a preview
# on save; 0 checks nothing. The demo uses the guide's subscription.
CATALOG_PROBE_SUBSCRIPTION_ID = env_int("CATALOG_PROBE_SUBSCRIPTION_ID", 68574751 if SANDBOX_ENABLED else 0)

# Payment notifications and reconciliation.
# The vendor POSTs PaidOrderNotifications to SITE_URL/cleverbridge/notifications/<secret>/ (no signature exists:
# a long random secret in the path, optionally HTTP Basic credentials too). Outcome-unknown commits are resolved
# by reads only: applied -> committed, not applied after the grace period -> failed, unresolved -> support.
DEMO_NOTIFICATION_SECRET = "demo-notification-secret-0123456789abcdef"
CLEVERBRIDGE_NOTIFICATION_SECRET = env.str(
    "CLEVERBRIDGE_NOTIFICATION_SECRET", default=DEMO_NOTIFICATION_SECRET if DEBUG else ""
)
CLEVERBRIDGE_NOTIFICATION_USER = env.str("CLEVERBRIDGE_NOTIFICATION_USER", default="")
CLEVERBRIDGE_NOTIFICATION_PASSWORD = env.str("CLEVERBRIDGE_NOTIFICATION_PASSWORD", default="")
NOTIFICATION_MAX_BYTES = env_int("NOTIFICATION_MAX_BYTES", 1024 * 1024)
NOTIFICATION_RETRY_SECONDS = env_int("NOTIFICATION_RETRY_SECONDS", 5)
NOTIFICATION_PENDING_GIVE_UP_HOURS = env_int("NOTIFICATION_PENDING_GIVE_UP_HOURS", 24)
# A purchase's replays beyond this many keep only their headers, time, link, and the body's hash and size.
NOTIFICATION_REPLAYS_KEPT_IN_FULL = env_int("NOTIFICATION_REPLAYS_KEPT_IN_FULL", 3)
# Deliveries with the right secret accepted per client address and minute (in the shared cache); beyond: 429.
NOTIFICATION_RATE_PER_MINUTE = env_int("NOTIFICATION_RATE_PER_MINUTE", 600)
RECONCILE_BACKOFF_SECONDS = env_int_list("RECONCILE_BACKOFF_SECONDS", [5, 15, 30, 60, 300, 900, 3600])
RECONCILE_GRACE_SECONDS = env_int("RECONCILE_GRACE_SECONDS", 120)
RECONCILE_GIVE_UP_HOURS = env_int("RECONCILE_GIVE_UP_HOURS", 24)
RECONCILE_STUCK_COMMITTING_SECONDS = env_int("RECONCILE_STUCK_COMMITTING_SECONDS", 300)
# How long a sent commit that ended refused or not applied is still read, in case the vendor applied it after all.
RECONCILE_AFTER_ERROR_HOURS = env_int("RECONCILE_AFTER_ERROR_HOURS", 24)
# The sandbox's notification sender: where it delivers, and its retry schedule (the vendor's: every 2 h for 48 h).
SANDBOX_NOTIFICATION_URL = env.str(
    "SANDBOX_NOTIFICATION_URL", default=f"{SITE_URL}/cleverbridge/notifications/{CLEVERBRIDGE_NOTIFICATION_SECRET}/"
)
SANDBOX_NOTIFICATION_RETRY_SECONDS = env_int("SANDBOX_NOTIFICATION_RETRY_SECONDS", 2 * 60 * 60)
SANDBOX_NOTIFICATION_RETRY_FOR_HOURS = env_int("SANDBOX_NOTIFICATION_RETRY_FOR_HOURS", 48)
SANDBOX_NOTIFICATION_TIMEOUT = env_float("SANDBOX_NOTIFICATION_TIMEOUT", 10.0)
if not DEBUG and len(CLEVERBRIDGE_NOTIFICATION_SECRET) < 32:
    raise ImproperlyConfigured(
        "CLEVERBRIDGE_NOTIFICATION_SECRET is missing or shorter than 32 characters; "
        "set a long random value when DEBUG is off"
    )
if bool(CLEVERBRIDGE_NOTIFICATION_USER) != bool(CLEVERBRIDGE_NOTIFICATION_PASSWORD):
    raise ImproperlyConfigured(
        "set both CLEVERBRIDGE_NOTIFICATION_USER and CLEVERBRIDGE_NOTIFICATION_PASSWORD, or neither"
    )

INSTALLED_APPS = [
    "subscriptions.apps.StaffAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "subscriptions",
]
if SANDBOX_ENABLED:
    INSTALLED_APPS.append("sandbox")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Security headers on everything but static files (answered above): README, "Security headers".
    "csp.middleware.CSPMiddleware",
    "selfservice.middleware.PermissionsPolicyMiddleware",
    "selfservice.middleware.NoStoreMiddleware",
    # Pages only (static files are answered above, precompressed); Django's gzip adds random bytes against BREACH.
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "selfservice.middleware.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "selfservice.urls"
WSGI_APPLICATION = "selfservice.wsgi.application"
ASGI_APPLICATION = "selfservice.asgi.application"

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
                "subscriptions.views.context.support_contact",
                "subscriptions.views.context.demo_clock",
            ],
        },
    },
]

DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (one per gunicorn thread), checked before reuse: a delivery does not pay for a new one.
DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("CONN_MAX_AGE", 60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# SQLite, the zero-setup default, is shared by the web process and the worker: in WAL mode readers never wait for
# the writer; every transaction takes the write lock when it begins (IMMEDIATE), so it waits its turn (timeout)
# instead of failing at once on upgrading a read lock; with WAL, synchronous=NORMAL is still safe against corruption.
# https://docs.djangoproject.com/en/5.2/ref/databases/#sqlite-notes
SQLITE_BUSY_TIMEOUT_SECONDS = 20
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
        }
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    # The same cache, degrading to misses and dropped writes while Redis is away (selfservice/cache.py).
    CACHES["default"]["BACKEND"] = "selfservice.cache.ResilientRedisCache"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="selfservice@localhost")

SESSION_COOKIE_AGE = CUSTOMER_IDLE_MINUTES * 60
# The expiry is renewed by selfservice.middleware at most every SESSION_REFRESH_SECONDS, not on every request.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_REFRESH_SECONDS = env_int("SESSION_REFRESH_SECONDS", 60)
if not 0 <= SESSION_REFRESH_SECONDS < SESSION_COOKIE_AGE:
    raise ImproperlyConfigured("SESSION_REFRESH_SECONDS must be at least 0 and shorter than the idle timeout")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Scripts, styles and images from our own static files only: no inline code, no eval, no framing, forms post only
# here. htmx is told not to inject its indicator style (base.html) and site.css carries it instead.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    }
}

# HTTPS only in production: a year of HSTS for this host and its subdomains, plain HTTP redirected, except the
# container's health check, which calls http://127.0.0.1/healthz from inside.
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading binds the domain and all its subdomains into browsers for months: the domain's owner opts in, and until
# then the check that asks for it stays quiet.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# The header by which the TLS-terminating proxy says a request came over HTTPS ("Name: value"; empty: none is trusted).
_proxy_ssl_header = env.str("SECURE_PROXY_SSL_HEADER", default="" if DEBUG else "X-Forwarded-Proto: https").strip()
if _proxy_ssl_header:
    _name, _colon, _value = _proxy_ssl_header.partition(":")
    if not (_colon and _name.strip() and _value.strip()):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER must look like 'X-Forwarded-Proto: https', not {_proxy_ssl_header!r}"
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _name.strip().upper().replace("-", "_"), _value.strip())
else:
    SECURE_PROXY_SSL_HEADER = None

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "selfservice": {"level": LOG_LEVEL},
        "subscriptions": {"level": LOG_LEVEL},
        "sandbox": {"level": LOG_LEVEL},
        "django.security": {"level": "WARNING"},
    },
}
