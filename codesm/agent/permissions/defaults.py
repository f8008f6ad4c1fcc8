"""The built-in allowlist: read-only, network-free commands that run without asking.

Risky forms of these programs (``find -exec``, ``sort -o``, ``git -c``, ``rg --pre``, redirects,
paths outside the workspace) are caught by the shell checker whatever the rules say, so these
patterns can stay simple.
"""

from __future__ import annotations

from codesm.agent.permissions.rules import Rule, RuleSet

__all__ = ["DEFAULT_ALLOWED_COMMANDS", "default_rules"]

_BARE_OR_WITH_ARGS = [
    "ls",
    "cat",
    "head",
    "tail",
    "wc",
    "pwd",
    "echo",
    "grep",
    "egrep",
    "fgrep",
    "rg",
    "find",
    "which",
    "file",
    "stat",
    "tree",
    "du",
    "df",
    "sort",
    "uniq",
    "cut",
    "diff",
    "basename",
    "dirname",
    "realpath",
    "true",
    "false",
    "nl",
    "tac",
]
_GIT_READS = ("status", "diff", "log", "show")
_GIT_BRANCH_LISTING = (
    "git branch",
    "git branch -a",
    "git branch -r",
    "git branch -v",
    "git branch -vv",
    "git branch -av",
    "git branch --all",
    "git branch --list",
    "git branch --list *",
    "git branch --show-current",
    "git branch --contains *",
)

DEFAULT_ALLOWED_COMMANDS: tuple[str, ...] = (
    *(p for name in _BARE_OR_WITH_ARGS for p in (name, f"{name} *")),
    *(p for sub in _GIT_READS for p in (f"git {sub}", f"git {sub} *")),
    *_GIT_BRANCH_LISTING,
)


def default_rules() -> RuleSet:
    """The built-in rules: one allow rule for the ``bash`` tool over the read-only commands."""
    rule = Rule.make("bash", "allow", {"cmd": list(DEFAULT_ALLOWED_COMMANDS)}, source="builtin")
    return RuleSet(source="builtin", rules=(rule,))
