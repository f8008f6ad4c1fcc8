"""`codesm permissions ...`: the merged rules, what-if tests, adding and editing rules."""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Any, get_args

import click

from codesm.agent.permissions.engine import Mode
from codesm.cli_support import echo_json
from codesm.config.settings import Settings, load_settings


def _root() -> dict[str, Any]:
    return dict(click.get_current_context().find_root().params)


def _settings() -> Settings:
    return load_settings(Path.cwd(), settings_file=_root().get("settings_file")).settings


@click.group()
def permissions() -> None:
    """Show, test, add and edit permission rules."""


PERMISSION_MODES = get_args(Mode)


@permissions.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """The merged rules in evaluation order, and the file each comes from."""
    from codesm.agent.permissions.sources import list_rules

    rules = list_rules(Path.cwd(), _root().get("settings_file"))
    if as_json:
        echo_json([rule.as_json() for rule in rules])
        return
    mode = _mode(None)
    click.echo(f"Permission mode: {mode}. First match wins; deny beats ask beats allow.\n")
    for item in rules:
        data = item.as_json()
        matches = " ".join(f"{k}={v}" for k, v in data["matches"].items())
        if len(matches) > 100:
            matches = matches[:99] + "…"
        note = "" if item.effective else "  (ignored: a project file cannot allow)"
        click.echo(f"{item.rule.action:<5} {item.rule.tool:<12} {matches}{note}")
        click.echo(f"      from {item.origin}")


def _mode(requested: str | None) -> Mode:
    from codesm.agent.permissions.sources import effective_mode

    root = _root()
    chosen: Mode | None = requested or root.get("permission_mode")  # type: ignore[assignment]
    return effective_mode(_settings(), chosen, bool(root.get("dangerously_allow_all")))


@permissions.command("test")
@click.argument("command", nargs=-1)
@click.option("--tool", help="Tool to test (default: bash when a COMMAND is given).")
@click.option("--args", "raw_args", help="The tool call's arguments as a JSON object.")
@click.option("--mode", type=click.Choice(PERMISSION_MODES), help="Test under this mode.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def test_command(
    command: tuple[str, ...],
    tool: str | None,
    raw_args: str | None,
    mode: str | None,
    as_json: bool,
) -> None:
    """What would happen to a shell COMMAND or a tool call, and which rule decides it.

    \b
    codesm permissions test git push origin main
    codesm permissions test --tool edit --args '{"path": ".env"}'
    """
    from codesm.agent.permissions.sources import engine_for, tool_request
    from codesm.agent.tools.registry import builtin_tools

    arguments: dict[str, Any] = {}
    if raw_args is not None:
        try:
            arguments = json.loads(raw_args)
        except ValueError as exc:
            raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--args") from exc
        if not isinstance(arguments, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--args")
    if command:
        arguments["command"] = shlex.join(command) if len(command) > 1 else command[0]
        tool = tool or "bash"
    if tool is None:
        raise click.UsageError("give a COMMAND to test, or --tool NAME with --args JSON")
    known = {t.name: t for t in builtin_tools()}
    chosen = _mode(mode)
    engine = engine_for(Path.cwd().resolve(), _root().get("settings_file"), chosen)
    decision = engine.decide(tool_request(tool, arguments, known.get(tool)))
    rule = decision.rule
    if as_json:
        echo_json({
            "tool": tool, "arguments": arguments, "mode": chosen, "action": decision.action,
            "reason": decision.reason, "rule": rule.describe() if rule else None,
            "rule_source": rule.source if rule else None,
        })  # fmt: skip
        return
    click.echo(f"{decision.action.upper()}: {decision.reason}")
    click.echo(f"  mode: {chosen}")
    click.echo(f"  rule: {rule.describe() if rule else '(none: the mode or a built-in check)'}")


@permissions.command("add")
@click.argument("action", type=click.Choice(["allow", "ask", "deny"]))
@click.argument("tool")
@click.option("--cmd", "cmds", multiple=True, help="Shell command glob (bash), repeatable.")
@click.option("--path", "paths", multiple=True, help="Path glob, repeatable.")
@click.option("--domain", "domains", multiple=True, help="Domain glob (webfetch), repeatable.")
@click.option("--message", help="What the model is told when the rule denies or asks.")
@click.option(
    "--scope",
    type=click.Choice(["user", "project"]),
    default="user",
    show_default=True,
    help="User settings, or this project's .codesm/settings.json (which cannot allow).",
)
def add_command(
    action: str,
    tool: str,
    cmds: tuple[str, ...],
    paths: tuple[str, ...],
    domains: tuple[str, ...],
    message: str | None,
    scope: str,
) -> None:
    """Append a rule: ACTION (allow, ask, deny) for TOOL (a glob over tool names).

    \b
    codesm permissions add allow bash --cmd 'npm test*'
    codesm permissions add deny edit --path '.env*' --scope project
    """
    from codesm.agent.permissions.sources import append_rule, scope_path

    if scope == "project" and action == "allow":
        raise click.UsageError(
            "a project's settings cannot allow (a cloned repository must not approve commands "
            "for itself); use --scope user"
        )
    rule: dict[str, Any] = {"tool": tool, "action": action}
    matches = {k: list(v) if len(v) > 1 else v[0]
               for k, v in (("cmd", cmds), ("path", paths), ("domain", domains)) if v}  # fmt: skip
    if matches:
        rule["matches"] = matches
    if message:
        rule["message"] = message
    path = scope_path("user" if scope == "user" else "project", Path.cwd())
    append_rule(path, rule)
    click.echo(f"Added to {path}: {json.dumps(rule)}")


@permissions.command("edit")
@click.option("--scope", type=click.Choice(["user", "project"]), default="user", show_default=True)
def edit_command(scope: str) -> None:
    """Open the user (or project) settings file in $EDITOR."""
    from codesm.agent.permissions.rules import rules_from_settings
    from codesm.agent.permissions.sources import scope_path
    from codesm.config.settings import read_settings_file

    path = scope_path("user" if scope == "user" else "project", Path.cwd())
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text('{\n  "codesm.permissions": []\n}\n', encoding="utf-8")
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    click.edit(filename=str(path), editor=editor)
    # A broken file or rule is reported now, not at the next run.
    rules_from_settings(read_settings_file(path).get("codesm.permissions", []), source="user")
    click.echo(f"Saved {path}")


@permissions.command("audit")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines.")
def audit_command(limit: int, as_json: bool) -> None:
    """Show the newest permission decisions: when, who, what, the rule, the outcome."""
    from dataclasses import asdict

    from codesm.agent.permissions.audit import read_audit_log
    from codesm.paths import audit_log_path

    for record in read_audit_log(audit_log_path(), limit=limit):
        if as_json:
            click.echo(json.dumps({**asdict(record), "at": record.at.isoformat()}))
            continue
        rule = f" [{record.rule_source}: {record.rule}]" if record.rule else ""
        click.echo(
            f"{record.at:%Y-%m-%d %H:%M:%S} {record.action:7} {record.tool:10} "
            f"{record.subject[:80]}{rule}"
        )
