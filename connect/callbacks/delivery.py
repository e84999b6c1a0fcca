"""Delivering every callback — an initial sync completed, a source's status changed — until
the receiver takes it: one pipeline, whatever the event's ``kind``.

2xx is delivered. 410 Gone stops at once. Anything else — another status, a redirect (never
followed), a timeout, a refused connection — is retried with exponential backoff and jitter
for at least 24 hours, then the event is marked failed; it can be re-sent by hand. Every
attempt is logged with its time, status, latency and error.
"""

from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

from .. import storage
from ..domain import clients
from ..domain.address_policy import AddressPolicy
from ..domain.crypto import Vault
from ..domain.errors import InvalidParameter
from ..storage import Database
from .outbound import InFlight, PostFailed, post
from .signing import sign_event

logger = logging.getLogger("connect.callbacks")

RETRY_FOR = 24 * 3600
FIRST_DELAY = 30
MAX_DELAY = 2 * 3600
# One attempt, connect to answer, whatever the receiver does; the lease outlasts it by far,
# so no other worker takes an event whose attempt may still be in flight.
ATTEMPT_DEADLINE = 10
LEASE = 6 * ATTEMPT_DEADLINE


@dataclass(frozen=True)
class DeliverySettings:
    policy: AddressPolicy
    user_agent: str = "Connect-Callbacks/1.0"
    deadline: float = ATTEMPT_DEADLINE


class CallbackSender:
    def __init__(
        self,
        database: Database,
        vault: Vault,
        settings: DeliverySettings,
        in_flight: InFlight | None = None,
        jitter: random.Random | None = None,
    ) -> None:
        self.database = database
        self.vault = vault
        self.settings = settings
        self.in_flight = in_flight or InFlight()
        self.jitter = jitter or random.Random()

    def deliver_due(self, now: int | None = None, limit: int = 100) -> int:
        """Attempt every event that is due (at most ``limit``); how many were attempted.

        Several senders may run at once (threads, workers): an event is claimed in the database
        first, and never while another event of the same API client is in flight, so one
        client's slow receiver holds up only its own callbacks."""
        attempted = 0
        while attempted < limit and not self.in_flight.closed:
            moment = int(time.time()) if now is None else now
            event = storage.claim_due_callback(self.database, moment, moment + LEASE)
            if event is None:
                break
            self.attempt(event, moment)
            attempted += 1
        return attempted

    def deliver_one(self, event_id: int) -> str:
        """Attempt event ``event_id`` if it is due and free (a queue delivered it)."""
        now = int(time.time())
        event = storage.claim_due_callback(self.database, now, now + LEASE, event_id)
        return "taken" if event is None else self.attempt(event, now)

    def attempt(self, event: dict[str, Any], now: int) -> str:
        secret = clients.consumer_secret(self.database, self.vault, event["consumer_key"])
        status, error = None, None
        started = time.perf_counter()
        if secret is None:
            error = "the API client that owns this source no longer exists"
        else:
            status, error = self._post(event, secret, now)
        latency = int((time.perf_counter() - started) * 1000)
        if status is None and self.in_flight.closed:  # broken off by a stopping worker
            storage.release_callback(self.database, event["id"])
            return "pending"
        outcome = self._outcome(event, status, error, now)
        storage.record_callback_attempt(
            self.database,
            event["id"],
            {"attempted_at": now, "status": status, "latency_ms": latency, "error": error},
            outcome,
        )
        log = logger.info if outcome["state"] == "delivered" else logger.warning
        log(
            "%s callback %s to %s: attempt %d answered %s in %d ms%s",
            event["kind"],
            event["webhook_id"],
            event["url"],
            event["attempts"] + 1,
            status if status is not None else "nothing",
            latency,
            f" ({error})" if error else "",
        )
        return outcome["state"]

    def _post(self, event: dict[str, Any], secret: str, now: int) -> tuple[int | None, str | None]:
        fields = (
            json.loads(event["payload"])
            if event["payload"]
            else {"account_id": event["account_id"], "source_label": event["source_label"]}
        )
        body, headers = sign_event(
            secret,
            fields,
            timestamp=event["timestamp"],
            token=event["token"],
            webhook_id=event["webhook_id"],
            signed_at=now,
        )
        try:
            status = post(
                event["url"],
                body,
                {**headers, "user-agent": self.settings.user_agent},
                policy=self.settings.policy,
                deadline=self.settings.deadline,
                in_flight=self.in_flight,
            )
        except InvalidParameter as refused:
            return None, refused.message
        except PostFailed as failure:
            return None, str(failure)
        if 300 <= status < 400:
            return status, "redirects are not followed"
        return status, None if 200 <= status < 300 else f"answered {status}"

    def _outcome(
        self, event: dict[str, Any], status: int | None, error: str | None, now: int
    ) -> dict[str, Any]:
        if status is not None and 200 <= status < 300:
            return {"state": "delivered", "next_attempt_at": now, "finished_at": now, "last_error": None}
        if status == 410:
            return {
                "state": "failed",
                "next_attempt_at": now,
                "finished_at": now,
                "last_error": "410 Gone: not retried",
            }
        if now - event["created"] >= RETRY_FOR:
            message = f"gave up after {event['attempts'] + 1} attempts over 24 hours: {error}"
            return {"state": "failed", "next_attempt_at": now, "finished_at": now, "last_error": message}
        delay = min(FIRST_DELAY * 2 ** event["attempts"], MAX_DELAY) * self.jitter.uniform(0.5, 1.5)
        return {
            "state": "pending",
            "next_attempt_at": now + int(delay),
            "finished_at": None,
            "last_error": error,
        }
