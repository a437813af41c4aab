"""gunicorn's settings for the web process (`gunicorn -c gunicorn.conf.py selfservice.wsgi`).

Threads (`gthread`) let a worker serve other requests while one waits on the vendor; each thread keeps its own
persistent database connection (CONN_MAX_AGE). Every value can be set from the environment.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
accesslog = "-"
forwarded_allow_ips = "*"
