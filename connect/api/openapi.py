"""The OpenAPI 3.1 description of ``/2.0``, served at ``/2.0/openapi.json``.

Declared here as a table, one row per operation with the parameters its handler reads, and
built into the document on request. A test compares the table with the blueprint's routes, so
a route added without its row fails the suite; schemathesis drives every row against a live
server. Parameters follow Context.IO: strings everywhere (numbers as digits, flags as 1/0),
query parameters on GET, form fields on POST.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Reusable parameter groups, by name. Types are what the server parses; Context.IO's clients
# send everything as strings, and so may the generated requests.
_FLAG = {"type": "string", "enum": ["0", "1", "true", "false"]}
_INTEGER = {"type": "string", "pattern": "^-?[0-9]+$"}
_TEXT = {"type": "string"}
PARAMETER_TYPES: dict[str, dict[str, Any]] = {
    "limit": _INTEGER,
    "offset": _INTEGER,
    "port": _INTEGER,
    "date_before": _INTEGER,
    "date_after": _INTEGER,
    "indexed_before": _INTEGER,
    "indexed_after": _INTEGER,
    "status_ok": _FLAG,
    "include_flags": _FLAG,
    "include_body": _FLAG,
    "include_headers": {"type": "string", "enum": ["0", "1", "raw"]},
    "raw_file_list": _FLAG,
    "sync_all_folders": _FLAG,
    "sync_flags": _FLAG,
    "expunge_on_deleted_flag": _FLAG,
    "force_status_check": _FLAG,
    "source_sync_all_folders": _FLAG,
    "source_sync_flags": _FLAG,
    "source_raw_file_list": _FLAG,
    "status": {
        "type": "string",
        "description": "a source status (OK, INVALID_CREDENTIALS, …) when listing; 1 or 0 when updating",
    },
    "sync_period": {"type": "string", "enum": ["1h", "4h", "12h", "24h"]},
    "sort_order": {"type": "string", "enum": ["asc", "desc"]},
    "body_type": {"type": "string", "enum": ["text/plain", "text/html"]},
    "type": _TEXT,
    "active": _FLAG,
    "receive_drafts": _FLAG,
    "receive_all_changes": _FLAG,
    "receive_historical": _FLAG,
    "include_header": {"type": "string", "enum": ["0", "1", "raw"]},
    "include_thread_size": _FLAG,
    "active_before": _INTEGER,
    "active_after": _INTEGER,
    "started_before": _INTEGER,
    "started_after": _INTEGER,
    "sort_by": {"type": "string", "enum": ["email", "count", "received_count", "sent_count"]},
    "primary": _FLAG,
    "include_extended_counts": _FLAG,
    "move": _FLAG,
    "as_link": _FLAG,
    "no_cache": _FLAG,
    "include_source": _FLAG,
    "file_size_min": _INTEGER,
    "file_size_max": _INTEGER,
    **{name: _FLAG for name in ("seen", "answered", "flagged", "deleted", "draft", "nonjunk")},
    **{f"flag_{name}": _FLAG for name in ("seen", "answered", "flagged", "deleted", "draft", "nonjunk")},
}
SOURCE = [
    "email", "server", "username", "password", "port", "use_ssl", "type", "sync_period",
    "raw_file_list", "sync_all_folders", "sync_flags", "expunge_on_deleted_flag", "callback_url",
    "status_callback_url", "provider_refresh_token", "provider_token", "provider_token_secret",
    "provider_consumer_key",
]  # fmt: skip
SOURCE_UPDATE = [
    "status", "sync_period", "raw_file_list", "sync_all_folders", "sync_flags",
    "expunge_on_deleted_flag", "status_callback_url", "force_status_check", "password",
    "provider_refresh_token", "provider_token", "provider_token_secret", "provider_consumer_key",
]  # fmt: skip
MAIL_FILTERS = [
    "subject", "email", "from", "to", "cc", "bcc", "folder", "source", "file_name", "file_size_min",
    "file_size_max", "date_before",
    "date_after", "indexed_before", "indexed_after", "sort_order", "limit", "offset",
]  # fmt: skip
CONNECT_TOKEN = [
    "callback_url", "email", "first_name", "last_name", "source_callback_url", "status_callback_url",
    "source_sync_all_folders", "source_sync_flags", "source_raw_file_list",
]  # fmt: skip
WEBHOOK = [
    "callback_url", "failure_notif_url", "filter_to", "filter_from", "filter_cc", "filter_subject",
    "filter_thread", "filter_new_important", "filter_file_name", "filter_file_revisions",
    "filter_folder_added", "filter_folder_removed", "filter_to_domain", "filter_from_domain",
    "include_body", "body_type", "include_header", "receive_drafts", "receive_all_changes",
    "sync_period", "active",
]  # fmt: skip
MESSAGE_OPTIONS = (
    "include_flags", "include_body", "include_headers", "body_type", "include_thread_size", "include_source",
)  # fmt: skip
FLAG_NAMES = ("seen", "answered", "flagged", "deleted", "draft", "nonjunk")
FLAG_FIELDS = tuple(f"flag_{name}" for name in FLAG_NAMES)
THREAD_PAGE = (*MESSAGE_OPTIONS, "limit", "offset")
THREAD_FILTERS = (
    "subject", "email", "from", "to", "cc", "bcc", "folder", "indexed_before", "indexed_after",
    "active_before", "active_after", "started_before", "started_after", "limit", "offset",
)  # fmt: skip

ACCOUNT = "/accounts/{account_id}"
SOURCE_PATH = ACCOUNT + "/sources/{label}"
MESSAGE = ACCOUNT + "/messages/{message_id}"
CONTACT = ACCOUNT + "/contacts/{email}"
CONTACT_QUERY = ("search", "active_before", "active_after", "sort_by", "sort_order", "limit", "offset")


@dataclass(frozen=True)
class Operation:
    path: str
    method: str
    summary: str
    parameters: tuple[str, ...] = ()
    answer: str = "object"  # "object", "array", or a MIME type for raw content
    required: tuple[str, ...] = ()


def _ops(path: str, summary: str, *methods: tuple[str, tuple[str, ...], str]) -> list[Operation]:
    return [
        Operation(path, method, f"{summary}: {method.upper()}", tuple(names), answer)
        for method, names, answer in methods
    ]  # noqa: E501


OPERATIONS: list[Operation] = [
    *_ops("/accounts", "accounts", ("get", ("email", "status", "status_ok", "limit", "offset"), "array"),
          ("post", ("first_name", "last_name", *SOURCE), "object")),
    *_ops(ACCOUNT, "an account", ("get", (), "object"), ("post", ("first_name", "last_name"), "object"),
          ("delete", (), "object")),
    *_ops(ACCOUNT + "/sources", "an account's sources", ("get", ("status", "status_ok"), "array"),
          ("post", tuple(SOURCE), "object")),
    *_ops(SOURCE_PATH, "a source", ("get", (), "object"), ("post", tuple(SOURCE_UPDATE), "object"),
          ("delete", (), "object")),
    *_ops(ACCOUNT + "/sync", "an account's syncs", ("get", (), "object"), ("post", (), "object")),
    *_ops(SOURCE_PATH + "/sync", "a source's syncs", ("get", (), "object"), ("post", (), "object")),
    *_ops(SOURCE_PATH + "/folders", "a source's folders",
          ("get", ("include_extended_counts", "no_cache"), "array")),
    *_ops(SOURCE_PATH + "/folders/{folder}/expunge", "expunge a folder", ("post", (), "object")),
    *_ops(SOURCE_PATH + "/folders/{folder}", "a folder", ("get", ("include_extended_counts",), "object"),
          ("put", ("delim",), "object"), ("delete", (), "object")),
    *_ops(SOURCE_PATH + "/folders/{folder}/messages", "a folder's messages, synced first",
          ("get", (*MESSAGE_OPTIONS, "flag_seen", "limit", "offset"), "array")),
    *_ops(ACCOUNT + "/messages", "messages",
          ("get", ("include_flags", "include_thread_size", *MAIL_FILTERS), "array"),
          ("post", ("dst_source", "dst_folder", "message", *FLAG_FIELDS), "object")),
    *_ops(MESSAGE, "a message", ("get", MESSAGE_OPTIONS, "object"), ("delete", (), "object"),
          ("post", ("dst_folder", "dst_source", "dst_label", "move", *FLAG_FIELDS), "object")),
    *_ops(MESSAGE + "/folders", "the folders holding a message", ("get", (), "array"),
          ("post", ("add", "remove"), "object"),
          ("put", (), "object")),
    *_ops(MESSAGE + "/thread", "the thread a message is in", ("get", THREAD_PAGE, "object")),
    *_ops(ACCOUNT + "/threads", "threads", ("get", THREAD_FILTERS, "array")),
    *_ops(ACCOUNT + "/threads/{thread_id}", "a thread", ("get", THREAD_PAGE, "object"),
          ("delete", (), "object")),
    *_ops(ACCOUNT + "/threads/{thread_id}/folders", "the folders holding a thread's messages",
          ("post", ("add", "remove"), "object"), ("put", (), "object")),
    *_ops(MESSAGE + "/source", "a message's raw source", ("get", (), "message/rfc822")),
    *_ops(MESSAGE + "/body", "a message's text parts", ("get", ("type",), "array")),
    *_ops(MESSAGE + "/headers", "a message's headers", ("get", (), "object")),
    *_ops(MESSAGE + "/flags", "a message's flags", ("get", (), "object"), ("post", FLAG_NAMES, "object")),
    *_ops(ACCOUNT + "/files", "files", ("get", tuple(MAIL_FILTERS), "array")),
    *_ops(ACCOUNT + "/files/{file_id}", "a file", ("get", (), "object")),
    *_ops(ACCOUNT + "/files/{file_id}/content", "a file's content (or, as_link=1, a link to it)",
          ("get", ("as_link",), "application/octet-stream")),
    *_ops(ACCOUNT + "/files/{file_id}/related", "files named like it", ("get", (), "array")),
    *_ops(ACCOUNT + "/files/{file_id}/revisions", "other versions of the document", ("get", (), "array")),
    *_ops("/files/download/{token}", "a file, by the link content?as_link=1 gave",
          ("get", (), "application/octet-stream")),
    *[
        operation
        for prefix in ("", ACCOUNT, SOURCE_PATH)
        for operation in _ops(prefix + "/connect_tokens", "connect tokens", ("get", (), "array"),
                              ("post", tuple(CONNECT_TOKEN), "object"))
        + _ops(prefix + "/connect_tokens/{token}", "a connect token", ("get", (), "object"),
               ("delete", (), "object"))
    ],
    *_ops("/oauth_providers", "OAuth providers", ("get", (), "array"),
          ("post", ("type", "provider_consumer_key", "provider_consumer_secret"), "object")),
    *_ops("/oauth_providers/{key}", "an OAuth provider", ("get", (), "object"), ("delete", (), "object")),
    *_ops("/discovery", "IMAP settings for an address", ("get", ("source_type", "email"), "object")),
    *_ops(ACCOUNT + "/email_addresses", "an account's email addresses", ("get", (), "array"),
          ("post", ("email_address",), "object")),
    *_ops(ACCOUNT + "/email_addresses/{email}", "an email address of the account", ("get", (), "object"),
          ("post", ("primary",), "object"), ("delete", (), "object")),
    *_ops(ACCOUNT + "/contacts", "contacts", ("get", CONTACT_QUERY, "object")),
    *_ops(CONTACT, "a contact", ("get", (), "object")),
    *_ops(CONTACT + "/messages", "mail exchanged with a contact", ("get", THREAD_PAGE, "array")),
    *_ops(CONTACT + "/files", "files exchanged with a contact", ("get", ("limit", "offset"), "array")),
    *_ops(CONTACT + "/threads", "threads with a contact", ("get", ("limit", "offset"), "array")),
    *_ops(ACCOUNT + "/webhooks", "an account's webhooks", ("get", (), "array"),
          ("post", tuple(WEBHOOK), "object")),
    *_ops(ACCOUNT + "/webhooks/{webhook_id}", "a webhook", ("get", (), "object"),
          ("post", tuple(WEBHOOK), "object"), ("delete", (), "object")),
    *_ops("/webhooks", "app-level webhooks, for every account", ("get", (), "array"),
          ("post", (*WEBHOOK, "receive_historical"), "object")),
    *_ops("/webhooks/{webhook_id}", "an app-level webhook", ("get", (), "object"),
          ("post", (*WEBHOOK, "receive_historical"), "object"), ("delete", (), "object")),
]  # fmt: skip

_ERROR = {
    "description": "Context.IO's error shape",
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["type", "value"],
                "properties": {"type": {"const": "error"}, "value": {"type": "string"}},
            }
        }
    },
}


def _parameter(name: str) -> dict[str, Any]:
    return PARAMETER_TYPES.get(name, _TEXT)


def _operation(operation: Operation) -> dict[str, Any]:
    path_names = [part[1:-1] for part in operation.path.split("/") if part.startswith("{")]
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in path_names
    ]
    body = None
    if operation.method == "post":
        body = {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {name: _parameter(name) for name in operation.parameters},
                    }
                }
            }
        }
    else:
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": _parameter(name)}
            for name in operation.parameters
        ]
    if operation.answer in ("object", "array"):
        content = {"application/json": {"schema": {"type": operation.answer}}}
    else:
        content = {operation.answer: {"schema": {"type": "string", "format": "binary"}}}
    described: dict[str, Any] = {
        "summary": operation.summary,
        "operationId": f"{operation.method}_{operation.path.strip('/').replace('/', '_').replace('{', '').replace('}', '')}",  # noqa: E501
        "parameters": parameters,
        "responses": {"200": {"description": "OK", "content": content}, "4XX": _ERROR, "5XX": _ERROR},
    }
    if body:
        described["requestBody"] = body
    return described


def document(server_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Connect sources API",
            "version": "2.0",
            "description": "Context.IO 2.0's wire format. Every request is signed with OAuth 1.0a "
            "(two-legged, HMAC-SHA1 or HMAC-SHA256), in the Authorization header or the query string.",
        },
        "servers": [{"url": server_url}],
        "components": {"securitySchemes": {"oauth1": {"type": "http", "scheme": "OAuth"}}},
        "security": [{"oauth1": []}],
        "paths": paths,
    }
