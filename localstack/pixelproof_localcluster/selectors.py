"""Label and field selectors as the API server parses them from query strings."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from pixelproof_localcluster import errors

_SET_RE = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)\s*$")


@dataclasses.dataclass(frozen=True)
class Requirement:
    key: str
    operator: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        match self.operator:
            case "exists":
                return present
            case "!exists":
                return not present
            case "=" | "in":
                return present and value in self.values
            case "!=" | "notin":
                return not present or value not in self.values
        raise AssertionError(self.operator)


def _split_terms(selector: str) -> list[str]:
    """Split on commas that are not inside the parentheses of a set expression."""
    terms, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            terms.append(current)
            current = ""
        else:
            current += char
    terms.append(current)
    return [term.strip() for term in terms if term.strip()]


def parse_label_selector(selector: str | None) -> list[Requirement]:
    """Parse ``a=b,c!=d,e,!f,g in (x,y),h notin (z)``; raise 400 on anything else."""
    if not selector:
        return []
    requirements: list[Requirement] = []
    for term in _split_terms(selector):
        if set_match := _SET_RE.match(term):
            key, op, raw_values = set_match.groups()
            values = frozenset(v.strip() for v in raw_values.split(",") if v.strip())
            requirements.append(Requirement(key, op, values))
        elif "!=" in term:
            key, value = term.split("!=", 1)
            requirements.append(Requirement(key.strip(), "!=", frozenset([value.strip()])))
        elif "=" in term:
            key, value = term.split("==", 1) if "==" in term else term.split("=", 1)
            requirements.append(Requirement(key.strip(), "=", frozenset([value.strip()])))
        elif term.startswith("!"):
            requirements.append(Requirement(term[1:].strip(), "!exists"))
        elif re.fullmatch(r"[A-Za-z0-9./_-]+", term):
            requirements.append(Requirement(term, "exists"))
        else:
            raise errors.bad_request(f"unable to parse requirement {term!r} in labelSelector")
    return requirements


def parse_field_selector(selector: str | None) -> list[tuple[str, str, str]]:
    """Parse ``metadata.name=x,metadata.namespace!=y`` into (path, operator, value)."""
    if not selector:
        return []
    result: list[tuple[str, str, str]] = []
    for term in _split_terms(selector):
        if "!=" in term:
            path, value = term.split("!=", 1)
            result.append((path.strip(), "!=", value.strip()))
        elif "=" in term:
            path, value = term.split("==", 1) if "==" in term else term.split("=", 1)
            result.append((path.strip(), "=", value.strip()))
        else:
            raise errors.bad_request(f"invalid fieldSelector term {term!r}: expected key=value")
    return result


def _field_value(obj: Mapping[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return "" if value is None else str(value)


@dataclasses.dataclass(frozen=True)
class Selector:
    labels: tuple[Requirement, ...] = ()
    fields: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> Selector:
        return cls(
            labels=tuple(parse_label_selector(params.get("labelSelector"))),
            fields=tuple(parse_field_selector(params.get("fieldSelector"))),
        )

    def matches(self, obj: Mapping[str, Any]) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        if not all(requirement.matches(labels) for requirement in self.labels):
            return False
        for path, op, expected in self.fields:
            equal = _field_value(obj, path) == expected
            if equal != (op == "="):
                return False
        return True
