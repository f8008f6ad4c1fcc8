"""Where permission rules come from, for `codesm permissions` and `codesm tools use`.

The files are the ones `permission_rule_sets` reads (user settings, an explicit
`--settings-file`, the project's settings); each listed rule keeps its file, so a user can see
which file to change. Project files are untrusted: their allow rules are listed but ignored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from codesm.agent.permissions.defaults import default_rules
from codesm.agent.permissions.engine import TOOL_KINDS, Mode, PermissionEngine, ToolRequest
from codesm.agent.permissions.rules import Rule, RuleSource, rules_from_settings
from codesm.agent.tools.registry import AnyTool
from codesm.config.settings import (
    Settings,
    global_settings_path,
    read_settings_file,
    workspace_settings_path,
)
from codesm.errors import ConfigError

PERMISSIONS_KEY = "codesm.permissions"
Scope = Literal["user", "project"]


@dataclass(frozen=True)
class ListedRule:
    rule: Rule
    origin: str
    """The settings file it is written in, or `built-in`."""
    effective: bool
    """False for allow rules of a project file, which are ignored."""

    def as_json(self) -> dict[str, Any]:
        return {
            "tool": self.rule.tool,
            "action": self.rule.action,
            "matches": {k: [p.text for p in v] for k, v in self.rule.matches.items()},
            "message": self.rule.message,
            "source": self.rule.source,
            "origin": self.origin,
            "effective": self.effective,
        }


def rule_files(workspace: Path, settings_file: Path | None) -> list[tuple[Path, RuleSource, bool]]:
    """(file, source, trusted) in the order the engine reports them."""
    files = [(global_settings_path(), "user", True)]
    if settings_file is not None:
        files.append((settings_file, "user", True))
    files.append((workspace_settings_path(workspace), "project", False))
    return files  # type: ignore[return-value]


def list_rules(workspace: Path, settings_file: Path | None) -> list[ListedRule]:
    """Every rule from every source, in evaluation order, built-ins last."""
    listed = []
    for path, source, trusted in rule_files(workspace, settings_file):
        specs = read_settings_file(path).get(PERMISSIONS_KEY, [])
        for rule in rules_from_settings(specs, source=source, trusted=trusted).rules:
            listed.append(ListedRule(rule, str(path), trusted or rule.action != "allow"))
    listed += [ListedRule(rule, "built-in", True) for rule in default_rules().rules]
    return listed


def effective_mode(settings: Settings, requested: Mode | None, allow_all: bool) -> Mode:
    if allow_all:
        return "allow-all"
    if requested is not None:
        return requested
    return "allow-all" if settings.dangerously_allow_all else settings.permission_mode


def engine_for(workspace: Path, settings_file: Path | None, mode: Mode) -> PermissionEngine:
    """The engine a session in `workspace` would use (same sources as the runtime)."""
    from codesm.agent.runtime import permission_rule_sets

    return PermissionEngine(
        permission_rule_sets(workspace, settings_file), mode=mode, workspace_root=workspace
    )


def tool_request(name: str, arguments: dict[str, Any], tool: AnyTool | None) -> ToolRequest:
    """The request the tool runner builds for a call (mirrors `ToolRunner._request`)."""
    kind = TOOL_KINDS.get(name, "other")
    command = arguments.get("command") if kind == "shell" else None
    url = arguments.get("url")
    return ToolRequest(
        tool=name,
        command=command if isinstance(command, str) else None,
        paths=tool.permission_paths(arguments) if tool is not None else (),
        url=url if isinstance(url, str) else None,
        actor="user",
    )


def append_rule(path: Path, rule: dict[str, Any]) -> None:
    """Append one rule to `codesm.permissions` in `path` (created if missing).

    A file with comments (JSONC) is refused rather than rewritten without them."""
    rules_from_settings([rule], source="user")  # validates; raises ConfigError
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if text.strip():
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ConfigError(
                f"{path} has comments or is not plain JSON; add the rule by hand with "
                "`codesm permissions edit`"
            ) from exc
        if not isinstance(data, dict):
            raise ConfigError(f"settings file {path} must hold a JSON object")
    else:
        data = {}
    current = data.get(PERMISSIONS_KEY, [])
    if not isinstance(current, list):
        raise ConfigError(f"{PERMISSIONS_KEY} in {path} is not a list")
    data[PERMISSIONS_KEY] = [*current, rule]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)


def scope_path(scope: Scope, workspace: Path) -> Path:
    return global_settings_path() if scope == "user" else workspace_settings_path(workspace)
