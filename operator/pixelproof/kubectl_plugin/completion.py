"""Shell completion: `completion bash|zsh` scripts for `kubectl-pixelproof`, and the
`__complete` protocol that both those scripts and kubectl itself speak.

kubectl (1.26 and later) completes `kubectl pixelproof <TAB>` by running the executable
`kubectl_complete-pixelproof` with the words typed so far; it reads one candidate per
line and a last line `:<directive>` (cobra's format: 4 = no file names, 0 = default)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .globalflags import split_global_flags

NO_FILE_COMPLETION = 4
DEFAULT_COMPLETION = 0

COMMANDS = {
    "get": "list rollouts, or one rollout's tree of owned resources",
    "status": "step, weights, gates, last evaluation and conditions",
    "promote": "pass the current pause or step",
    "abort": "return all traffic to stable now",
    "retry": "start a rolled-back rollout again",
    "report": "where the last evaluation's full report is",
    "lint": "check ModelRollout files offline",
    "version": "print the plugin's version",
    "completion": "print a shell completion script (bash, zsh)",
}
NAMED = ("get", "status", "promote", "abort", "retry", "report")
FLAGS = {
    "get": ["--output", "-o", "--watch", "-w", "--timeout"],
    "status": ["--watch", "-w", "--timeout"],
    "promote": ["--full"],
}
GLOBAL_FLAGS = ["--namespace", "-n", "--all-namespaces", "-A", "--kubeconfig", "--context"]

BASH = """\
# bash completion for kubectl-pixelproof: source <(kubectl-pixelproof completion bash)
_kubectl_pixelproof() {
    local IFS=$'\\n' out
    out=$(kubectl-pixelproof __complete "${COMP_WORDS[@]:1:$COMP_CWORD}" 2>/dev/null) || return
    out=${out%:*}
    COMPREPLY=($(compgen -W "$out" -- "${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _kubectl_pixelproof kubectl-pixelproof
"""

ZSH = """\
#compdef kubectl-pixelproof
# zsh completion for kubectl-pixelproof: source <(kubectl-pixelproof completion zsh)
_kubectl_pixelproof() {
    local -a lines
    lines=("${(@f)$(kubectl-pixelproof __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    if [[ ${lines[-1]} == ":0" ]]; then
        _files
        return
    fi
    compadd -- "${(@)lines[1,-2]}"
}
compdef _kubectl_pixelproof kubectl-pixelproof
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH}

Lister = Callable[[str | None, str | None, str | None], list[str]]
"""Rollout names, or namespaces: (kubeconfig, context, namespace) -> names."""


def candidates(words: Sequence[str], rollouts: Lister, namespaces: Lister) -> tuple[list[str], int]:
    """Candidates for the last of `words` (the word being typed, maybe empty)."""
    *done, current = list(words) or [""]
    previous = done[-1] if done else ""
    if previous in ("-n", "--namespace", "--context", "--kubeconfig"):
        done = done[:-1]
    flags, rest = split_global_flags(done)
    kubeconfig, context = flags.kubeconfig, flags.context
    if previous in ("-n", "--namespace"):
        return namespaces(kubeconfig, context, None), NO_FILE_COMPLETION
    if previous == "--kubeconfig":
        return [], DEFAULT_COMPLETION
    if previous == "--context":
        return [], NO_FILE_COMPLETION
    command = rest[0] if rest else None
    if command is None:
        if current.startswith("-"):
            return GLOBAL_FLAGS, NO_FILE_COMPLETION
        return list(COMMANDS), NO_FILE_COMPLETION
    if current.startswith("-"):
        return FLAGS.get(command, []) + GLOBAL_FLAGS, NO_FILE_COMPLETION
    if previous in ("-o", "--output") and command == "get":
        return ["json", "yaml"], NO_FILE_COMPLETION
    if command == "completion":
        return (list(SCRIPTS) if len(rest) == 1 else []), NO_FILE_COMPLETION
    if command == "lint":
        return [], DEFAULT_COMPLETION
    positional = [w for w in rest[1:] if not w.startswith("-")]
    if command in NAMED and not positional:
        return rollouts(kubeconfig, context, flags.namespace), NO_FILE_COMPLETION
    return [], NO_FILE_COMPLETION


def complete(words: Sequence[str], rollouts: Lister, namespaces: Lister) -> str:
    found, directive = candidates(words, rollouts, namespaces)
    prefix = words[-1] if words else ""
    lines = [c for c in found if c.startswith(prefix)]
    return "\n".join([*lines, f":{directive}"])
