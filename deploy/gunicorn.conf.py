"""gunicorn for Connect in production: `gunicorn --config deploy/gunicorn.conf.py 'app:create_app()'`.

The IMAP form tries a real login before it answers (up to ~20 s against a slow server), so a
request can wait on the network for long: threads keep other requests flowing meanwhile.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")  # nginx in front; not the internet
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))
timeout = 60  # longer than the IMAP form's own deadline
graceful_timeout = 30
keepalive = 5
# Connect decides which X-Forwarded-* headers to believe (CONNECT_TRUSTED_PROXIES); gunicorn
# believes none unless told which proxies to trust.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
accesslog = "-"
errorlog = "-"
