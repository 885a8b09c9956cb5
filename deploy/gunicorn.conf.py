"""gunicorn's settings for award-web.service (docs/deployment.md): `gunicorn -c deploy/gunicorn.conf.py award.wsgi:app`.

The app's own settings come from AWARD_* variables (/etc/award/award.env), not from here.
"""

from award.logs import QUIET_LOGGERS

# nginx on the same host is the only client; several hosts: bind the private address nginx reaches.
bind = "127.0.0.1:8000"
# Sync workers: a request that renders a PDF holds one. About two per core; each takes 150–300 MB.
workers = 4
# The longest requests render PDFs (a certificate batch runs in the background, the archive button
# does not): nginx's proxy_read_timeout in deploy/nginx-award.conf is the same.
timeout = 120
graceful_timeout = 30
# gunicorn's default, written down: a longer request line (a URL of more than about 4 KB) is refused
# with 414 before the app reads it; tests/fuzz sends URLs up to this length.
limit_request_line = 4094
# WeasyPrint and fontTools keep caches: a worker is replaced after this many requests.
max_requests = 1000
max_requests_jitter = 100
# systemd manages the service (reload: HUP); no control socket under a home that is read-only there.
control_socket_disable = True
# X-Forwarded-Proto from nginx on this host only (the app's TRUSTED_PROXIES=1 reads X-Forwarded-For).
forwarded_allow_ips = "127.0.0.1"

# Logs: gunicorn's own lines go through the app's JSON handler with its redaction (award/logs.py).
# No access log here: the app logs one line per request with its request id (logger award.request).
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["award"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        # Quiet from the start: alembic logs at INFO as award.wsgi imports it, before the app is built.
        **{name: {"level": "WARNING"} for name in QUIET_LOGGERS},
    },
    # The handler's name "award" is the one award.logs.configure() replaces, so a worker keeps one.
    "handlers": {"award": {"()": "award.logs.make_handler"}},
    "formatters": {},
}
