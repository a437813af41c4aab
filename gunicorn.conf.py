"""gunicorn's settings for the web process (`gunicorn -c gunicorn.conf.py selfservice.wsgi`).

Threads (`gthread`) let a worker serve other requests while one waits on the vendor; each thread keeps its own
persistent database connection (CONN_MAX_AGE). Every value can be set from the environment.

`timeout` is the longest a request may take before its worker is killed. The settings read the same
GUNICORN_TIMEOUT (same default) and refuse to start unless a confirmation's vendor calls (read + preview + commit
deadlines) end inside it with room to record the outcome (docs/client.md). A graceful shutdown waits as long.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "45"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", str(timeout)))
keepalive = 5
accesslog = "-"
logger_class = "selfservice.access_log.RedactedAccessLogger"  # the notification secret never reaches the log
forwarded_allow_ips = "*"
