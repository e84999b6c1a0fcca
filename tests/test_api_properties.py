"""Whatever a signed client sends as parameters: a 200 or a 4xx that names the problem."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from oauthlib.oauth1 import Client

from app import create_app
from connect import storage
from connect.api.inputs import PROVIDER_PARAMETERS
from connect.domain import clients
from tests.conftest import API_SECRET_KEY, app_config, source_parameters

NAMES = sorted(
    {
        *source_parameters(),
        *PROVIDER_PARAMETERS,
        "sync_period",
        "raw_file_list",
        "callback_url",
        "status",
        "first_name",
        "last_name",
        "limit",
        "offset",
        "status_ok",
    }
)
values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        ["", "0", "1", "-1", "99999999999999999999", "IMAP", "24h", "true", "http://127.0.0.1/x"]
    ),
)


@pytest.fixture(scope="module")
def signed_client(tmp_path_factory):
    app = create_app(app_config(tmp_path_factory.mktemp("api-fuzz"), SECRET_KEY=API_SECRET_KEY))
    with app.app_context():
        keys = clients.create_client(storage.get_db(), app.extensions["connect.vault"], "fuzz")
    signer = Client(keys.consumer_key, client_secret=keys.consumer_secret)
    http = app.test_client()

    def send(method: str, path: str, form: dict[str, str]):
        body = urlencode(form) if method == "POST" else None
        url = f"http://localhost/2.0/{path}" + ("" if body is not None or not form else "?" + urlencode(form))
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body is not None else {}
        uri, headers, body = signer.sign(url, http_method=method, body=body, headers=headers)
        return http.open(uri.removeprefix("http://localhost"), method=method, data=body, headers=headers)

    account_id = send("POST", "accounts", {"email": "fuzz@example.com"}).json["id"]
    return send, account_id


paths = st.sampled_from(
    [
        "accounts",
        "accounts/{a}",
        "accounts/{a}/sources",
        "accounts/{a}/sources/0",
        "accounts/{a}/sync",
        "connect_tokens",
        "oauth_providers",
        "discovery",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "POST"]), path=paths, form=st.dictionaries(st.sampled_from(NAMES), values)
)
def test_signed_requests_with_arbitrary_parameters_never_fail_the_server(signed_client, method, path, form):
    send, account_id = signed_client
    answer = send(method, path.format(a=account_id), form)
    assert answer.status_code in {200, 400, 404, 405, 409}, answer.get_data(as_text=True)
    assert answer.is_json
    if answer.status_code != 200:
        assert answer.json["type"] == "error" and answer.json["value"]
