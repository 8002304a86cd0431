from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from jsonschema import Draft202012Validator

from tests.playground.conftest import OPENAPI_PATHS


@pytest.fixture
def document() -> dict[str, Any]:
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return response.json()


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_document_is_openapi_3_1_with_this_sites_server(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["servers"] == [{"url": "http://testserver"}]
    description = document["info"]["description"]
    for how in ["bounce.example.test", "slow.example.test", "DELETE", "Prefer: wait"]:
        assert how in description


def test_every_path_is_routed_and_every_route_documented(document: dict[str, Any]) -> None:
    assert set(document["paths"]) == set(OPENAPI_PATHS.values())
    for path in document["paths"]:
        concrete = path.replace("{jobId}", "job_abc")
        assert OPENAPI_PATHS[str(resolve(concrete).url_name)] == path


def test_every_ref_resolves_and_every_schema_is_valid(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    for ref in refs(document):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas
    for schema in schemas.values():
        Draft202012Validator.check_schema(schema)


def test_every_operation_documents_its_statuses(document: dict[str, Any]) -> None:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert operation["operationId"] and operation["responses"], (path, method)
            if "{jobId}" in path:
                assert {"404", "410"} <= set(operation["responses"]), (path, method)
    post = document["paths"]["/api/emails/bulk"]["post"]["responses"]
    assert {"202", "303", "400", "409", "413", "415", "422"} <= set(post)
    accepted_headers = post["202"]["headers"]
    for name in ["Location", "Content-Location", "Operation-Location", "Retry-After"]:
        assert accepted_headers[name]["required"]
