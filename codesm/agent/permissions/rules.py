"""Permission rules: what they look like, where they come from, and how one matches a target.

A rule is Amp-shaped: ``{"tool": "bash", "matches": {"cmd": "git status*"}, "action": "allow"}``.
``tool`` is a glob over tool names. Each ``matches`` value is a glob, a ``/regex/`` (searched, so
anchor it with ``^...$``), or a list of either (any may match); every key must match. Keys are
``cmd`` (one simple shell command, words joined by single spaces), ``path`` (the workspace-relative
POSIX path; ``*`` stays within one directory, ``**`` crosses them), ``url``, ``domain``, or any
other field the tool reports. In ``cmd``, ``url`` and ``domain`` globs, ``*`` matches anything,
and a ``cmd`` glob ending in `` *`` also matches the bare command (``rm *`` matches ``rm``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from codesm.config.settings import PermissionRule
from codesm.errors import ConfigError

__all__ = [
    "Action",
    "Rule",
    "RuleSet",
    "RuleSource",
    "compile_pattern",
    "exact_pattern",
    "rules_from_settings",
]

Action = Literal["allow", "ask", "deny"]
RuleSource = Literal["builtin", "user", "project", "session", "project-answer"]
PATH_KEYS = frozenset({"path"})


@dataclass(frozen=True)
class Pattern:
    """One compiled glob or regex; `text` is what the user wrote."""

    text: str
    regex: re.Pattern[str]
    is_regex: bool

    def matches(self, value: str) -> bool:
        if self.is_regex:
            return self.regex.search(value) is not None
        return self.regex.fullmatch(value) is not None


def _path_glob_to_regex(glob: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


def compile_pattern(text: str, *, key: str = "cmd") -> Pattern:
    """Compile a rule value; raises `ConfigError` for a bad ``/regex/``."""
    if len(text) >= 2 and text.startswith("/") and text.endswith("/") and key not in PATH_KEYS:
        try:
            return Pattern(text, re.compile(text[1:-1], re.DOTALL), is_regex=True)
        except re.error as exc:
            raise ConfigError(
                f"permission rule pattern {text!r} is not a valid regex: {exc}"
            ) from exc
    if key in PATH_KEYS:
        if text.startswith("re:"):
            try:
                return Pattern(text, re.compile(text[3:], re.DOTALL), is_regex=True)
            except re.error as exc:
                raise ConfigError(f"path regex {text!r} is not valid: {exc}") from exc
        return Pattern(text, re.compile(_path_glob_to_regex(text), re.DOTALL), is_regex=False)
    regex = fnmatch.translate(text)
    if text.endswith(" *"):
        # `rm *` also covers a bare `rm`, as users expect of a command prefix
        regex = f"(?:{fnmatch.translate(text[:-2])})|(?:{regex})"
    return Pattern(text, re.compile(regex, re.DOTALL), is_regex=False)


def exact_pattern(value: str, *, key: str = "cmd") -> str:
    """A rule value that matches exactly `value` (for "always allow this" answers)."""
    if key in PATH_KEYS:
        return "re:^" + re.escape(value) + "$"
    return "/^" + re.escape(value) + "$/"


@dataclass(frozen=True)
class Rule:
    """One allow / ask / deny rule and where it came from."""

    tool: str
    action: Action
    matches: Mapping[str, tuple[Pattern, ...]] = field(default_factory=dict)
    source: RuleSource = "user"
    message: str | None = None

    @classmethod
    def make(
        cls,
        tool: str,
        action: Action,
        matches: Mapping[str, str | Sequence[str]] | None = None,
        *,
        source: RuleSource = "user",
        message: str | None = None,
    ) -> Rule:
        compiled: dict[str, tuple[Pattern, ...]] = {}
        for key, value in (matches or {}).items():
            values = [value] if isinstance(value, str) else list(value)
            compiled[key] = tuple(compile_pattern(v, key=key) for v in values)
        return cls(tool=tool, action=action, matches=compiled, source=source, message=message)

    def applies_to_tool(self, tool: str) -> bool:
        return fnmatch.fnmatchcase(tool.casefold(), self.tool.casefold())

    def matches_target(self, tool: str, target: Mapping[str, str]) -> bool:
        """Whether this rule covers one target (a simple command, a path, a URL) of `tool`."""
        if not self.applies_to_tool(tool):
            return False
        for key, patterns in self.matches.items():
            value = target.get(key)
            if value is None or not any(p.matches(value) for p in patterns):
                return False
        return True

    def describe(self) -> str:
        shown = {k: [p.text for p in v] for k, v in self.matches.items()}
        return f"{self.action} {self.tool} {shown} ({self.source})"


@dataclass(frozen=True)
class RuleSet:
    """Rules from one source, in order. Allow rules of an untrusted set are ignored."""

    source: RuleSource
    rules: tuple[Rule, ...]
    trusted: bool = True

    def effective(self) -> tuple[Rule, ...]:
        if self.trusted:
            return self.rules
        return tuple(r for r in self.rules if r.action != "allow")


def rules_from_settings(
    specs: Iterable[PermissionRule | Mapping[str, Any]],
    *,
    source: RuleSource,
    trusted: bool = True,
) -> RuleSet:
    """Build a `RuleSet` from ``codesm.permissions`` entries (validated models or raw dicts)."""
    rules: list[Rule] = []
    for spec in specs:
        try:
            model = (
                spec if isinstance(spec, PermissionRule) else PermissionRule.model_validate(spec)
            )
        except ValidationError as exc:
            raise ConfigError(f"invalid codesm.permissions rule {spec!r}: {exc}") from exc
        rules.append(
            Rule.make(model.tool, model.action, model.matches, source=source, message=model.message)
        )
    return RuleSet(source=source, rules=tuple(rules), trusted=trusted)
