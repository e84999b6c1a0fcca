"""Whatever arrives at the receiver: never a 5xx, nothing recorded unless validly signed."""

from __future__ import annotations

import json
import string
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app import create_app
from connect import storage
from tests.conftest import app_config, signed_delivery
from tests.sql import run_sql

FIELDS = ("account_id", "source_label", "timestamp", "token", "signature")

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
callback_like = st.fixed_dictionaries(
    {},
    optional={name: json_values | st.text(max_size=80) for name in FIELDS},
).map(lambda d: json.dumps(d).encode())
bodies = st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()) | callback_like

header_text = st.text(alphabet=string.printable.strip() + " ", max_size=60)
headers = st.fixed_dictionaries(
    {},
    optional={
        "webhook-id": header_text,
        "webhook-timestamp": header_text | st.integers().map(str),
        "webhook-signature": header_text | st.just("v1,AAAA") | st.just("v1,!!"),
        "content-type": st.sampled_from(
            [
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/json; charset=latin-1",
            ]
        ),
        "content-encoding": st.sampled_from(["gzip", "identity"]),
    },
)


@pytest.fixture(scope="module")
def fuzzed_app(tmp_path_factory):
    return create_app(app_config(tmp_path_factory.mktemp("fuzz")))


def recorded_count(app) -> int:
    with app.app_context():
        return run_sql(storage.get_db(), "SELECT count(*) AS n FROM completed_syncs")[0]["n"]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=bodies, request_headers=headers, method=st.sampled_from(["POST", "PUT", "GET"]))
def test_arbitrary_requests_are_answered_without_5xx_or_records(fuzzed_app, body, request_headers, method):
    client = fuzzed_app.test_client()
    before = recorded_count(fuzzed_app)
    answer = client.open("/connect/callbacks/sync", method=method, data=body, headers=request_headers)
    assert 400 <= answer.status_code < 500
    assert recorded_count(fuzzed_app) == before


printable = st.text(st.characters(categories=["L", "N", "P", "S"]), min_size=1, max_size=60)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account_id=printable, source_label=printable, token=printable, age=st.integers(0, 259000))
def test_every_validly_signed_callback_is_recorded_exactly_once(
    fuzzed_app, account_id, source_label, token, age
):
    client = fuzzed_app.test_client()
    before = recorded_count(fuzzed_app)
    with fuzzed_app.app_context():
        already_seen = (
            run_sql(storage.get_db(), "SELECT 1 FROM completed_syncs WHERE token = :t", t=token) != []
        )
    body, request_headers = signed_delivery(
        account_id=account_id, source_label=source_label, token=token, timestamp=int(time.time()) - age
    )

    first = client.post("/connect/callbacks/sync", data=body, headers=request_headers)
    retry = client.post("/connect/callbacks/sync", data=body, headers=request_headers)

    assert first.status_code == retry.status_code == 200
    assert retry.json == {"status": "duplicate"}
    assert recorded_count(fuzzed_app) == before + (0 if already_seen else 1)
