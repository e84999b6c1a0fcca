"""Reading Context.IO request parameters: everything arrives as a string.

Context.IO's clients send booleans as ``1``/``0`` or ``true``/``false``, numbers as digits,
and empty strings for "not given" (the official client adds an empty ``body`` to every POST).
One reader turns them into values or into an error that names the parameter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from ..domain.errors import InvalidParameter

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
# Whole numbers beyond this are no real date, count or offset: refused before they reach the
# database (whose integers stop at 2**63) or anything else that would choke on them.
LARGEST_INTEGER = 2**53


class Parameters:
    def __init__(self, values: Mapping[str, str]) -> None:
        self._raw = {name: value for name, value in values.items() if isinstance(value, str)}
        self._values = {name: value.strip() for name, value in self._raw.items()}

    def given(self, name: str) -> bool:
        return self._values.get(name, "") != ""

    def any_given(self, names: Iterable[str]) -> bool:
        return any(self.given(name) for name in names)

    def text(self, name: str, *, required: bool = False, max_length: int = 1024) -> str | None:
        value = self._values.get(name, "")
        if value == "":
            if required:
                raise InvalidParameter(f"{name} is required")
            return None
        if len(value) > max_length or not value.isprintable():
            raise InvalidParameter(f"{name} must be at most {max_length} printable characters")
        return value

    def raw(self, name: str) -> str | None:
        """The value exactly as sent (a whole message, line breaks and all)."""
        return self._raw.get(name) or None

    def secret(self, name: str) -> str | None:
        """Like text, but a password keeps its spaces and may be long."""
        value = self._raw.get(name, "")
        if value == "":
            return None
        if len(value) > 4096 or "\x00" in value:
            raise InvalidParameter(f"{name} is too long or contains a NUL character")
        return value

    def email(self, name: str, *, required: bool = False) -> str | None:
        value = self.text(name, required=required, max_length=254)
        if value is not None and not _EMAIL.fullmatch(value):
            raise InvalidParameter(f"{name} is not an email address: {value!r}")
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self._values.get(name, "").lower()
        if value == "":
            return default
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        raise InvalidParameter(f"{name} must be 1 or 0")

    def integer(
        self, name: str, *, minimum: int | None = None, maximum: int | None = None, required: bool = False
    ) -> int | None:
        value = self.text(name, required=required, max_length=20)
        if value is None:
            return None
        try:
            number = int(value)
        except ValueError:
            raise InvalidParameter(f"{name} must be a whole number, not {value!r}") from None
        if abs(number) > LARGEST_INTEGER:
            raise InvalidParameter(f"{name} is out of range")
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            bounds = f"from {minimum} to {maximum}" if maximum is not None else f"at least {minimum}"
            raise InvalidParameter(f"{name} must be {bounds}")
        return number

    def choice(self, name: str, choices: Iterable[str], *, default: str | None = None) -> str | None:
        options = tuple(choices)
        value = self.text(name)
        if value is None:
            return default
        for option in options:
            if value.lower() == option.lower():
                return option
        raise InvalidParameter(f"{name} must be one of {', '.join(options)}")
