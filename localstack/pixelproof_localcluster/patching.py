"""PATCH bodies: JSON merge-patch (RFC 7386) and JSON-patch (RFC 6902).

Strategic-merge-patch is applied as a merge-patch: for the kinds served here the
difference (merging lists by key) does not matter to the callers of this server.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonpatch
import jsonpointer

from pixelproof_localcluster import errors

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: dicts merge recursively, ``null`` deletes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def json_patch(target: dict[str, Any], ops: Any) -> dict[str, Any]:
    """RFC 6902; a failed ``test`` op or an unreachable path is a 422, as in Kubernetes."""
    if not isinstance(ops, list):
        raise errors.bad_request("a JSON-patch body must be a list of operations")
    try:
        result = jsonpatch.apply_patch(target, ops, in_place=False)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise errors.unprocessable(
            f"the server rejected our request due to an error in our "
            f"request: testing value failed: {exc}"
        ) from exc
    except (jsonpatch.JsonPatchConflict, jsonpointer.JsonPointerException) as exc:
        raise errors.unprocessable(f"the JSON-patch could not be applied: {exc}") from exc
    except jsonpatch.InvalidJsonPatch as exc:
        raise errors.bad_request(f"invalid JSON-patch: {exc}") from exc
    if not isinstance(result, dict):
        raise errors.unprocessable("the JSON-patch replaced the object with a non-object")
    return result


def apply_patch(content_type: str, target: dict[str, Any], patch: Any) -> dict[str, Any]:
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == JSON_PATCH:
        return json_patch(target, patch)
    if media_type in (MERGE_PATCH, STRATEGIC_MERGE_PATCH):
        if not isinstance(patch, dict):
            raise errors.bad_request("a merge-patch body must be a JSON object")
        result = merge_patch(target, patch)
        assert isinstance(result, dict)
        return result
    raise errors.unsupported_media_type(content_type)
