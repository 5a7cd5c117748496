"""What the emulator answers kubectl at the HTTP level: Tables, OpenAPI v3, field
validation and the JSON-only media types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pixelproof_localcluster import LocalCluster
from pixelproof_localcluster.fieldvalidation import unknown_fields
from pixelproof_localcluster.jsonpath import first_match, matches
from pixelproof_localcluster.tables import human_duration, wants_table

TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
GROUP, PLURAL = "stable.example.com", "crontabs"
CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": f"{PLURAL}.{GROUP}"},
    "spec": {
        "group": GROUP,
        "scope": "Namespaced",
        "names": {"plural": PLURAL, "singular": "crontab", "kind": "CronTab"},
        "versions": [
            {
                "name": "v1",
                "served": True,
                "storage": True,
                "additionalPrinterColumns": [
                    {"name": "Spec", "type": "string", "jsonPath": ".spec.cronSpec"},
                    {"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas"},
                    {
                        "name": "Ready",
                        "type": "string",
                        "jsonPath": '.status.conditions[?(@.type=="Ready")].status',
                        "priority": 1,
                    },
                    {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
                ],
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "properties": {
                            "spec": {
                                "type": "object",
                                "description": "What to run and when.",
                                "properties": {
                                    "cronSpec": {"type": "string"},
                                    "replicas": {"type": "integer"},
                                    "extra": {
                                        "type": "object",
                                        "x-kubernetes-preserve-unknown-fields": True,
                                    },
                                },
                            },
                            "status": {
                                "type": "object",
                                "x-kubernetes-preserve-unknown-fields": True,
                            },
                        },
                    }
                },
            }
        ],
    },
}
PATH = f"/apis/{GROUP}/v1/namespaces/default/{PLURAL}"


@pytest.fixture
def http(cluster: LocalCluster) -> Iterator[httpx.Client]:
    cluster.register_crd(CRD)
    with httpx.Client(base_url=cluster.url, timeout=30) as client:
        yield client


def _create(http: httpx.Client, name: str, **spec: Any) -> None:
    body = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "CronTab",
        "metadata": {"name": name},
        "spec": spec,
    }
    assert http.post(PATH, json=body).status_code == 201


def test_tables_follow_the_printer_columns(http: httpx.Client) -> None:
    _create(http, "nightly", cronSpec="0 3 * * *", replicas=2)
    table = http.get(PATH, headers={"Accept": TABLE}).json()
    assert table["kind"] == "Table" and table["apiVersion"] == "meta.k8s.io/v1"
    assert [c["name"] for c in table["columnDefinitions"]] == [
        "Name",
        "Spec",
        "Replicas",
        "Ready",
        "Age",
    ]
    assert table["columnDefinitions"][3]["priority"] == 1
    (row,) = table["rows"]
    assert row["cells"][:4] == ["nightly", "0 3 * * *", 2, None]
    assert row["cells"][4].endswith("s")
    assert row["object"]["kind"] == "PartialObjectMetadata"
    assert row["object"]["metadata"]["name"] == "nightly"
    full = http.get(
        f"{PATH}/nightly", headers={"Accept": TABLE}, params={"includeObject": "Object"}
    )
    assert full.json()["rows"][0]["object"]["spec"]["replicas"] == 2
    bare = http.get(PATH, headers={"Accept": TABLE}, params={"includeObject": "None"}).json()
    assert "object" not in bare["rows"][0]
    assert http.get(PATH).json()["kind"] == "CronTabList"


def test_built_in_kinds_without_columns_get_name_and_age(http: httpx.Client) -> None:
    table = http.get("/api/v1/namespaces", headers={"Accept": TABLE}).json()
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Age"]
    assert "default" in {row["cells"][0] for row in table["rows"]}


def test_openapi_v3_indexes_every_group_version_and_carries_crd_schemas(
    http: httpx.Client,
) -> None:
    root = http.get("/openapi/v3").json()["paths"]
    assert {"api/v1", "apis/apps/v1", f"apis/{GROUP}/v1"} <= set(root)
    document = http.get(root[f"apis/{GROUP}/v1"]["serverRelativeURL"]).json()
    schema = document["components"]["schemas"]["com.example.stable.v1.CronTab"]
    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": GROUP, "version": "v1", "kind": "CronTab"}
    ]
    assert schema["properties"]["spec"]["description"] == "What to run and when."
    patch = document["paths"][f"/apis/{GROUP}/v1/namespaces/{{namespace}}/{PLURAL}/{{name}}"][
        "patch"
    ]
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
    assert http.get("/openapi/v3/apis/nothing.example/v9").status_code == 404


def test_strict_field_validation_names_unknown_fields(http: httpx.Client) -> None:
    body = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "CronTab",
        "metadata": {"name": "typo"},
        "spec": {"cronSpek": "* * * * *", "extra": {"anything": 1}},
    }
    refused = http.post(PATH, json=body, params={"fieldValidation": "Strict"})
    assert refused.status_code == 400
    assert 'strict decoding error: unknown field "spec.cronSpek"' in refused.json()["message"]
    warned = http.post(PATH, json=body, params={"fieldValidation": "Warn"})
    assert warned.status_code == 201
    assert warned.headers.get_list("Warning") == ['299 - "unknown field \\"spec.cronSpek\\""']
    assert http.post(PATH, json=body | {"metadata": {"name": "quiet"}}).status_code == 201
    wrong = http.post(PATH, json=body, params={"fieldValidation": "Loud"})
    assert wrong.status_code == 400


def test_protobuf_bodies_get_415_and_protobuf_only_accept_406(http: httpx.Client) -> None:
    sent = http.post(
        "/api/v1/namespaces",
        content=b"k8s\x00binary",
        headers={"Content-Type": "application/vnd.kubernetes.protobuf"},
    )
    assert sent.status_code == 415
    assert "reads JSON only, not application/vnd.kubernetes.protobuf" in sent.json()["message"]
    asked = http.get(
        "/api/v1/namespaces", headers={"Accept": "application/vnd.kubernetes.protobuf"}
    )
    assert asked.status_code == 406 and "application/json" in asked.json()["message"]
    either = http.get(
        "/api/v1/namespaces", headers={"Accept": "application/vnd.kubernetes.protobuf, */*"}
    )
    assert either.status_code == 200


def test_printer_column_jsonpath_subset() -> None:
    obj = {"status": {"conditions": [{"type": "A", "status": "x"}, {"type": "B", "status": "y"}]}}
    assert first_match(obj, '.status.conditions[?(@.type=="B")].status') == "y"
    assert first_match(obj, "{.status.conditions[0].type}") == "A"
    assert matches(obj, ".status.conditions[*].type") == ["A", "B"]
    assert first_match(obj, ".status.missing") is None
    with pytest.raises(ValueError, match="unsupported JSONPath"):
        matches(obj, ".status..type")


def test_wants_table_and_ages() -> None:
    assert wants_table(TABLE) and not wants_table("application/json")
    assert [human_duration(s) for s in (5, 130, 700, 3 * 3600 + 60, 30 * 3600, 3 * 86400)] == [
        "5s",
        "2m10s",
        "11m",
        "3h1m",
        "30h",
        "3d",
    ]


def test_unknown_fields_respect_preserve_and_additional_properties() -> None:
    schema = {
        "type": "object",
        "properties": {
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "items": {"type": "array", "items": {"type": "object", "properties": {"a": {}}}},
        },
    }
    value = {"labels": {"any": "x"}, "items": [{"a": 1}, {"b": 2}], "nope": 1, "gone": None}
    assert unknown_fields(schema, value) == ["items[1].b", "nope"]
