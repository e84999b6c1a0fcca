"""``oauth_providers``: the client's OAuth apps that sources' tokens belong to."""

from __future__ import annotations

from flask import Response, jsonify

from ..domain import providers
from . import inputs
from .blueprint import api_root, parameters, route, success, tenant
from .shapes import provider_shape


@route("/oauth_providers", methods=["GET"])
def list_providers() -> Response:
    return jsonify([provider_shape(row, api_root()) for row in providers.list_providers(tenant())])


@route("/oauth_providers", methods=["POST"])
def add_provider() -> Response:
    row = providers.add_provider(tenant(), *inputs.provider(parameters()))
    shape = provider_shape(row, api_root())
    return success(provider_consumer_key=shape["provider_consumer_key"], resource_url=shape["resource_url"])


@route("/oauth_providers/<path:key>", methods=["GET"])
def get_provider(key: str) -> Response:
    return jsonify(provider_shape(providers.find_provider(tenant(), key.rstrip("/")), api_root()))


@route("/oauth_providers/<path:key>", methods=["DELETE"])
def delete_provider(key: str) -> Response:
    providers.delete_provider(tenant(), providers.find_provider(tenant(), key.rstrip("/")))
    return success()
