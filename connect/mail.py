"""The merged data set of an account: messages, files and folders, as the API filters them.

Filters are Context.IO's: each becomes one SQL clause with named parameters; a value is never
spliced into SQL. ``subject`` and ``file_name`` take a substring or a ``/regex/``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import db
from .errors import InvalidParameter, NotFound
from .parameters import Parameters
from .tenant import Tenant

MAX_MESSAGES = 100
ADDRESS_FIELDS = ("from", "to", "cc", "bcc")


def _text_match(parameters: Parameters, name: str, column: str, values: dict[str, Any]) -> str | None:
    pattern = parameters.text(name, max_length=500)
    if pattern is None:
        return None
    if len(pattern) > 2 and pattern.startswith("/") and pattern.endswith("/"):
        try:
            re.compile(pattern[1:-1])
        except re.error as error:
            raise InvalidParameter(f"{name} is not a valid regular expression: {error}") from None
        values[name] = pattern[1:-1]
        return f"{column} REGEXP :{name}"
    values[name] = f"%{pattern.replace('%', '').replace('_', '')}%"
    return f"{column} LIKE :{name}"


def _address_clause(field: str, parameter: str) -> str:
    if field == "from":
        return f"json_extract(m.addresses, '$.from.email') = :{parameter}"
    return (
        f"EXISTS (SELECT 1 FROM json_each(m.addresses, '$.{field}') j "
        f"WHERE json_extract(j.value, '$.email') = :{parameter})"
    )


def _time_clauses(parameters: Parameters, column: str, prefix: str, values: dict[str, Any]) -> list[str]:
    clauses = []
    for suffix, operator in (("before", "<"), ("after", ">")):
        name = f"{prefix}_{suffix}"
        moment = parameters.integer(name, minimum=0)
        if moment is not None:
            values[name] = moment
            clauses.append(f"{column} {operator} :{name}")
    return clauses


def _page(parameters: Parameters, maximum: int) -> tuple[int, int]:
    limit = parameters.integer("limit", minimum=1, maximum=maximum)
    return limit or maximum, parameters.integer("offset", minimum=0) or 0


def list_messages(tenant: Tenant, account_id: str, parameters: Parameters) -> list[dict[str, Any]]:
    values: dict[str, Any] = {}
    where = [clause for clause in [_text_match(parameters, "subject", "m.subject", values)] if clause]
    for field in ADDRESS_FIELDS:
        address = parameters.email(field)
        if address:
            values[field] = address.lower()
            where.append(_address_clause(field, field))
    email = parameters.email("email")
    if email:
        values["email"] = email.lower()
        where.append("(" + " OR ".join(_address_clause(field, "email") for field in ADDRESS_FIELDS) + ")")
    folder = parameters.text("folder")
    if folder:
        values["folder"] = folder
        where.append(
            "EXISTS (SELECT 1 FROM message_locations l JOIN folders fo ON fo.id = l.folder_id "
            "WHERE l.message_id = m.id AND fo.name = :folder)"
        )
    source = parameters.text("source")
    if source:
        values["source"] = source
        where.append(
            "EXISTS (SELECT 1 FROM message_locations l JOIN folders fo ON fo.id = l.folder_id "
            "JOIN sources s ON s.id = fo.source_id WHERE l.message_id = m.id AND s.label = :source)"
        )
    file_clause = _text_match(parameters, "file_name", "f.file_name", values)
    if file_clause:
        where.append(f"EXISTS (SELECT 1 FROM files f WHERE f.message_id = m.id AND {file_clause})")
    where += _time_clauses(parameters, "m.date", "date", values)
    where += _time_clauses(parameters, "m.date_indexed", "indexed", values)
    order = parameters.choice("sort_order", ("asc", "desc"), default="desc")
    limit, offset = _page(parameters, MAX_MESSAGES)
    rows = db.find_messages(
        tenant.database, account_id, where, values, descending=order == "desc", limit=limit, offset=offset
    )
    return _with_locations_and_files(tenant, rows)


def find_message(tenant: Tenant, account_id: str, message_id: str) -> dict[str, Any]:
    row = db.message(tenant.database, account_id, message_id)
    if row is None:
        raise NotFound(f"message {message_id} not found in account {account_id}")
    return _with_locations_and_files(tenant, [row])[0]


def _with_locations_and_files(tenant: Tenant, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = [row["id"] for row in rows]
    locations: dict[str, list[dict[str, Any]]] = {message_id: [] for message_id in ids}
    for location in db.locations_of(tenant.database, ids):
        locations[location["message_id"]].append(location)
    files: dict[str, list[dict[str, Any]]] = {message_id: [] for message_id in ids}
    for file in db.files_of_messages(tenant.database, ids):
        files[file["message_id"]].append(file)
    return [
        {
            **row,
            "addresses": json.loads(row["addresses"]),
            "locations": locations[row["id"]],
            "files": files[row["id"]],
        }
        for row in rows
    ]


def list_files(tenant: Tenant, account_id: str, parameters: Parameters) -> list[dict[str, Any]]:
    values: dict[str, Any] = {}
    where = [clause for clause in [_text_match(parameters, "file_name", "f.file_name", values)] if clause]
    email = parameters.email("email")
    if email:
        values["email"] = email.lower()
        where.append("(" + " OR ".join(_address_clause(field, "email") for field in ADDRESS_FIELDS) + ")")
    where += _time_clauses(parameters, "m.date", "date", values)
    limit, offset = _page(parameters, 1000)
    rows = db.find_files(tenant.database, account_id, where, values, limit=limit, offset=offset)
    return [{**row, "addresses": json.loads(row["addresses"])} for row in rows]


def find_file(tenant: Tenant, account_id: str, file_id: str) -> dict[str, Any]:
    row = db.file(tenant.database, account_id, file_id)
    if row is None:
        raise NotFound(f"file {file_id} not found in account {account_id}")
    return {**row, "addresses": json.loads(row["addresses"])}


def folders(tenant: Tenant, source: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**row, "attributes": json.loads(row["attributes"])}
        for row in db.folders_of(tenant.database, source["id"])
    ]


def counts(tenant: Tenant, account_id: str) -> dict[str, int]:
    return db.account_counts(tenant.database, account_id)
