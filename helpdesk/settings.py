"""Settings, read from the environment (django-environ).

Defaults serve `make run` on a laptop with no service at all: SQLite, the in-memory channel layer and the
offline assistant. Production sets DEBUG=false, SECRET_KEY and ALLOWED_HOSTS (the app refuses to start without
them), DATABASE_URL (PostgreSQL) and REDIS_URL (channels-redis, required with several daphne processes).
"""

import os
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)

# One BLAS thread for numpy (FAQ search by meaning, faq/meaning.py): a product of that size gains little from a
# second core, and a process serving hundreds of chats, and its neighbours, have better use for it. Set here, before
# any app imports numpy; the environment may say otherwise.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdefghijklmnop"
SECRET_KEY = env.str("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
if not DEBUG:
    missing = [name for name, value in (("SECRET_KEY", SECRET_KEY), ("ALLOWED_HOSTS", ALLOWED_HOSTS)) if not value]
    if missing:
        raise ImproperlyConfigured(
            f"DEBUG is off: set {' and '.join(missing)} in the environment before starting the helpdesk."
        )
else:
    SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]

STORE_NAME = env.str("STORE_NAME", default="ShopExpress")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "helpdesk",
    "orders",
    "faq",
    "tickets",
    "conversations",
    "assistant",
    "chat",
    "desk",
    "analytics",
    "evaluation",
    "operations",
    "storefront",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
ASGI_APPLICATION = "helpdesk.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "helpdesk.context_processors.store",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the writer; IMMEDIATE transactions take the write lock up front so two
    # concurrent chats queue on the busy timeout instead of failing with "database is locked" on upgrade.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".test-db.sqlite3")}
    # A connection per thread, kept: opening one costs a connect, the pragmas above and Django's function
    # registrations, and every database hop of a turn (helpdesk.db.in_thread) would open and close one. SQLite has
    # no server to lose the connection; a connection left in a broken state or mid-transaction is still closed by
    # close_old_connections.
    DATABASES["default"]["CONN_MAX_AGE"] = None
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Turns run their queries on asyncio's pool of threads (chat/db.py), min(32, CPUs + 4) of them, plus the one
    # thread of thread-sensitive calls; each keeps its connection. Without a pool every query would start a new
    # PostgreSQL backend; with one smaller than the threads, queries would wait for a free connection.
    DATABASE_POOL_SIZE = env.int("DATABASE_POOL_SIZE", default=min(32, (os.cpu_count() or 1) + 4) + 2)
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    if DATABASE_POOL_SIZE:
        from psycopg_pool import ConnectionPool

        # `check`: a pooled connection is tested before it is handed out, so a database restart or a reset
        # connection costs one reconnect instead of a failed query (a turn that could not release its lease).
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 1, "max_size": DATABASE_POOL_SIZE, "timeout": 20,
            "check": ConnectionPool.check_connection}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Channels -------------------------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def channel_layers(redis_url: str) -> dict:
    """CHANNEL_LAYERS for `redis_url` (empty: the in-memory layer of a single process)."""
    if not redis_url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return {
        "default": {
            "BACKEND": "helpdesk.layers.ResilientRedisChannelLayer",  # Redis pub/sub: see helpdesk/layers.py
            # Connections get little time, so a Redis outage is noticed quickly (and retried in the background).
            # Pub/sub ignores Redis's database numbers: the prefix carries it, so /0 and /1 stay apart.
            "CONFIG": {
                "hosts": [{"address": redis_url, "socket_timeout": 15, "socket_connect_timeout": 3}],
                "prefix": "helpdesk" + (urlsplit(redis_url).path.strip("/") or "0"),
            },
        }
    }


CHANNEL_LAYERS = channel_layers(REDIS_URL)

# --- The assistant ----------------------------------------------------------------------------------------------
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
ANTHROPIC_MODEL = env.str("ANTHROPIC_MODEL", default="claude-sonnet-5-5")
ANTHROPIC_SMALL_MODEL = env.str("ANTHROPIC_SMALL_MODEL", default="claude-haiku-5-5")
ANTHROPIC_BASE_URL = env.str("ANTHROPIC_BASE_URL", default="") or None
ANTHROPIC_TIMEOUT_SECONDS = env.float("ANTHROPIC_TIMEOUT_SECONDS", default=60.0)
ANTHROPIC_MAX_RETRIES = env.int("ANTHROPIC_MAX_RETRIES", default=2)
ASSISTANT_MAX_TOKENS = env.int("ASSISTANT_MAX_TOKENS", default=1024)
ASSISTANT_MAX_TOOL_ROUNDS = env.int("ASSISTANT_MAX_TOOL_ROUNDS", default=6)
# The offline assistant's answers stream word by word at this pace, as a model's would (0: all at once). The tests,
# the evaluation harness and the demo seeding run without pacing.
OFFLINE_WORDS_PER_SECOND = env.float("OFFLINE_WORDS_PER_SECOND", default=30.0)
# Bounds on one model call: the wait for its first event, the gap between two events, and the whole call (the SDK's
# retries included). A hung model gets the customer an apology in seconds, not minutes.
LLM_FIRST_EVENT_TIMEOUT_SECONDS = env.float("LLM_FIRST_EVENT_TIMEOUT_SECONDS", default=20.0)
LLM_EVENT_GAP_TIMEOUT_SECONDS = env.float("LLM_EVENT_GAP_TIMEOUT_SECONDS", default=20.0)
LLM_CALL_DEADLINE_SECONDS = env.float("LLM_CALL_DEADLINE_SECONDS", default=90.0)
# A process answering a conversation holds a lease this long, renewed by its owner every third of it while the turn
# works (streaming and condensing included); when a process dies mid-turn, another takes the turn over once the
# lease has expired: seconds, not minutes.
TURN_LEASE_SECONDS = env.float("TURN_LEASE_SECONDS", default=10.0)
# Memory: past these, older turns are folded into the running summary (after the reply is sent).
MEMORY_MAX_CONTEXT_TOKENS = env.int("MEMORY_MAX_CONTEXT_TOKENS", default=6000)
MEMORY_MAX_TURNS = env.int("MEMORY_MAX_TURNS", default=20)
MEMORY_KEEP_RECENT_TURNS = env.int("MEMORY_KEEP_RECENT_TURNS", default=6)

# Knowledge base: an entry answers a question when its relevance (0..1, faq/search.py) reaches this bar; below it,
# search finds nothing and the question lands on the content-gaps page.
FAQ_RELEVANCE_BAR = env.float("FAQ_RELEVANCE_BAR", default=0.55)

# Business rules (enforced in code, never in the prompt).
REFUND_WINDOW_DAYS = env.int("REFUND_WINDOW_DAYS", default=30)
REFUND_APPROVAL_THRESHOLD = Decimal(env.str("REFUND_APPROVAL_THRESHOLD", default="200"))
MAX_FAILED_VERIFICATIONS = env.int("MAX_FAILED_VERIFICATIONS", default=5)
# Failed order look-ups are counted over this window per browser session, customer, client address and target email,
# across conversations: MAX_FAILED_VERIFICATIONS of them on any of those keys lock look-ups for that key.
LOOKUP_LOCKOUT_WINDOW_SECONDS = env.int("LOOKUP_LOCKOUT_WINDOW_SECONDS", default=3600)
# Tool calls the assistant may make while answering one customer message (assistant.tools.ToolBudget).
ASSISTANT_MAX_LOOKUPS_PER_MESSAGE = env.int("ASSISTANT_MAX_LOOKUPS_PER_MESSAGE", default=2)
ASSISTANT_MAX_TOOL_CALLS_PER_MESSAGE = env.int("ASSISTANT_MAX_TOOL_CALLS_PER_MESSAGE", default=8)

# Escalation thresholds (the source document's numbers).
ESCALATION_NEGATIVE_THRESHOLD = env.float("ESCALATION_NEGATIVE_THRESHOLD", default=-0.5)
ESCALATION_NEGATIVE_STREAK = env.int("ESCALATION_NEGATIVE_STREAK", default=3)
ESCALATION_UNRESOLVED_EXCHANGES = env.int("ESCALATION_UNRESOLVED_EXCHANGES", default=3)
ABUSE_STRIKES_BEFORE_ESCALATION = env.int("ABUSE_STRIKES_BEFORE_ESCALATION", default=3)

# Limits against unbounded consumption.
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=2000)
CHAT_RATE_LIMIT_MESSAGES = env.int("CHAT_RATE_LIMIT_MESSAGES", default=10)
CHAT_RATE_LIMIT_WINDOW_SECONDS = env.float("CHAT_RATE_LIMIT_WINDOW_SECONDS", default=10.0)
CHAT_MAX_TURNS_PER_HOUR = env.int("CHAT_MAX_TURNS_PER_HOUR", default=60)
CHAT_MAX_TOKENS_PER_DAY = env.int("CHAT_MAX_TOKENS_PER_DAY", default=400_000)
LLM_MAX_CONCURRENT_CALLS = env.int("LLM_MAX_CONCURRENT_CALLS", default=200)
# "Suggest a reply" in the desk's composers: drafts per agent per minute (one at a time), and the most one may take.
SUGGEST_REPLY_PER_AGENT_PER_MINUTE = env.int("SUGGEST_REPLY_PER_AGENT_PER_MINUTE", default=6)
SUGGEST_REPLY_DEADLINE_SECONDS = env.float("SUGGEST_REPLY_DEADLINE_SECONDS", default=45.0)

# --- Email and the links it carries ------------------------------------------------------------------------------
# EMAIL_URL picks Django's backend: consolemail:// (the default: printed by `make run`), filemail:///path (one file
# per message), smtp://user:password@host:587/?tls=True (production), locmemmail:// (tests). Emails are queued in
# the database with the change they announce and sent after commit, off the event loop, with retries
# (helpdesk/outbox.py).
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_TIMEOUT_SECONDS = env.int("EMAIL_TIMEOUT_SECONDS", default=20)
_query_options = {key.lower(): value for key, value in EMAIL_CONFIG.get("OPTIONS", {}).items()}  # smtp://…/?tls=True
for _flag in ("tls", "ssl"):
    if _flag in _query_options:
        EMAIL_CONFIG[f"EMAIL_USE_{_flag.upper()}"] = str(_query_options[_flag]).lower() in ("1", "true", "yes", "on")
_email_options = {"smtp": {"host": EMAIL_CONFIG.get("EMAIL_HOST"), "port": EMAIL_CONFIG.get("EMAIL_PORT"),
                           "username": EMAIL_CONFIG.get("EMAIL_HOST_USER"),
                           "password": EMAIL_CONFIG.get("EMAIL_HOST_PASSWORD"),
                           "use_tls": EMAIL_CONFIG.get("EMAIL_USE_TLS"), "use_ssl": EMAIL_CONFIG.get("EMAIL_USE_SSL"),
                           "timeout": EMAIL_TIMEOUT_SECONDS},
                  # filemail:///tmp/mail is /tmp/mail (django-environ drops the leading slash)
                  "filebased": {"file_path": "/" + EMAIL_CONFIG.get("EMAIL_FILE_PATH", "").lstrip("/")}}
MAILERS = {"default": {
    "BACKEND": EMAIL_CONFIG["EMAIL_BACKEND"],
    "OPTIONS": {name: value for name, value in
                _email_options.get(EMAIL_CONFIG["EMAIL_BACKEND"].rsplit(".", 2)[-2], {}).items()
                if value not in (None, "")},
}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{STORE_NAME} Support <support@example.com>")
EMAIL_MAX_ATTEMPTS = env.int("EMAIL_MAX_ATTEMPTS", default=6)
# Where customers reach the helpdesk: every link in an email starts with it. The default is what `make run` serves.
PUBLIC_URL = env.str("PUBLIC_URL", default=f"http://127.0.0.1:{env.int('PORT', default=8000)}").rstrip("/")
# A guest opens their ticket with a signed link from an email (no account): it expires after this many days.
TICKET_LINK_MAX_AGE_DAYS = env.int("TICKET_LINK_MAX_AGE_DAYS", default=30)

# --- Staffing: business hours and service levels ------------------------------------------------------------------
# When people answer: "mon-fri 09:00-18:00, sat 10:00-14:00" in BUSINESS_TIMEZONE; "always" (the default) means
# around the clock. Outside these hours, or when no agent is available, a hand-off becomes a follow-up by email.
BUSINESS_HOURS = env.str("BUSINESS_HOURS", default="always")
BUSINESS_TIMEZONE = env.str("BUSINESS_TIMEZONE", default="Europe/Paris")
# First-response targets per priority, in minutes (a person's first public reply, or joining the live chat).
SLA_FIRST_RESPONSE_MINUTES = {
    "urgent": env.int("SLA_URGENT_MINUTES", default=15),
    "high": env.int("SLA_HIGH_MINUTES", default=60),
    "medium": env.int("SLA_MEDIUM_MINUTES", default=8 * 60),
    "low": env.int("SLA_LOW_MINUTES", default=24 * 60),
}

# --- Auth, i18n, static ---------------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Tests only: hashing a password properly takes about a second by design; the test suite creates many.
if env.bool("FAST_PASSWORD_HASHING", default=False):
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "storefront:login"
LOGIN_REDIRECT_URL = "storefront:home"
LOGOUT_REDIRECT_URL = "storefront:home"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / ".staticfiles"
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security ---------------------------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Behind TLS (nginx terminates it, deploy/): HTTPS redirect, secure cookies, HSTS. On by default with DEBUG off;
# `make production` serves plain HTTP on 127.0.0.1 for trying the stack, and turns it off there.
HTTPS = env.bool("HTTPS", default=not DEBUG)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[
        f"{'https' if HTTPS else 'http'}://{h}" for h in ALLOWED_HOSTS])
    STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
if HTTPS:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Operations (deploy/) ------------------------------------------------------------------------------------------
# /metrics answers a request carrying `Authorization: Bearer <METRICS_TOKEN>`, or a staff user's.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# On SIGTERM (`manage.py serve`) a process stops accepting sockets and lets running turns finish for at most this
# long; then it stops the rest (their leases released, so another process answers at once) and closes its sockets.
SHUTDOWN_DRAIN_SECONDS = env.float("SHUTDOWN_DRAIN_SECONDS", default=20.0)

# --- Logging: every record passes through the PII filter --------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# plain: one readable line per record; json: one JSON object per line (helpdesk.logs), for a log collector.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is plain or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_pii": {"()": "helpdesk.pii.PiiMaskingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
                   "json": {"()": "helpdesk.logs.JsonLinesFormatter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_pii"], "formatter": LOG_FORMAT},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpx2": {"level": "WARNING"},
        "anthropic": {"level": "WARNING"},
    },
}
