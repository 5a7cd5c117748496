"""A Lua VM set up the way Argo CD sets up the one that runs resource health checks and
actions, so scripts that only work with a full Lua runtime fail here as they would there.

Argo CD runs scripts on gopher-lua (Lua 5.1 semantics) created without the standard
libraries, then opens only the base, package and table libraries. No `os`, `string`,
`math`, `io`, `debug` or `coroutine` global exists, and strings have no methods. A safe
`os` holding only `time` and `date` is preloaded, so it is reachable solely through
`require("os")`. Scripts get the resource as the global `obj`, run under a one-second
deadline, and their returned table is encoded to JSON, where an empty table is an array;
for actions, Argo CD turns an empty array back into an object where the input had one.

This VM is lupa's Lua 5.1 with the extra libraries removed after setup."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from lupa import lua51

# Health statuses Argo CD accepts; any other value becomes Unknown.
HEALTH_STATUSES = frozenset(
    {"Healthy", "Progressing", "Suspended", "Degraded", "Missing", "Unknown"}
)
DEADLINE_SECONDS = 1.0
# strftime flags gopher-lua's os.date understands; any other `%x` stays in the text.
DATE_FLAGS = frozenset("aAbBcdFHImMpPSxXyYzZw")
UNOPENED_LIBRARIES = ("os", "io", "string", "math", "debug", "coroutine", "python")

SANDBOX_SETUP = """
return function(safe_os, budget, unopened)
  local clock, deadline = os.clock, os.clock() + budget
  debug.sethook(function()
    if clock() > deadline then
      error("script ran past its deadline")
    end
  end, "", 1000)
  debug.setmetatable("", nil)
  for _, name in ipairs(unopened) do
    _G[name] = nil
    package.loaded[name] = nil
  end
  package.path, package.cpath = "", ""
  package.preload = {os = function() return safe_os end}
  package.loaders = {function(name)
    local loader = package.preload[name]
    if loader == nil then
      return "\\n\\tno module '" .. name .. "' in this sandbox"
    end
    return loader
  end}
end
"""


def _lua_date(runtime: lua51.LuaRuntime, fmt: str = "%c", when: float | None = None) -> Any:
    utc = fmt.startswith("!")
    fmt = fmt.lstrip("!")
    moment = dt.datetime.fromtimestamp(time.time() if when is None else when, dt.UTC)
    if not utc:
        moment = moment.astimezone()
    if fmt.startswith("*t"):
        fields = {
            "year": moment.year,
            "month": moment.month,
            "day": moment.day,
            "hour": moment.hour,
            "min": moment.minute,
            "sec": moment.second,
            "wday": moment.isoweekday() % 7 + 1,
            "yday": 0,
            "isdst": False,
        }
        return runtime.table_from(fields)
    out, pending = [], False
    for char in fmt:
        if pending:
            out.append(moment.strftime("%" + char) if char in DATE_FLAGS else "%" + char)
            pending = False
        elif char == "%":
            pending = True
        else:
            out.append(char)
    return "".join(out)


def _lua_time(fields: Any = None) -> int:
    if fields is None:
        return int(time.time())
    local = dt.datetime(
        int(fields["year"]),
        int(fields["month"]),
        int(fields["day"]),
        int(fields["hour"] if fields["hour"] is not None else 12),
        int(fields["min"] or 0),
        int(fields["sec"] or 0),
    )
    return int(local.astimezone().timestamp())


def to_lua(runtime: lua51.LuaRuntime, value: Any) -> Any:
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    return value


def to_json_value(value: Any) -> Any:
    """What Argo CD's JSON encoding of a returned Lua value yields: tables whose keys are
    exactly 1..n (the empty table included) become arrays, other tables objects."""
    if lua51.lua_type(value) != "table":
        return value
    keys = list(value.keys())
    if all(isinstance(k, int) for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
        return [to_json_value(value[k]) for k in sorted(keys)]
    if not all(isinstance(k, str) for k in keys):
        raise ValueError(f"a table with mixed keys cannot be encoded to JSON: {keys}")
    return {k: to_json_value(value[k]) for k in keys}


def restore_empty_objects(new: Any, old: Any) -> Any:
    """Argo CD's repair of action output: an empty array where the input held an object is
    that object again."""
    if isinstance(new, dict) and isinstance(old, dict):
        return {k: restore_empty_objects(v, old[k]) if k in old else v for k, v in new.items()}
    if isinstance(new, list) and isinstance(old, dict) and not new:
        return old
    if isinstance(new, list) and isinstance(old, list):
        return [restore_empty_objects(n, o) for n, o in zip(new, old, strict=False)] + new[
            len(old) :
        ]
    return new


def sandbox() -> lua51.LuaRuntime:
    runtime = lua51.LuaRuntime(register_eval=False, register_builtins=False)
    safe_os = runtime.table_from(
        {"date": lambda *args: _lua_date(runtime, *args), "time": _lua_time}
    )
    setup = runtime.execute(SANDBOX_SETUP)
    setup(safe_os, DEADLINE_SECONDS, runtime.table_from(list(UNOPENED_LIBRARIES)))
    return runtime


def run_script(script: str, obj: dict[str, Any]) -> Any:
    """The JSON value the script returns for this resource."""
    runtime = sandbox()
    runtime.globals().obj = to_lua(runtime, obj)
    return to_json_value(runtime.execute(script))


def health(script: str, obj: dict[str, Any]) -> dict[str, str]:
    result = run_script(script, obj)
    assert isinstance(result, dict), f"a health script must return a table, not {result!r}"
    assert result.get("status") in HEALTH_STATUSES, f"Argo CD reads this as Unknown: {result}"
    return result


def discover(script: str, obj: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result = run_script(script, obj)
    return {} if result == [] else result


def act(script: str, obj: dict[str, Any]) -> dict[str, Any]:
    result = run_script(script, obj)
    assert isinstance(result, dict), f"an action must return the resource, not {result!r}"
    restored: dict[str, Any] = restore_empty_objects(result, obj)
    return restored


def rollout(status: dict[str, Any] | None, generation: int = 2) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "apiVersion": "pixelproof.dev/v1alpha1",
        "kind": "ModelRollout",
        "metadata": {"name": "poster-gen", "namespace": "imagegen", "generation": generation},
        "spec": {"steps": [{"setWeight": 10}, {"pause": {}}, {"setWeight": 100}]},
    }
    if status is not None:
        obj["status"] = {"observedGeneration": generation, **status}
    return obj


def conditions(
    stalled: str, reason: str = "Progressing", message: str = ""
) -> list[dict[str, str]]:
    return [
        {"type": "Ready", "status": "False", "reason": reason},
        {
            "type": "Reconciling",
            "status": "False" if stalled == "True" else "True",
            "reason": reason,
        },
        {"type": "Stalled", "status": stalled, "reason": reason, "message": message},
    ]
