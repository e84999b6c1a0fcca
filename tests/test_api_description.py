"""The OpenAPI description covers every route, and the live server keeps its promises under
schemathesis: whatever a signed client sends, never a 5xx, every error in Context.IO's shape."""

from __future__ import annotations

import re

import pytest
import requests
import schemathesis
from authlib.integrations.requests_client import OAuth1Session
from hypothesis import HealthCheck, given, settings

from connect.api.openapi import OPERATIONS, document


def test_every_route_of_the_api_is_described(app):
    routed = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/2.0")), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/2.0/") and not rule.rule.endswith("/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    described = {(operation.path, operation.method) for operation in OPERATIONS}
    assert routed - {("/openapi.json", "get")} == described


def test_the_description_is_served_without_a_signature(api_server):
    answer = requests.get(f"{api_server.api_url}/openapi.json", timeout=10)
    assert answer.status_code == 200
    document = answer.json()
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": api_server.api_url}]
    assert "post" in document["paths"]["/accounts/{account_id}/sources"]


@pytest.fixture(scope="module")
def signed(api_server):
    keys = api_server.new_client("schemathesis")
    session = OAuth1Session(keys.consumer_key, keys.consumer_secret)
    account = session.post(f"{api_server.api_url}/accounts", data={"email": "fuzz@example.com"}).json()
    session.post(
        f"{api_server.api_url}/accounts/{account['id']}/sources",
        data={
            "email": "fuzz@example.com",
            "server": "127.0.0.1",
            "username": "fuzz",
            "password": "pw",
            "port": "1",
            "use_ssl": "0",
            "type": "IMAP",
        },
    ).raise_for_status()
    yield session, account["id"]
    session.close()


# The same document the server serves (checked above), loaded here so that each operation is a
# test of its own; requests go to the live server.
SCHEMA = schemathesis.openapi.from_dict(document("http://127.0.0.1/2.0"))
OPERATIONS_UNDER_TEST = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS_UNDER_TEST, ids=lambda operation: operation.label)
def test_whatever_a_signed_client_sends_the_answer_is_never_a_server_error(operation, signed, api_server):
    session, account_id = signed
    statuses: set[int] = set()

    @given(case=operation.as_strategy())
    @settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case) -> None:
        if "account_id" in (case.path_parameters or {}) and case.method != "DELETE":
            case.path_parameters["account_id"] = account_id  # reach past the 404 into the handlers
            if "label" in case.path_parameters:
                case.path_parameters["label"] = "0"
        # oauth_* names belong to the signature: the signing client itself refuses to send them
        # as parameters as well, so such a case never reaches the server.
        for parameters in (case.query, case.body):
            if isinstance(parameters, dict):
                for name in [name for name in parameters if str(name).startswith("oauth_")]:
                    del parameters[name]
        response = case.call(base_url=api_server.api_url, session=session)
        statuses.add(response.status_code)
        # 502 is the mailbox's own failure, told as such: this account's source is unreachable
        assert response.status_code < 500 or response.status_code == 502, response.text[:500]
        if response.status_code >= 400:
            error = response.json()
            assert error["type"] == "error" and isinstance(error["value"], str) and error["value"]

    check()
    assert 401 not in statuses  # every request was signed as the client: the handlers were reached
