"""Read by gunicorn when started from the checkout (``gunicorn 'app:create_app()'``).

gunicorn believes X-Forwarded-Proto from 127.0.0.1 unless told otherwise; Connect decides
which forwarded headers to believe itself (``CONNECT_TRUSTED_PROXIES``), so gunicorn trusts
none unless ``FORWARDED_ALLOW_IPS`` names the proxies.
"""

import os

forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")
