"""Context.IO's request parameters, read into the domain's values.

The wire rules live here (booleans as ``1``/``0``, ``use_ssl`` where anything but 1 means no,
the ``provider_*`` credentials taking precedence over a password, the error messages clients
know); what the values must satisfy beyond their shape is the domain's to say.
"""

from __future__ import annotations

from dataclasses import replace

from ..domain import mail
from ..domain.accounts import NewAccount
from ..domain.connect_tokens import TokenRequest
from ..domain.contacts import DEFAULT_LIMIT as DEFAULT_CONTACTS
from ..domain.contacts import MAX_LIMIT as MAX_CONTACTS
from ..domain.contacts import SORTS as CONTACT_SORTS
from ..domain.contacts import ContactQuery
from ..domain.errors import InvalidParameter
from ..domain.providers import PROVIDER_TYPES
from ..domain.sources import (
    SYNC_OPTIONS,
    SYNC_PERIODS,
    Credentials,
    NewSource,
    Password,
    ProviderTokens,
    SourceChanges,
    SourceStatus,
    SyncOptions,
    status_filter,
)
from ..domain.webhooks import FILTERS, WebhookSettings
from .parameters import Parameters

PROVIDER_PARAMETERS = (
    "provider_token",
    "provider_token_secret",
    "provider_refresh_token",
    "provider_consumer_key",
)
SOURCE_PARAMETERS = ("server", "username", "password", *PROVIDER_PARAMETERS)
MAX_MESSAGES = 100
MAX_FILES = 1000
MAX_ACCOUNTS = 1000


def new_account(parameters: Parameters) -> tuple[NewAccount, NewSource | None]:
    """The account, and its first source when the call carries source parameters."""
    email = parameters.email("email", required=True)
    account = NewAccount(
        email,
        parameters.text("first_name", max_length=200) or "",
        parameters.text("last_name", max_length=200) or "",
    )
    return account, new_source(parameters) if parameters.any_given(SOURCE_PARAMETERS) else None


def account_names(parameters: Parameters) -> dict[str, str]:
    return {
        name: parameters.text(name, max_length=200) or ""
        for name in ("first_name", "last_name")
        if parameters.given(name)
    }


def account_query(parameters: Parameters) -> dict:
    return {
        "email": parameters.email("email"),
        "statuses": statuses(parameters),
        "limit": parameters.integer("limit", minimum=0, maximum=MAX_ACCOUNTS),
        "offset": parameters.integer("offset", minimum=0) or 0,
    }


def statuses(parameters: Parameters) -> tuple[str, ...] | None:
    status = parameters.choice("status", [status.value for status in SourceStatus])
    status_ok = parameters.flag("status_ok") if parameters.given("status_ok") else None
    return status_filter(status, status_ok)


def new_source(parameters: Parameters) -> NewSource:
    # The seed: "Set to 1 if you want SSL … Any other value will be considered as do not use SSL".
    use_ssl = parameters.text("use_ssl", required=True)
    kind = parameters.text("type", required=True)
    if kind.upper() != "IMAP":
        raise InvalidParameter("type must be IMAP, the only supported source type")
    return NewSource(
        server=parameters.text("server", required=True, max_length=253),
        port=parameters.integer("port", minimum=1, maximum=65535, required=True),
        use_ssl=use_ssl.lower() in ("1", "true"),
        username=parameters.text("username", required=True, max_length=320),
        credentials=credentials(parameters),
        options=SyncOptions(
            sync_period=parameters.choice("sync_period", SYNC_PERIODS, default="24h"),
            **{name: parameters.flag(name) for name in SYNC_OPTIONS},
        ),
        callback_url=parameters.text("callback_url", max_length=2048),
        status_callback_url=parameters.text("status_callback_url", max_length=2048),
    )


def source_changes(parameters: Parameters) -> SourceChanges:
    return SourceChanges(
        sync_period=parameters.choice("sync_period", SYNC_PERIODS),
        options={name: parameters.flag(name) for name in SYNC_OPTIONS if parameters.given(name)},
        status_callback_url=parameters.text("status_callback_url", max_length=2048),
        credentials=credentials(parameters),
        enabled=parameters.flag("status") if parameters.given("status") else None,
        force_status_check=parameters.flag("force_status_check"),
    )


def credentials(parameters: Parameters) -> Credentials | None:
    """What the parameters carry: ``provider_*`` tokens win over a password; None for neither."""
    if parameters.any_given(PROVIDER_PARAMETERS):
        key = parameters.text("provider_consumer_key", max_length=512)
        if key is None:
            raise InvalidParameter("provider_consumer_key is required with provider_* credentials")
        return ProviderTokens(
            key,
            refresh_token=parameters.secret("provider_refresh_token"),
            token=parameters.secret("provider_token"),
            token_secret=parameters.secret("provider_token_secret"),
        )
    password = parameters.secret("password")
    return None if password is None else Password(password)


def provider(parameters: Parameters) -> tuple[str, str, str]:
    """``type``, ``provider_consumer_key`` and ``provider_consumer_secret`` of a new provider."""
    kind = parameters.choice("type", PROVIDER_TYPES)
    if kind is None:
        raise InvalidParameter(f"type is required: one of {', '.join(PROVIDER_TYPES)}")
    key = parameters.text("provider_consumer_key", required=True, max_length=512)
    secret = parameters.secret("provider_consumer_secret")
    if secret is None:
        raise InvalidParameter("provider_consumer_secret is required")
    return kind, key, secret


def token_request(parameters: Parameters) -> TokenRequest:
    def url(name: str) -> str | None:
        return parameters.text(name, max_length=2048)

    return TokenRequest(
        callback_url=parameters.text("callback_url", required=True, max_length=2048),
        email=parameters.email("email") or "",
        first_name=parameters.text("first_name", max_length=200) or "",
        last_name=parameters.text("last_name", max_length=200) or "",
        source_callback_url=url("source_callback_url"),
        status_callback_url=url("status_callback_url"),
        source_sync_all_folders=parameters.flag("source_sync_all_folders"),
        source_sync_flags=parameters.flag("source_sync_flags"),
        source_raw_file_list=parameters.flag("source_raw_file_list"),
    )


def mail_filters(parameters: Parameters, maximum: int) -> mail.MailFilters:
    def match(name: str) -> mail.TextMatch | None:
        pattern = parameters.text(name, max_length=500)
        if pattern is None:
            return None
        return (mail.file_name_match if name == "file_name" else mail.text_match)(pattern, name)

    def lowered(name: str) -> str | None:
        address = parameters.email(name)
        return address.lower() if address else None

    return mail.MailFilters(
        subject=match("subject"),
        file_name=match("file_name"),
        addresses={field: lowered(field) for field in mail.ADDRESS_FIELDS},
        any_address=lowered("email"),
        folder=parameters.text("folder"),
        source=parameters.text("source"),
        date_before=parameters.integer("date_before", minimum=0),
        date_after=parameters.integer("date_after", minimum=0),
        indexed_before=parameters.integer("indexed_before", minimum=0),
        indexed_after=parameters.integer("indexed_after", minimum=0),
        file_size_min=parameters.integer("file_size_min", minimum=0),
        file_size_max=parameters.integer("file_size_max", minimum=0),
        descending=parameters.choice("sort_order", ("asc", "desc"), default="desc") == "desc",
        limit=parameters.integer("limit", minimum=1, maximum=maximum) or maximum,
        offset=parameters.integer("offset", minimum=0) or 0,
    )


def webhook_settings(parameters: Parameters) -> WebhookSettings:
    """A webhook's create or update parameters; absent ones are None (an update keeps them).
    ``include_headers`` is taken for ``include_header``; parsed-receipt options are ignored."""

    def flag(name: str) -> bool | None:
        return parameters.flag(name) if parameters.given(name) else None

    header_name = "include_header" if parameters.given("include_header") else "include_headers"
    header = parameters.text(header_name, max_length=5)
    if header is not None:
        header = header.lower()
        header = "raw" if header == "raw" else ("1" if parameters.flag(header_name) else "0")
    return WebhookSettings(
        callback_url=parameters.text("callback_url", max_length=2048),
        failure_notif_url=parameters.text("failure_notif_url", max_length=2048),
        filters={name: parameters.text(name) or "" for name in FILTERS if parameters.given(name)},
        include_body=flag("include_body"),
        body_type=parameters.text("body_type", max_length=50),
        include_header=header,
        receive_drafts=flag("receive_drafts"),
        receive_all_changes=flag("receive_all_changes"),
        receive_historical=flag("receive_historical"),
        sync_period=parameters.text("sync_period", max_length=50),
        active=flag("active"),
    )


def page(parameters: Parameters, maximum: int) -> tuple[int, int]:
    """``limit`` (at most ``maximum``, which is also the default) and ``offset``."""
    limit = parameters.integer("limit", minimum=1, maximum=maximum) or maximum
    return limit, parameters.integer("offset", minimum=0) or 0


def thread_filters(parameters: Parameters, maximum: int) -> tuple[mail.MailFilters, int | None, int | None]:
    """A thread listing's filters: the messages' own, with ``active_before/after`` (some
    message dated so; ``activity_*`` as aliases) for their dates; and ``started_before/after``
    (the thread's first message)."""

    filters = replace(
        mail_filters(parameters, maximum),
        date_before=_active(parameters, "active_before"),
        date_after=_active(parameters, "active_after"),
    )
    started_before = parameters.integer("started_before", minimum=0)
    return filters, started_before, parameters.integer("started_after", minimum=0)


def contact_query(parameters: Parameters) -> ContactQuery:
    """A contact listing's parameters (``activity_*`` taken for ``active_*``)."""
    return ContactQuery(
        search=parameters.text("search", max_length=500),
        active_before=_active(parameters, "active_before"),
        active_after=_active(parameters, "active_after"),
        sort_by=parameters.choice("sort_by", CONTACT_SORTS, default="count"),
        descending=parameters.choice("sort_order", ("asc", "desc"), default="desc") == "desc",
        limit=parameters.integer("limit", minimum=1, maximum=MAX_CONTACTS) or DEFAULT_CONTACTS,
        offset=parameters.integer("offset", minimum=0) or 0,
    )


def _active(parameters: Parameters, name: str) -> int | None:
    """``active_before``/``after``, or the ``activity_*`` spelling Context.IO's Ruby client sends."""
    given = parameters.integer(name, minimum=0)
    return given if given is not None else parameters.integer(name.replace("active_", "activity_"), minimum=0)


def folder_listing(parameters: Parameters, folder: str, source_label: str) -> mail.MailFilters:
    """A folder's messages: newest first, ``flag_seen`` (1: only read ones, 0: only unread)."""
    seen = parameters.flag("flag_seen") if parameters.given("flag_seen") else None
    limit, offset = page(parameters, MAX_MESSAGES)
    return mail.MailFilters(folder=folder, source=source_label, seen=seen, limit=limit, offset=offset)
