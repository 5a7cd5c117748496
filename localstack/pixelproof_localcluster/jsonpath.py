"""The JSONPath subset CRD printer columns use: `.a.b`, `[0]`, `[*]` and `[?(@.k=="v")]`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TOKEN = re.compile(
    r"""\.(?P<field>[A-Za-z0-9_\-]+)"""
    r"""|\[(?P<index>-?\d+|\*)\]"""
    r"""|\[\?\(@(?P<key>(?:\.[A-Za-z0-9_\-]+)+)\s*==\s*(?P<quote>["'])(?P<value>.*?)(?P=quote)\)\]"""
)


def _steps(path: str) -> list[re.Match[str]]:
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    steps, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r} at {text[position:]!r}")
        steps.append(match)
        position = match.end()
    return steps


def _field(node: Any, dotted: str) -> Any:
    for name in dotted.strip(".").split("."):
        node = node.get(name) if isinstance(node, Mapping) else None
    return node


def matches(obj: Any, path: str) -> list[Any]:
    """Every value the path selects, in document order."""
    nodes = [obj]
    for step in _steps(path):
        found: list[Any] = []
        for node in nodes:
            if step["field"] is not None:
                if isinstance(node, Mapping) and step["field"] in node:
                    found.append(node[step["field"]])
            elif step["index"] is not None and isinstance(node, list):
                if step["index"] == "*":
                    found.extend(node)
                elif -len(node) <= int(step["index"]) < len(node):
                    found.append(node[int(step["index"])])
            elif step["key"] is not None and isinstance(node, list):
                found.extend(
                    item for item in node if str(_field(item, step["key"])) == step["value"]
                )
        nodes = found
    return nodes


def first_match(obj: Any, path: str) -> Any:
    """The first selected value, as the API server fills a printer column; None if none."""
    found = matches(obj, path)
    return found[0] if found else None
