"""IMAP settings for well-known mail providers, from the address's domain."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ImapSettings:
    server: str
    port: int = 993
    use_ssl: bool = True
    oauth: bool = False
    documentation: str = ""


_GMAIL = ImapSettings(
    "imap.gmail.com", oauth=True, documentation="https://support.google.com/mail/answer/7126229"
)
_OUTLOOK = ImapSettings("outlook.office365.com", oauth=True)
_YAHOO = ImapSettings("imap.mail.yahoo.com")
_ICLOUD = ImapSettings("imap.mail.me.com")
_FASTMAIL = ImapSettings("imap.fastmail.com")
_AOL = ImapSettings("imap.aol.com")
_GMX = ImapSettings("imap.gmx.com")
_ZOHO = ImapSettings("imap.zoho.com")
_YANDEX = ImapSettings("imap.yandex.com")

KNOWN_DOMAINS: dict[str, ImapSettings] = {
    **dict.fromkeys(("gmail.com", "googlemail.com"), _GMAIL),
    **dict.fromkeys(("outlook.com", "hotmail.com", "live.com", "msn.com"), _OUTLOOK),
    **dict.fromkeys(("yahoo.com", "ymail.com", "rocketmail.com"), _YAHOO),
    **dict.fromkeys(("icloud.com", "me.com", "mac.com"), _ICLOUD),
    **dict.fromkeys(("fastmail.com", "fastmail.fm"), _FASTMAIL),
    **dict.fromkeys(("aol.com",), _AOL),
    **dict.fromkeys(("gmx.com", "gmx.net", "gmx.de"), _GMX),
    **dict.fromkeys(("zoho.com", "zohomail.com"), _ZOHO),
    **dict.fromkeys(("yandex.com", "yandex.ru"), _YANDEX),
}


# The form's presets: a domain of each provider, and its name as people know it.
PROVIDER_CHOICES = [
    ("gmail.com", "Gmail (app password)"),
    ("outlook.com", "Outlook.com / Hotmail"),
    ("yahoo.com", "Yahoo Mail"),
    ("icloud.com", "iCloud Mail"),
    ("fastmail.com", "Fastmail"),
    ("aol.com", "AOL Mail"),
    ("gmx.com", "GMX"),
    ("zoho.com", "Zoho Mail"),
    ("yandex.com", "Yandex Mail"),
]


def discover(email: str) -> ImapSettings | None:
    return KNOWN_DOMAINS.get(email.rsplit("@", 1)[-1].lower())
