"""Credentials at rest: passwords, provider tokens and consumer secrets, encrypted.

The key is derived from ``SECRET_KEY`` (HKDF-SHA256, its own ``info`` so it never equals the
session-signing key). ``SECRET_KEY_FALLBACKS`` (Flask's own name for retired keys) still
decrypt, so rotating the key is: set the new key, list the old one as a fallback, run
``flask --app app secrets reencrypt``, then drop the fallback.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"connect: credentials at rest, v1"
_FINGERPRINT_INFO = b"connect: which SECRET_KEY, v1"
_UNREADABLE = (
    "a stored credential cannot be decrypted with any configured key: "
    "if SECRET_KEY changed, list the previous one in SECRET_KEY_FALLBACKS"
)


class UnreadableSecret(Exception):
    """Stored ciphertext that no configured key opens: the key changed without a fallback."""


def _fernet(root_key: str | bytes) -> Fernet:
    material = root_key.encode() if isinstance(root_key, str) else root_key
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(material)
    return Fernet(base64.urlsafe_b64encode(derived))


def key_fingerprint(root_key: str | bytes) -> str:
    """Names a SECRET_KEY without revealing it: which key a database was written under."""
    material = root_key.encode() if isinstance(root_key, str) else root_key
    derived = HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=_FINGERPRINT_INFO).derive(material)
    return derived.hex()


class Vault:
    """Encrypts with the current key; decrypts with the current key or any fallback."""

    def __init__(self, secret_key: str | bytes, fallbacks: Iterable[str | bytes] = ()) -> None:
        self._keys = MultiFernet([_fernet(secret_key), *(_fernet(key) for key in fallbacks if key)])
        self.fingerprint = key_fingerprint(secret_key)
        self.fallback_fingerprints = tuple(key_fingerprint(key) for key in fallbacks if key)

    def encrypt(self, plaintext: str) -> bytes:
        return self._keys.encrypt(plaintext.encode())

    def decrypt(self, ciphertext: bytes) -> str:
        try:
            return self._keys.decrypt(bytes(ciphertext)).decode()
        except InvalidToken:
            raise UnreadableSecret(_UNREADABLE) from None

    def reencrypt(self, ciphertext: bytes) -> bytes:
        """The same plaintext under the current key (a no-op in meaning, new bytes)."""
        try:
            return self._keys.rotate(bytes(ciphertext))
        except InvalidToken:
            raise UnreadableSecret(_UNREADABLE) from None
