"""Requests sent to a WSGI app in the same process, through a requests adapter.

When the helper registers sources with the API served by its own app (no
``CONTEXTIO_API_URL``), the signed requests are handed to the app directly instead of over a
socket: a single-threaded server calling itself over HTTP would wait on itself forever.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder, run_wsgi_app


class WSGIAdapter(BaseAdapter):
    def __init__(self, app) -> None:
        super().__init__()
        self.app = app

    def send(
        self, request: PreparedRequest, stream=False, timeout=None, verify=True, cert=None, proxies=None
    ):
        url = urlsplit(request.url)
        body = request.body.encode() if isinstance(request.body, str) else request.body
        environ = EnvironBuilder(
            path=url.path,
            query_string=url.query,
            method=request.method,
            headers=list(request.headers.items()),
            data=body or b"",
            base_url=f"{url.scheme}://{url.netloc}",
        ).get_environ()
        app_iter, status, headers = run_wsgi_app(self.app, environ, buffered=True)
        response = Response()
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = status.split(" ", 1)[1] if " " in status else ""
        response.headers = CaseInsensitiveDict(headers.to_wsgi_list())
        response._content = b"".join(app_iter)
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        if hasattr(app_iter, "close"):
            app_iter.close()
        return response

    def close(self) -> None:
        pass
