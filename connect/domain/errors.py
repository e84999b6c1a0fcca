"""The domain's one error type: a message for the person who can fix it, and its HTTP status.

The sources API answers these as ``{"type": "error", "value": message}``; the pages show the
message; nothing else needs to know which subclass it was.
"""

from __future__ import annotations


class ConnectError(Exception):
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidParameter(ConnectError):
    status = 400


class Unauthorized(ConnectError):
    status = 401


class NotFound(ConnectError):
    status = 404


class Conflict(ConnectError):
    status = 409


class Gone(ConnectError):
    status = 410
