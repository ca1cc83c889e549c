# Gunicorn configuration for the bilans web process.
#
# Used by platform/systemd/bilans-web.service:
#   gunicorn -c /srv/bilans/app/platform/gunicorn.conf.py config.wsgi:application
#
# Every value can be overridden from the environment (the unit reads
# /etc/bilans/env), so tuning a host never requires editing this file.
#
# NOTE: this directory must never become a Python package (no __init__.py):
# its name would shadow the standard library module `platform`.

import os


def _env_int(name, default):
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


# --- Socket -----------------------------------------------------------------
# Only nginx on the same host talks to gunicorn, so listen on loopback.
# GUNICORN_BIND accepts anything gunicorn does (host:port or unix:/path).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# --- Workers ----------------------------------------------------------------
# Measured on the 2-core production host: 2 *sync* workers gave the best
# throughput and latency. gthread brought no gain and 4 workers were slower
# (CPU contention with PostgreSQL, Redis and the Dramatiq worker on the same
# box). Sync workers are safe behind nginx because nginx buffers the whole
# request (uploads included) and the whole response, so a slow client never
# pins a worker. Scale with WEB_CONCURRENCY on bigger hosts and re-measure.
worker_class = "sync"
workers = _env_int("WEB_CONCURRENCY", 2)

# Do NOT preload the application:
# - `systemctl reload bilans-web` (SIGHUP) then starts workers that import
#   the freshly deployed code, giving zero-downtime code reloads;
# - no database connection can be opened in the master and then shared by
#   forked workers. Each worker keeps its own persistent connection
#   (CONN_MAX_AGE in the Django settings), which is what we want.
preload_app = False

# --- Timeouts ---------------------------------------------------------------
# A request still running after `timeout` seconds gets its worker killed and
# restarted. Long jobs (PDF generation, AI calls, e-mails) belong in Dramatiq,
# not in a request. Keep nginx's proxy_read_timeout above this value so that
# gunicorn, not nginx, decides (nginx/bilans.conf uses 75s).
timeout = _env_int("GUNICORN_TIMEOUT", 60)
# On restart/stop, in-flight requests get this long to finish. Keep it below
# TimeoutStopSec in bilans-web.service.
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Ignored by sync workers (one request per connection); kept for the case
# where someone switches worker_class.
keepalive = 5

# --- Worker recycling -------------------------------------------------------
# Restart each worker after ~1000 requests to bound slow memory growth
# (large querysets, PDF libraries...). The jitter staggers the restarts so the
# 2 workers never recycle at the same moment. Recycling also closes and
# reopens the worker's persistent DB connection, which is harmless.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The heartbeat file of each worker is touched constantly; keep it on tmpfs
# so a busy disk can never make the arbiter believe a worker hung.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# --- Reverse proxy ----------------------------------------------------------
# Trust X-Forwarded-* headers only from the local nginx. If nginx ever moves
# to another host, set FORWARDED_ALLOW_IPS to its address (never "*" while
# gunicorn is reachable by anything else).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# nginx sends exactly one scheme header (X-Forwarded-Proto). Accepting only
# that one means a client-supplied X-Forwarded-Ssl / X-Forwarded-Protocol can
# neither flip the scheme nor make gunicorn reject the request as ambiguous.
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# --- Logging ----------------------------------------------------------------
# Both streams go to journald through systemd: journalctl -u bilans-web.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# %(h)s would always be 127.0.0.1 (nginx); log the real client address sent
# by nginx in X-Forwarded-For, the Host (to tell organisations apart: each is
# served on its own subdomain) and the duration in milliseconds.
# Link tokens (share, 360°, signature, invitation, calendar, password reset...)
# are masked in every field of the access log line: see config/gunicorn_logging.py.
# Never log %(U)s, %(q)s or headers with a logger class that does not mask them.
logger_class = "config.gunicorn_logging.MaskedTokensLogger"
access_log_format = (
    '%({x-forwarded-for}i)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s '
    '"%(f)s" "%(a)s" host=%({host}i)s %(M)sms'
)

# --- Process ------------------------------------------------------------------
proc_name = "bilans-web"

# Gunicorn >= 25.1 opens a control socket (for `gunicornc`). By default it
# lives in $HOME, which is read-only under the unit's ProtectSystem=strict.
# Put it in the systemd RuntimeDirectory when there is one, else disable it.
_runtime_dir = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
if _runtime_dir:
    control_socket = os.path.join(_runtime_dir, "gunicorn.ctl")
else:
    control_socket_disable = True
