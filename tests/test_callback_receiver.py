"""POST /connect/callbacks/sync answers exactly as SPEC's table says."""

from __future__ import annotations

import json
import time

import pytest

from connect import storage, sync_completed
from tests.conftest import (
    CONSUMER_SECRET,
    ROTATED_OUT_SECRET,
    callback_body,
    signed_delivery,
    standard_headers,
)


def recorded_rows(app) -> list[dict]:
    with app.app_context():
        return list(storage.completed_syncs(storage.get_db()))


@pytest.fixture
def announced(app):
    """Every sync_completed signal the app sends during the test."""
    seen = []

    def remember(sender, sync):
        seen.append(sync)

    sync_completed.connect(remember, app)
    yield seen
    sync_completed.disconnect(remember, app)


def test_first_delivery_is_recorded_and_announced(app, deliver, announced):
    body, headers = signed_delivery(token="tok-1", account_id="acct-1", source_label="src-1")

    answer = deliver(body, headers)

    assert answer.status_code == 200
    assert answer.json == {"status": "recorded"}
    [row] = recorded_rows(app)
    assert row["account_id"] == "acct-1"
    assert row["source_label"] == "src-1"
    assert row["token"] == "tok-1"
    assert row["timestamp"] == json.loads(body)["timestamp"]
    assert abs(row["received_at"] - time.time()) < 60
    assert row["scheme"] == "standard-webhooks"
    assert row["webhook_id"] == headers["webhook-id"]
    assert [sync.token for sync in announced] == ["tok-1"]


def test_retried_callback_is_recorded_once(app, deliver, announced):
    completed_at = int(time.time()) - 3600
    first = signed_delivery(token="tok-retry", timestamp=completed_at, webhook_id="msg_retry")
    # A retry is signed again (new webhook-timestamp) with the same token and webhook-id.
    retry = signed_delivery(
        token="tok-retry", timestamp=completed_at, webhook_id="msg_retry", signed_at=int(time.time()) + 1
    )

    assert deliver(*first).json == {"status": "recorded"}
    answer = deliver(*retry)

    assert answer.status_code == 200
    assert answer.json == {"status": "duplicate"}
    assert len(recorded_rows(app)) == 1
    assert len(announced) == 1


def test_body_signature_alone_is_accepted(app, deliver):
    body, _headers = signed_delivery(token="tok-seed")
    answer = deliver(body, {"content-type": "application/json"})
    assert answer.status_code == 200
    assert recorded_rows(app)[0]["scheme"] == "contextio"


def test_valid_body_signature_wins_over_broken_headers(app, deliver):
    body, headers = signed_delivery(token="tok-broken-headers")
    headers["webhook-signature"] = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert deliver(body, headers).status_code == 200
    assert recorded_rows(app)[0]["scheme"] == "contextio"


def test_valid_headers_win_over_a_broken_body_signature(app, deliver):
    body = callback_body(token="tok-broken-body", signature="0" * 64)
    assert deliver(body, standard_headers(CONSUMER_SECRET, body)).status_code == 200
    assert recorded_rows(app)[0]["scheme"] == "standard-webhooks"


def test_a_rotated_out_secret_is_still_accepted(app, deliver):
    assert deliver(*signed_delivery(ROTATED_OUT_SECRET)).status_code == 200
    assert len(recorded_rows(app)) == 1


@pytest.mark.parametrize(
    ("make_request", "reason"),
    [
        (lambda: signed_delivery("not-the-secret"), "signature does not match"),
        (lambda: (signed_delivery()[0].replace(b'"signature"', b'"signature_"'), {}), "signature is missing"),
        (lambda: signed_delivery(timestamp=int(time.time()) - 259201), "older"),
        (lambda: signed_delivery(timestamp=int(time.time()) + 3600), "future"),
    ],
    ids=["wrong-secret", "missing-signature", "stale", "future"],
)
def test_unauthentic_deliveries_are_refused_with_401(app, deliver, announced, make_request, reason):
    body, headers = make_request()
    answer = deliver(body, headers)
    assert answer.status_code == 401
    assert answer.json["type"] == "error"
    assert reason in answer.json["value"]
    assert recorded_rows(app) == []
    assert announced == []


def test_a_body_changed_after_header_signing_is_refused(app, deliver):
    body = callback_body(account_id="acct-honest")
    headers = standard_headers(CONSUMER_SECRET, body)
    answer = deliver(body.replace(b"acct-honest", b"acct-forged"), headers)
    assert answer.status_code == 401
    assert recorded_rows(app) == []


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"account_id": "a"}',
        b'{"account_id": 1, "source_label": "l", "timestamp": 1, "token": "t", "signature": "s"}',
    ],
    ids=["empty", "not-json", "array", "missing-fields", "mistyped"],
)
def test_malformed_deliveries_are_refused_with_400(app, deliver, body):
    answer = deliver(body, {"content-type": "application/json"})
    assert answer.status_code == 400
    assert answer.json["type"] == "error"
    assert recorded_rows(app) == []


def test_oversized_body_is_refused_before_it_is_read(app, client):
    answer = client.post(
        "/connect/callbacks/sync",
        data=b"{" + b" " * 20000 + b"}",
        headers={"content-type": "application/json"},
    )
    assert answer.status_code == 400
    assert "larger than" in answer.json["value"]


def test_a_failing_host_handler_does_not_fail_the_delivery(app, deliver):
    def broken(sender, sync):
        raise RuntimeError("the host app's bug")

    sync_completed.connect(broken, app)
    try:
        answer = deliver(*signed_delivery(token="tok-host-bug"))
    finally:
        sync_completed.disconnect(broken, app)
    assert answer.status_code == 200
    assert [row["token"] for row in recorded_rows(app)] == ["tok-host-bug"]


def test_no_secret_configured_refuses_everything(tmp_path, caplog):
    from flask import Flask

    from connect import CallbackReceiver

    app = Flask("host-without-secrets", instance_path=str(tmp_path / "instance"))
    CallbackReceiver(app, database=str(tmp_path / "receiver.sqlite3"))
    assert "no callback secret is configured" in caplog.text
    answer = app.test_client().post("/connect/callbacks/sync", data=signed_delivery()[0])
    assert answer.status_code == 401


def test_secrets_never_reach_the_log(app, deliver, caplog):
    caplog.set_level("DEBUG")
    deliver(*signed_delivery())
    deliver(*signed_delivery("wrong-secret"))
    assert CONSUMER_SECRET not in caplog.text
    assert "initial sync completed" in caplog.text
    assert "refused (401)" in caplog.text


def test_syncs_list_prints_recorded_syncs(app, deliver):
    deliver(*signed_delivery(token="tok-a", account_id="acct-a", source_label="label-a"))
    deliver(*signed_delivery(token="tok-b", account_id="acct-b", source_label="label-b"))
    runner = app.test_cli_runner()

    as_json = runner.invoke(args=["syncs", "list", "--json"])
    as_text = runner.invoke(args=["syncs", "list"])

    assert as_json.exit_code == 0
    rows = json.loads(as_json.output)
    assert [(r["account_id"], r["source_label"], r["token"]) for r in rows] == [
        ("acct-a", "label-a", "tok-a"),
        ("acct-b", "label-b", "tok-b"),
    ]
    assert all(isinstance(r["timestamp"], int) and isinstance(r["received_at"], int) for r in rows)
    assert "account acct-a" in as_text.output and "token tok-b" in as_text.output


def test_syncs_list_says_when_there_is_nothing(app):
    result = app.test_cli_runner().invoke(args=["syncs", "list"])
    assert result.output.strip() == "No completed syncs recorded yet."
    assert json.loads(app.test_cli_runner().invoke(args=["syncs", "list", "--json"]).output) == []


def test_a_host_app_embeds_the_receiver_with_its_own_settings(tmp_path):
    from flask import Flask

    from connect import CallbackReceiver

    host = Flask("host", instance_path=str(tmp_path / "host-instance"))
    CallbackReceiver(host, secrets=["host-current", "host-previous"], database=str(tmp_path / "host.db"))
    seen = []
    sync_completed.connect(lambda sender, sync: seen.append(sync.source_label), host, weak=False)

    client = host.test_client()
    assert client.post("/connect/callbacks/sync", data=signed_delivery("host-previous")[0]).status_code == 200
    assert client.post("/connect/callbacks/sync", data=signed_delivery(CONSUMER_SECRET)[0]).status_code == 401
    assert len(seen) == 1
    assert (tmp_path / "host.db").exists()
    assert not (tmp_path / "host-instance").exists()
