"""One API client's view of the data: everything it reads or changes goes through this.

Every query the domain makes is scoped by the tenant's consumer key, so another client's
account answers exactly as a missing one does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..storage import Database
from .address_policy import AddressPolicy
from .crypto import Vault


@dataclass(frozen=True)
class Tenant:
    database: Database
    vault: Vault
    consumer_key: str
    allow_private_callbacks: bool = False
    now: int = field(default_factory=lambda: int(time.time()))
    own_origins: frozenset[str] = frozenset()

    @property
    def policy(self) -> AddressPolicy:
        """Where the server may connect on this client's say-so (IMAP servers, callback URLs)."""
        return AddressPolicy(self.allow_private_callbacks, self.own_origins)
