"""Gunicorn settings, shared by `make run` and production:

    gunicorn -c config/gunicorn.py --bind 127.0.0.1:8000

WEB_CONCURRENCY  worker processes, default: the cores this process may use, at least 2
"""

import os

wsgi_app = "config.wsgi:application"
bind = ["127.0.0.1:8000"]  # behind a proxy; --bind HOST:PORT (or unix:PATH) overrides it

# Sync workers: one request at a time per process, so each holds at most one database
# connection and the count below bounds them. Requests are short database work; webhook sends
# and other slow work belong to the db_worker, never to a request.
worker_class = "sync"
# Each sync worker keeps its one database connection between requests (a connection per
# request would cost a TCP and authentication round trip each): bounded by `workers`. Read by
# config/settings.py in the workers, which inherit this environment.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "60")
_cores = os.process_cpu_count() if hasattr(os, "process_cpu_count") else os.cpu_count()
workers = int(os.environ.get("WEB_CONCURRENCY") or max(2, _cores or 1))

# A request still running after this many seconds is killed with its worker, which is replaced.
timeout = 30

# Access log on stdout, with the request guid the API answered (X-Request-Id) at the end, so an
# access line leads to the application's log lines for the same request. The request line
# without its query string (method, path, protocol): a credential a client put in a URL must
# not reach the logs; the request log keeps the query string, credentials redacted.
accesslog = "-"
access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s'
)

# Whether a request came over HTTPS is Django's decision alone (SECURE_PROXY_SSL_HEADER, unset
# unless the proxy overwrites the header): gunicorn would otherwise believe X-Forwarded-Proto,
# and take SCRIPT_NAME and PATH_INFO from headers, from any local or Unix-socket peer.
secure_scheme_headers = {}
forwarder_headers = ""

# Gunicorn's runtime control socket defaults to one path per user ($HOME/.gunicorn): two
# servers on a machine (tests, a second checkout) would take over and delete each other's.
# Signals (HUP, TERM) are how this project drives the server.
control_socket_disable = True
