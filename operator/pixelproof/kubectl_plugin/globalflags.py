"""kubectl's global flags, accepted anywhere on the command line as kubectl accepts them.

kubectl hands a plugin the rest of the line unchanged, and people write
`kubectl pixelproof get -n imagegen` as readily as `kubectl pixelproof -n imagegen get`:
these flags are taken out before the subcommand's own arguments are parsed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import PluginError

# Flag spellings -> the GlobalFlags field they set.
_VALUED = {
    "-n": "namespace",
    "--namespace": "namespace",
    "--kubeconfig": "kubeconfig",
    "--context": "context",
}
_SWITCHES = {"-A": "all_namespaces", "--all-namespaces": "all_namespaces"}


@dataclass
class GlobalFlags:
    namespace: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    all_namespaces: bool = False


def split_global_flags(argv: Sequence[str]) -> tuple[GlobalFlags, list[str]]:
    """The global flags, and the arguments left for the subcommand (after `--`, nothing is
    taken: a file named -n stays a file)."""
    flags = GlobalFlags()
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--":
            rest += argv[index - 1 :]
            break
        name, has_value, value = arg.partition("=")
        if name in _SWITCHES and (not has_value or value in ("true", "false")):
            flags.all_namespaces = value != "false"
            continue
        if name in _VALUED:
            if not has_value:
                if index >= len(argv):
                    raise PluginError(f"flag needs an argument: {arg}")
                value = argv[index]
                index += 1
            setattr(flags, _VALUED[name], value)
            continue
        if arg.startswith("-n") and not arg.startswith("--") and len(arg) > 2:
            flags.namespace = arg[2:].removeprefix("=")
            continue
        rest.append(arg)
    return flags, rest
