"""All settings, read from the environment with safe local defaults.

Unset DATABASE_URL means a local SQLite file (the embedded default); unset REDIS_URL
means Celery tasks run in-process. DEBUG defaults to on only so that a fresh checkout
runs; production sets DEBUG=0 and gets the secure settings below.
"""

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name, default):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default):
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

_LOCAL_SECRET = "django-insecure-local-development-only-hvs-qa"
SECRET_KEY = os.environ.get("SECRET_KEY", _LOCAL_SECRET if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "django_filters",
    "django_celery_beat",
    "rules",
    "post_office",
    "axes",  # sign-in lockout (see "Sign-in" below)
    # The audit trail (before the audit app, whose admin replaces auditlog's).
    "auditlog",
    "hvs_qa",
    # The project's apps, lowest layer first (see the README's "Layout").
    "accounts",
    "peps",
    "notices",
    "reviews",
    "sampling",
    "practice",
    "imports",
    "audit",
    "access",
    "reporting",
    "web",
    "demo",
]

AUTHENTICATION_BACKENDS = [
    # First: refuses every sign-in, the right password too, while the account or address is
    # locked out (django-axes; see "Sign-in" below).
    "axes.backends.AxesStandaloneBackend",
    # The one access policy (access/policy.py): object permissions asked with has_perm.
    "rules.permissions.ObjectPermissionBackend",
    "access.backends.ModelPermissionBackend",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the session or the database: PostgreSQL refuses NUL bytes.
    "hvs_qa.middleware.RejectNulBytesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    # The audit trail: the signed-in user and their address on every entry a request writes.
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Signs out after SESSION_IDLE_TIMEOUT without activity and SESSION_COOKIE_AGE in all.
    "hvs_qa.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Issue 10 (hardening): CSP with a nonce per response, Permissions-Policy, no-store
    # (before axes, so that its lockout page gets them too).
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "hvs_qa.middleware.NoStoreMiddleware",
    # Last: turns a locked-out sign-in into the sign-in page with its message.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "hvs_qa.urls"

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
                "hvs_qa.context_processors.authority",
                "hvs_qa.context_processors.session_timeout",  # sign-in: the sign-out warning
                "web.navigation.context_processor",
            ],
        },
    },
]

WSGI_APPLICATION = "hvs_qa.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default builds reports in a thread beside the requests (and gunicorn
    # runs threads): WAL lets pages read while it writes, and a writer waits for the lock
    # rather than failing at once. IMMEDIATE: a transaction takes the write lock when it
    # begins, since one begun deferred that reads, then writes after another connection's
    # commit fails at once ("database is locked"), whatever the timeout.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side cursors (QuerySet.iterator: the exports, the imports, the batch jobs) are
    # read to the end here, so plan them for the whole result, not PostgreSQL's default of
    # the first 10% (which chose nested loops and made the ratings export 1.5-2x slower).
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c cursor_tuple_fraction=1.0")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    # Django's list of 20,000 passwords most common in breaches.
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Ours (accounts/password_validation.py), all offline: too few different characters;
    # only a season, month, day or the council's name with numbers and symbols; and
    # zxcvbn's estimate (its bundled breach and word lists, repeats, sequences, dates).
    {"NAME": "accounts.password_validation.VariedCharactersValidator"},
    {"NAME": "accounts.password_validation.PredictablePatternValidator"},
    {"NAME": "accounts.password_validation.GuessablePasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files (the board report PDFs). Never served as static files:
# reporting's download view checks who may read each one.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
MEDIA_URL = "media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# In development WhiteNoise serves straight from the finders; production serves the
# collected, hashed files.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# Children's data: sessions end with the browser and after a working day at most (counted
# from signing in: hvs_qa.middleware.SessionTimeoutMiddleware), and after
# SESSION_IDLE_TIMEOUT (see "Sign-in" below) without activity.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# --- Sign-in: lockout, passwords, sessions (issue 10; README "Signing in") -----------------
# django-axes counts failed sign-ins in the database (so across every worker and process)
# and locks out a username, and separately an address, after AXES_FAILURE_LIMIT failures
# for AXES_COOLOFF_MINUTES (our setting: axes' AXES_COOLOFF_TIME is made from it); an
# administrator unlocks it sooner (the admin's "Unlock sign-in" action on users, or
# "Access attempts"). A failure while locked restarts the wait.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_MINUTES = int(os.environ.get("AXES_COOLOFF_MINUTES", "30"))
AXES_COOLOFF_TIME = timedelta(minutes=AXES_COOLOFF_MINUTES)
# "username": each account; "ip_address": each address, whatever username it tries.
AXES_LOCKOUT_PARAMETERS = env_list("AXES_LOCKOUT_PARAMETERS", ["username", "ip_address"])
# Not axes' own reset on success: it also deletes every failure from the address, so signing
# in to one's own account would clear the failures against someone else's tried from there.
# accounts.lockout clears the signed-in username's failures only.
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
AXES_USERNAME_CALLABLE = "accounts.lockout.client_username"
# The client's address is REMOTE_ADDR unless the app sits behind this many reverse proxies
# that each append to X-Forwarded-For: then it is the entry that many from the right
# (anything further left is what the client sent, and could be made up).
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
# Password reset links work once, for this many seconds.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(60 * 60)))
# zxcvbn's score (0-4) a password needs.
PASSWORD_MIN_STRENGTH = int(os.environ.get("PASSWORD_MIN_STRENGTH", "3"))
# Signed out after this many seconds without activity; the page warns this many before.
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_IDLE_WARNING = int(os.environ.get("SESSION_IDLE_WARNING", str(2 * 60)))
# Activity is written to the session at most this often (seconds): a save per request
# would cost a write on every page.
SESSION_ACTIVITY_RESOLUTION = int(os.environ.get("SESSION_ACTIVITY_RESOLUTION", "10"))
# --- Issue 10 (hardening): security headers (README, "Security headers") --------------
# Content-Security-Policy (django-csp 4): scripts only from the service itself or carrying
# the response's nonce (request.csp_nonce, set in base.html); no inline style at all.
# CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only instead,
# for a rollout: browsers report violations (to CSP_REPORT_URI when set) but block nothing.
_CSP_DIRECTIVES: dict[str, Any] = {
    "default-src": [SELF],
    "script-src": [SELF, NONCE],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],
    "font-src": [SELF],
    "connect-src": [SELF],
    "object-src": [NONE],
    "base-uri": [SELF],
    "form-action": [SELF],
    "frame-ancestors": [NONE],
}
if os.environ.get("CSP_REPORT_URI"):
    _CSP_DIRECTIVES["report-uri"] = os.environ["CSP_REPORT_URI"]
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)
if CSP_REPORT_ONLY:
    CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": _CSP_DIRECTIVES}
else:
    CONTENT_SECURITY_POLICY = {"DIRECTIVES": _CSP_DIRECTIVES}
# Permissions-Policy (django-permissions-policy): no browser feature the service never uses.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "usb",
        "xr-spatial-tracking",
    )
}
# A search (a child's name) kept in the session under a token this many seconds (web/search.py).
SEARCH_TOKEN_SECONDS = int(os.environ.get("SEARCH_TOKEN_SECONDS", str(60 * 60)))

# Celery: with no REDIS_URL the tasks run in-process (the embedded default).
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without Redis the report PDFs are built in a thread of the web process, after the
# request that asked has answered ("thread"), never inside it; "inline" builds them in the
# caller, as eager Celery does (the tests' default). reporting/background.py.
REPORTS_IN_PROCESS = os.environ.get("REPORTS_IN_PROCESS", "thread")
REPORTS_IN_PROCESS_THREADS = int(os.environ.get("REPORTS_IN_PROCESS_THREADS", "1"))
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Fail fast when Redis is down. A request that queues work (preparing the board report,
# sending the social care reports, the outbox's delivery trigger) must answer within a
# couple of seconds and say so, not hang on Celery's defaults (about 19 s: the result
# store alone reconnects 20 times, a second apart) and then fail with a 500; what waits in
# the database (the outbox, a report request) is picked up when the service returns.
# Connecting gives up after CELERY_CONNECT_TIMEOUT seconds (Redis refusing, because it is
# down, is known at once); a command with no answer after CELERY_SOCKET_TIMEOUT (above
# kombu's 1 s BRPOP, so a worker's wait is not cut; redis-py tries a timed-out command
# three times). Publishing and the result store retry once, at once: the retry replaces a
# pooled connection that went stale when Redis restarted. (The result store takes its
# timeouts from CELERY_REDIS_*, not from its transport options.) tests/
# test_reporting_services.py checks this against a redis-server it starts and stops.
CELERY_CONNECT_TIMEOUT = float(os.environ.get("CELERY_CONNECT_TIMEOUT", "2"))
CELERY_SOCKET_TIMEOUT = float(os.environ.get("CELERY_SOCKET_TIMEOUT", "2"))
_FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BROKER_CONNECTION_TIMEOUT = CELERY_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": CELERY_CONNECT_TIMEOUT,
    "socket_timeout": CELERY_SOCKET_TIMEOUT,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = _FAIL_FAST
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = CELERY_CONNECT_TIMEOUT
CELERY_REDIS_SOCKET_TIMEOUT = CELERY_SOCKET_TIMEOUT
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": _FAIL_FAST}

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "virtual.school@example.gov.uk")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds: a mail server that does not answer must not hold a delivery for minutes.
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))
# The address people open links in e-mails at.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# The outbox (notices): django-post-office keeps the messages; notices.delivery sends them
# (not post_office's own Celery hook, which queues before the transaction commits).
POST_OFFICE = {"CELERY_ENABLED": False, "MESSAGE_ID_ENABLED": True, "LOG_LEVEL": 2}
# A refused message is retried after 1, 2, 4... minutes, at most 6 hours apart, ten times
# (about 15 hours, an SMTP outage overnight), then shown as failed for a person to resend.
OUTBOX_MAX_RETRIES = int(os.environ.get("OUTBOX_MAX_RETRIES", "10"))
OUTBOX_RETRY_BASE_SECONDS = int(os.environ.get("OUTBOX_RETRY_BASE_SECONDS", "60"))
OUTBOX_RETRY_MAX_SECONDS = int(os.environ.get("OUTBOX_RETRY_MAX_SECONDS", str(6 * 60 * 60)))
# Children are named in e-mails by LA reference and initials; full names only when the
# council's mail route to schools and social care is secure (e.g. a secure e-mail service).
MAIL_ROUTE_SECURE = env_bool("MAIL_ROUTE_SECURE", False)

# The amendment loop: a returned PEP is due back amended this many school days after its
# return (weekdays in term time, not bank holidays); reminded when overdue, then escalated
# to the officer and their manager this many school days after the reminder.
AMENDMENT_DUE_SCHOOL_DAYS = int(os.environ.get("AMENDMENT_DUE_SCHOOL_DAYS", "10"))
AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS = int(os.environ.get("AMENDMENT_ESCALATE_AFTER_SCHOOL_DAYS", "5"))

AUTHORITY_NAME = os.environ.get("AUTHORITY_NAME", "London Borough of Hillingdon")
VIRTUAL_SCHOOL_NAME = os.environ.get("VIRTUAL_SCHOOL_NAME", "Hillingdon Virtual School")

PEPS_PER_PAGE = int(os.environ.get("PEPS_PER_PAGE", "25"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every layout step at INFO: keep its warnings only.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# QA sampling: the policy's defaults, each overridable from the environment.
# Rates are fractions ("1/4", "0.25"); sizes are PEP counts.
QA_SAMPLING: dict[str, Any] = {
    "base_rate": os.environ.get("QA_BASE_RATE", "1/4"),
    "new_starter_rate": os.environ.get("QA_NEW_STARTER_RATE", "1/2"),
    "new_starter_days": int(os.environ.get("QA_NEW_STARTER_DAYS", "30")),
    "concern_rate": os.environ.get("QA_CONCERN_RATE", "1/2"),
    "concern_share": os.environ.get("QA_CONCERN_SHARE", "1/3"),
    "lead_sample_size": int(os.environ.get("QA_LEAD_SAMPLE_SIZE", "5")),
    "cross_moderation_size": int(os.environ.get("QA_CROSS_MODERATION_SIZE", "3")),
    "moderation_group_size": int(os.environ.get("QA_MODERATION_GROUP_SIZE", "10")),
}
# Line-management QA is due this many days after the term's PEP deadline.
QA_DUE_DAYS_AFTER_DEADLINE = int(os.environ.get("QA_DUE_DAYS_AFTER_DEADLINE", "21"))
# Worklist reminders go out this many days before an entry is due.
QA_REMINDER_DAYS_BEFORE_DUE = int(os.environ.get("QA_REMINDER_DAYS_BEFORE_DUE", "7"))
# An action agreed at a supervision or peer review is reminded to its owner this many days
# before it is due, and once more when overdue (practice.reminders, daily at 07:30).
PRACTICE_ACTION_REMINDER_DAYS = int(os.environ.get("PRACTICE_ACTION_REMINDER_DAYS", "5"))
# Overdue QA escalates: to the reviewer's line manager once past its due date, then to the
# VSH this many school days later if it is still not done (sampling.services.escalation).
QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS = int(os.environ.get("QA_ESCALATE_TO_VSH_AFTER_SCHOOL_DAYS", "5"))
# Attendance below this percentage puts a PEP in the attendance lead's sample.
QA_ATTENDANCE_THRESHOLD = float(os.environ.get("QA_ATTENDANCE_THRESHOLD", "90"))

# --- The public board report (issue 10, ops) ---
# Every breakdown row (phase, key stage, school, officer, social care team) with fewer
# judged PEPs than this has its counts suppressed (schools: combined first); officers are
# "Officer A", "Officer B"... (reporting.figures.public_breakdowns). The old name is read
# when the new one is unset.
BOARD_REPORT_MIN_JUDGED = int(
    os.environ.get("BOARD_REPORT_MIN_JUDGED") or os.environ.get("BOARD_REPORT_MIN_PEPS_PER_SCHOOL") or "5"
)
# The board report's Word version (reporting.docx) takes the styles, headers and footers of
# this .docx (a council's committee paper template) when set; else Word's defaults.
BOARD_REPORT_DOCX_TEMPLATE = os.environ.get("BOARD_REPORT_DOCX_TEMPLATE", "")

# The social care reports (reporting.social_care): each team's manager is e-mailed their
# own team's exceptions this many days after the term's PEP deadline (at the latest on
# the term's last day), by the Celery beat task; the VSH may also send them at any time.
# A team with nothing to report gets nothing, unless nil returns are asked for.
SOCIAL_CARE_REPORT_DAYS_AFTER_DEADLINE = int(os.environ.get("SOCIAL_CARE_REPORT_DAYS_AFTER_DEADLINE", "14"))
SOCIAL_CARE_REPORT_SEND_NIL_RETURNS = env_bool("SOCIAL_CARE_REPORT_SEND_NIL_RETURNS", False)

# Imports from the case-management and ePEP systems (README, "Importing from the
# case-management and ePEP systems"). A file over IMPORT_MAX_BYTES is refused unread.
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))
# The nightly drop: <IMPORT_DROP_DIR>/<source name>/<staff|children|peps>/*.csv|*.xlsx,
# imported by the Celery beat task imports.tasks.import_dropped_files. Unset: no drop.
IMPORT_DROP_DIR = os.environ.get("IMPORT_DROP_DIR", "")

# --- Retention of generated and uploaded files (issue 10, ops) ---
# A scheduled job (reporting.retention, daily at 02:30 by Celery beat, or
# `manage.py delete_expired_files`) deletes each file once it is older than its period; the
# record stays and its page says the file has expired. Report PDFs (board reports asked
# for) and e-mail attachments (the social care reports sent to the team managers) after
# REPORT_RETENTION_DAYS; uploaded import files and the drop folder's done/ and failed/
# files (children's data) after IMPORT_FILE_RETENTION_DAYS. 0 keeps them for ever.
REPORT_RETENTION_DAYS = int(os.environ.get("REPORT_RETENTION_DAYS", "30"))
IMPORT_FILE_RETENTION_DAYS = int(os.environ.get("IMPORT_FILE_RETENTION_DAYS", "30"))

# --- Health check (issue 10, ops) ---
# GET /health/ (hvs_qa/health.py): seconds a Celery worker has to answer the ping (when
# REDIS_URL is set).
HEALTH_CELERY_TIMEOUT = float(os.environ.get("HEALTH_CELERY_TIMEOUT", "2"))
# Whether a worker must answer: by default wherever there is Redis (and so a worker).
HEALTH_CHECK_WORKER = env_bool("HEALTH_CHECK_WORKER", bool(REDIS_URL))

# --- Error reporting (issue 10, ops) ---
# Sentry when SENTRY_DSN is set, with personal data scrubbed (hvs_qa/sentry.py); off otherwise.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    from hvs_qa.sentry import init_sentry

    init_sentry(
        SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", ""),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
    )

# --- Second factor and sign-in through the council's identity provider (issue 10) ---
# README, "Second factor" and "Signing in with the council's identity provider".
# django-otp: a TOTP authenticator app and single-use recovery codes, required for every
# role; OTP_REQUIRED=0 turns it off (never in production, where the default stands).
INSTALLED_APPS[INSTALLED_APPS.index("hvs_qa") : INSTALLED_APPS.index("hvs_qa")] = [
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
]
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
    "django_otp.middleware.OTPMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("django.contrib.auth.middleware.LoginRequiredMiddleware") + 1,
    "accounts.second_factor.SecondFactorMiddleware",
)
OTP_REQUIRED = env_bool("OTP_REQUIRED", True)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", f"{VIRTUAL_SCHOOL_NAME} PEP QA")
OTP_RECOVERY_CODES = 10
# Wrong codes: after n in a row the next try waits factor * 2^(n-1) seconds (django-otp).
OTP_TOTP_THROTTLE_FACTOR = int(os.environ.get("OTP_THROTTLE_FACTOR", "1"))
OTP_STATIC_THROTTLE_FACTOR = OTP_TOTP_THROTTLE_FACTOR

# OpenID Connect (mozilla-django-oidc): on only when the client id and the provider's
# endpoints are set. People are matched by e-mail to existing accounts; roles stay here.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_RP_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_RP_CLIENT_SECRET", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_OP_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_OP_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_OP_USER_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_OP_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = "openid email"
OIDC_PROVIDER_NAME = os.environ.get("OIDC_PROVIDER_NAME", AUTHORITY_NAME)
OIDC_CREATE_USER = False
OIDC_TIMEOUT = int(os.environ.get("OIDC_TIMEOUT", "10"))
# The identity provider's multi-factor authentication stands for ours only when this says
# so (the council's IdP must then enforce it); otherwise the TOTP step still follows.
OIDC_TRUSTS_IDP_MFA = env_bool("OIDC_TRUSTS_IDP_MFA", False)
OIDC_ENABLED = bool(
    OIDC_RP_CLIENT_ID and OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT and OIDC_OP_USER_ENDPOINT
)
LOGIN_REDIRECT_URL_FAILURE = "/login/"
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS = [*AUTHENTICATION_BACKENDS, "accounts.oidc.CouncilOIDCBackend"]
TEMPLATES[0]["OPTIONS"]["context_processors"].append(  # type: ignore[index]
    "web.second_factor.context_processors.sign_in_options"
)
# --- The audit trail (audit app, django-auditlog; README, "The audit trail") ---------
AUDITLOG_LOGENTRY_MODEL = "audit.AuditEntry"
AUDITLOG_DISABLE_REMOTE_ADDR = False
# Entries are deleted after this many days by the daily job audit.tasks.purge_audit_trail
# (or `manage.py purge_audit_trail`). Default 7 years (2557 days): a child's record is
# kept until they are 25 or for years after they leave care, and a question about who saw
# or changed it (a complaint, a subject access request, a serious case review) can come
# years later; the council's retention schedule may set another figure.
AUDIT_RETENTION_DAYS = int(os.environ.get("AUDIT_RETENTION_DAYS", "2557"))
# Behind a TLS-terminating proxy that sets X-Forwarded-For, set 1 so the trail records
# the client's address (the last one in the header, the one the proxy saw) rather than
# the proxy's. Off by default: a client can send any X-Forwarded-For.
AUDIT_TRUST_X_FORWARDED_FOR = env_bool("AUDIT_TRUST_X_FORWARDED_FOR", False)
AUDIT_ENTRIES_PER_PAGE = int(os.environ.get("AUDIT_ENTRIES_PER_PAGE", "50"))
