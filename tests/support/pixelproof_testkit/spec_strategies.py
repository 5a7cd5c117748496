"""Hypothesis strategies for ModelRollout specs: built from the generated CRD schema (values
in and just outside every bound, patterns matched or broken), and mutations of the valid
examples (a field replaced, removed or added)."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

import yaml
from hypothesis import strategies as st

from pixelproof.api.crd_validation import go_pattern, spec_schema

from .charts import REPO

EXAMPLES = REPO / "examples"
JUNK: tuple[Any, ...] = (
    None,
    "",
    "x",
    "0s",
    "10m\n",
    -1,
    0,
    1,
    2.5,
    1e308,
    float("nan"),
    float("inf"),
    True,
    [],
    {},
    [None],
    {"unknown": 1},
    "a" * 300,
)
# Copied per draw: a mutation that adds a field to a drawn {} must not change JUNK itself,
# or later draws (and hypothesis's replay of this one) would see another value.
junk = st.sampled_from(JUNK).map(copy.deepcopy)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=5))
small_json = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@cache
def valid_examples() -> tuple[dict[str, Any], ...]:
    docs = [
        doc
        for path in sorted(EXAMPLES.glob("*.yaml"))
        for doc in yaml.safe_load_all(path.read_text())
        if doc and doc.get("kind") == "ModelRollout"
    ]
    return tuple(docs)


def _string(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [st.text(max_size=12)]
    if "pattern" in schema:
        options.append(
            st.from_regex(go_pattern(schema["pattern"]), fullmatch=True).map(lambda s: s[:70])
        )
        options.append(st.from_regex(schema["pattern"]).map(lambda s: s[:70]))
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if "maxLength" in schema:
        options.append(st.just("a" * (schema["maxLength"] + 1)))
    return st.one_of(options)


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", -10)
    high = schema.get("maximum", low + 100)
    edges = [low, high, low - 1, high + 1]
    if integer:
        return st.one_of(st.sampled_from([int(e) for e in edges]), st.integers(int(low), int(high)))
    return st.one_of(st.sampled_from(edges), st.floats(low, high, allow_nan=False))


def from_schema(schema: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values for one schema node, mostly of the right shape."""
    kind = schema.get("type")
    if schema.get("x-kubernetes-int-or-string"):
        return st.one_of(
            st.integers(-2, 8), st.sampled_from(["1", "500m", "16Gi", "-1", "1.5", "x"])
        )
    if kind == "object" and "properties" in schema and depth < 6:
        properties = schema["properties"]
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {k: from_schema(v, depth + 1) for k, v in properties.items() if k in required},
            optional={
                k: from_schema(v, depth + 1) for k, v in properties.items() if k not in required
            },
        )
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        values = from_schema(schema["additionalProperties"], depth + 1)
        return st.dictionaries(st.text(max_size=12), values, max_size=3)
    if kind == "object":
        return st.dictionaries(st.text(max_size=6), small_json, max_size=3)
    if kind == "array" and depth < 6:
        return st.lists(from_schema(schema.get("items", {}), depth + 1), max_size=3)
    if kind == "string":
        return _string(schema)
    if kind in ("integer", "number"):
        return _number(schema, kind == "integer")
    if kind == "boolean":
        return st.booleans()
    return small_json


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*path, index))
    return found


def _node(schema: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any] | None:
    for part in path:
        if isinstance(part, int):
            schema = schema.get("items", {})
        elif part in schema.get("properties", {}):
            schema = schema["properties"][part]
        else:
            return None
    return schema


@st.composite
def redrawn(draw: st.DrawFn, base: Any) -> Any:
    """`base` with one field drawn afresh from its schema node: mostly well-formed, often
    at or just past a bound."""
    value = copy.deepcopy(base)
    paths = [p for p in _paths(value) if p and _node(spec_schema(), p) is not None]
    path = draw(st.sampled_from(paths))
    parent = value
    for part in path[:-1]:
        parent = parent[part]
    node = _node(spec_schema(), path)
    assert node is not None
    parent[path[-1]] = draw(from_schema(node))
    return value


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with one to three changes: a value replaced (by junk or by a value drawn for
    that kind of node), removed, or an unknown field added."""
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(value) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = value
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "remove", "add", "json"]))
        if action == "replace":
            parent[path[-1]] = draw(junk)
        elif action == "json":
            parent[path[-1]] = draw(small_json)
        elif action == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.sampled_from(["unknown", "min", "gates", "name"]))] = draw(
                junk
            )
    return value


def specs() -> st.SearchStrategy[Any]:
    """Specs from the schema, and mutations of the examples' specs."""
    example_specs = [doc["spec"] for doc in valid_examples()]
    return st.one_of(
        from_schema(spec_schema()),
        st.sampled_from(example_specs).flatmap(mutated),
        st.sampled_from(example_specs).flatmap(redrawn),
        st.sampled_from(example_specs).flatmap(redrawn).flatmap(redrawn),
    )


def documents() -> st.SearchStrategy[Any]:
    """Whole ModelRollouts: mutated examples (metadata included) and schema-built specs."""
    metadata = st.one_of(
        st.just({"name": "gen", "namespace": "imagegen"}),
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(st.from_regex(r"[a-z][a-z0-9.-]{0,8}", fullmatch=True), junk),
                "namespace": st.one_of(st.just("ns"), junk),
                "labels": st.one_of(st.just({"app": "x"}), small_json),
            },
        ),
        junk,
    )
    built = st.builds(
        lambda meta, spec: {
            "apiVersion": "pixelproof.dev/v1alpha1",
            "kind": "ModelRollout",
            "metadata": meta,
            "spec": spec,
        },
        metadata,
        from_schema(spec_schema()),
    )
    return st.one_of(built, st.sampled_from(valid_examples()).flatmap(mutated))
