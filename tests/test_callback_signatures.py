"""The two signing schemes, without Flask: what the sender signs, the verifier accepts."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook

from connect.callbacks.signing import (
    SEED_SCHEME,
    STANDARD_SCHEME,
    CallbackVerifier,
    MalformedCallback,
    UnauthenticCallback,
    seed_signature,
    sign_callback,
)
from tests.conftest import standard_headers

KNOWN_SECRET = "9fUq3Jx0cD2hL7Rr"
KNOWN_TIMESTAMP = 1700000000
KNOWN_TOKEN = "c4b1e0d7a95f4e2b8f3a6d1c0b9e8f7a"
KNOWN_SIGNATURE = "1755b696ba7eb496eb532e3d513dfd030669468eb4e7bc49e10a5efee43208f1"


def known_body(**changes) -> bytes:
    fields = {
        "account_id": "acct",
        "source_label": "label",
        "timestamp": KNOWN_TIMESTAMP,
        "token": KNOWN_TOKEN,
        "signature": KNOWN_SIGNATURE,
    }
    fields.update(changes)
    return json.dumps({k: v for k, v in fields.items() if v is not None}).encode()


def verifier_at(moment: float, *secrets: str) -> CallbackVerifier:
    return CallbackVerifier(secrets or (KNOWN_SECRET,), clock=lambda: moment)


def test_seed_signature_matches_the_known_answer():
    assert seed_signature(KNOWN_SECRET, KNOWN_TIMESTAMP, KNOWN_TOKEN) == KNOWN_SIGNATURE


def test_known_answer_body_is_accepted_under_the_seed_scheme():
    sync = verifier_at(KNOWN_TIMESTAMP + 60).verify(known_body(), {})
    assert (sync.account_id, sync.source_label, sync.timestamp, sync.token) == (
        "acct",
        "label",
        KNOWN_TIMESTAMP,
        KNOWN_TOKEN,
    )
    assert sync.scheme == SEED_SCHEME


def test_uppercase_hex_signature_is_the_same_signature():
    body = known_body(signature=KNOWN_SIGNATURE.upper())
    assert verifier_at(KNOWN_TIMESTAMP).verify(body, {}).scheme == SEED_SCHEME


@pytest.mark.parametrize(
    "changes",
    [
        {"token": KNOWN_TOKEN[:-1] + "b"},
        {"timestamp": KNOWN_TIMESTAMP + 1},
        {"signature": KNOWN_SIGNATURE[:-1] + "0"},
        {"signature": "not hex at all"},
    ],
    ids=["token", "timestamp", "signature", "garbage-signature"],
)
def test_a_changed_signed_field_is_unauthentic(changes):
    with pytest.raises(UnauthenticCallback, match="signature does not match"):
        verifier_at(KNOWN_TIMESTAMP).verify(known_body(**changes), {})


def test_a_wrong_secret_is_unauthentic():
    with pytest.raises(UnauthenticCallback):
        verifier_at(KNOWN_TIMESTAMP, "some-other-secret").verify(known_body(), {})


def test_any_configured_secret_verifies_during_rotation():
    verifier = verifier_at(KNOWN_TIMESTAMP, "the-new-secret", KNOWN_SECRET)
    assert verifier.verify(known_body(), {}).scheme == SEED_SCHEME


def test_standard_webhooks_headers_alone_cover_the_whole_body():
    now = int(time.time())
    body = known_body(timestamp=now, signature=None)
    headers = standard_headers(KNOWN_SECRET, body, "msg_1", now)

    sync = verifier_at(now).verify(body, headers)
    assert (sync.scheme, sync.webhook_id) == (STANDARD_SCHEME, "msg_1")

    with pytest.raises(UnauthenticCallback):
        verifier_at(now).verify(body.replace(b'"acct"', b'"evil"'), headers)


def test_signer_keys_standard_webhooks_with_the_secrets_utf8_bytes():
    now = int(time.time())
    secret = "whsec_dGVzdA=="  # looks like base64, and must still be used as it is written
    body, headers = sign_callback(
        secret, account_id="a", source_label="l", timestamp=now, token="t", webhook_id="m", signed_at=now
    )
    assert headers == standard_headers(secret, body, "m", now)
    decoded_key = Webhook(secret).sign("m", datetime.fromtimestamp(now, UTC), body.decode())
    assert headers["webhook-signature"] != decoded_key


def test_a_stale_standard_webhooks_timestamp_is_not_accepted():
    now = int(time.time())
    body = known_body(timestamp=now, signature=None)
    headers = standard_headers(KNOWN_SECRET, body, "msg_1", now - 301)
    with pytest.raises(UnauthenticCallback):
        verifier_at(now).verify(body, headers)


@pytest.mark.parametrize(
    "header_value",
    ["v1", "v1,", "v1,!!!notbase64", "v2,AAAA", "", "v1,a,b", "v1,AAAA v1"],
)
def test_malformed_signature_headers_fall_back_to_the_body_signature(header_value):
    headers = {
        "webhook-id": "msg_3",
        "webhook-timestamp": str(KNOWN_TIMESTAMP),
        "webhook-signature": header_value,
    }
    sync = verifier_at(KNOWN_TIMESTAMP).verify(known_body(), headers)
    assert sync.scheme == SEED_SCHEME


def test_stale_and_future_timestamps_are_unauthentic():
    verifier = CallbackVerifier((KNOWN_SECRET,), tolerance=3600, clock=lambda: KNOWN_TIMESTAMP + 3601)
    with pytest.raises(UnauthenticCallback, match="older"):
        verifier.verify(known_body(), {})
    assert verifier_at(KNOWN_TIMESTAMP - 300).verify(known_body(), {})
    with pytest.raises(UnauthenticCallback, match="future"):
        verifier_at(KNOWN_TIMESTAMP - 301).verify(known_body(), {})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "not JSON"),
        (b"{", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe\x00", "not JSON"),
        (b"[" * 5000, "not JSON"),
        (known_body(account_id=None), "account_id is missing"),
        (known_body(source_label=7), "source_label must be a string"),
        (known_body(token=""), "token must be"),
        (known_body(token="a\x00b"), "token must be"),
        (known_body(timestamp="1700000000"), "timestamp must be a whole number"),
        (known_body(timestamp=1700000000.0), "timestamp must be a whole number"),
        (known_body(timestamp=True), "timestamp must be a whole number"),
        (known_body(signature=["x"]), "signature must be a string"),
    ],
)
def test_malformed_bodies_are_named(body, message):
    with pytest.raises(MalformedCallback, match=message):
        verifier_at(KNOWN_TIMESTAMP).verify(body, {})


def test_oversized_body_is_malformed():
    verifier = CallbackVerifier((KNOWN_SECRET,), max_body_bytes=100, clock=lambda: KNOWN_TIMESTAMP)
    with pytest.raises(MalformedCallback, match="larger than 100 bytes"):
        verifier.verify(known_body(padding="x" * 100), {})


def test_missing_signature_without_headers_is_unauthentic():
    with pytest.raises(UnauthenticCallback, match="missing"):
        verifier_at(KNOWN_TIMESTAMP).verify(known_body(signature=None), {})
