"""`codesm tools ...`: list, show, run and create tools (built-in, toolbox and MCP)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from codesm.cli_support import echo_json, interactive, run_async
from codesm.config.settings import Settings, load_settings


@dataclass(frozen=True)
class ToolEntry:
    name: str
    source: str
    enabled: bool
    state: str
    description: str
    schema: dict[str, Any] | None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "enabled": self.enabled,
                "state": self.state, "description": self.description}  # fmt: skip


def _settings() -> Settings:
    root = click.get_current_context().find_root().params
    return load_settings(Path.cwd(), settings_file=root.get("settings_file")).settings


def tool_entries(settings: Settings, *, workspace: Path) -> tuple[list[ToolEntry], list[str]]:
    """Every tool this workspace would offer, enabled or not, and problems worth showing."""
    from codesm.agent.tools.registry import builtin_tools, input_schema
    from codesm.agent.tools.selection import tool_state
    from codesm.toolbox import ToolboxTool, discover, toolbox_dir

    found = discover(toolbox_dir(settings))
    tools: list[tuple[Any, str]] = [(t, "built-in") for t in builtin_tools()]
    tools += [(ToolboxTool(spec), "toolbox") for spec in found.specs]
    entries = []
    for tool, source in tools:
        enabled, state = tool_state(tool.name, settings)
        schema = tool.json_schema or input_schema(tool.params)
        entries.append(ToolEntry(tool.name, source, enabled, state, tool.description, schema))
    problems = [f"toolbox: {p.executable.name}: {p.reason}" for p in found.problems]
    for server, tools_of, error in _mcp_tools(settings, workspace, problems):
        if error is not None:  # the server failed or is not approved: one row that says why
            enabled, state = tool_state(f"mcp__{server}__x", settings)
            entries.append(ToolEntry(f"mcp__{server}__*", "mcp", enabled,
                                     "error" if enabled else state, error, None))  # fmt: skip
        for tool in tools_of:
            enabled, state = tool_state(tool.name, settings)
            entries.append(
                ToolEntry(tool.name, "mcp", enabled, state, tool.description, tool.schema)
            )
    return entries, problems


def _mcp_tools(settings: Settings, workspace: Path, problems: list[str]) -> list[Any]:
    """(server, tools, error) per MCP server: approved and user servers are started, listed and
    stopped (`codesm.mcp.listing`); unapproved ones and failures come back with an error."""
    names, loaded = _mcp_servers(settings, workspace, problems)
    if loaded is None:
        return [(n, [], f"MCP server {n!r} (see `codesm mcp doctor`)") for n in names]
    from codesm.mcp.listing import list_mcp_tools

    out = []
    for found in run_async(list_mcp_tools(loaded, workspace)):
        error = None
        if found.state != "connected":
            error = f"MCP server {found.server!r} {found.state}: {found.error}"
            problems.append(error)
        out.append((found.server, found.tools, error))
    return out


def _mcp_servers(settings: Settings, workspace: Path, problems: list[str]) -> tuple[list[str], Any]:
    root = click.get_current_context().find_root().params
    try:
        from codesm.mcp.config import load_mcp_config

        config = root.get("mcp_config")
        loaded = load_mcp_config(
            workspace,
            cli_config=str(config) if config is not None else None,
            settings_file=root.get("settings_file"),
            strict=bool(root.get("strict_mcp_config")),
        )
    except ImportError:
        return sorted(settings.mcp_servers), None
    except Exception as exc:  # a broken MCP file must not hide the other tools
        problems.append(f"mcp: {exc}")
        return [], None
    return sorted(loaded.servers), loaded


@click.group()
def tools() -> None:
    """List, inspect, run and create tools."""


@tools.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def list_command(as_json: bool) -> None:
    """Built-in, toolbox and MCP tools, enabled or disabled by settings."""
    entries, problems = tool_entries(_settings(), workspace=Path.cwd())
    if as_json:
        echo_json([entry.as_json() for entry in entries])
        return
    width = max(len(e.name) for e in entries)
    for entry in entries:
        state = "" if entry.enabled else f"  [{entry.state}]"
        summary = entry.description.strip().splitlines()[0][:70]
        click.echo(f"{entry.name.ljust(width)}  {entry.source:<8}  {summary}{state}")
    for problem in problems:
        click.echo(f"warning: {problem}", err=True)


def _find(name: str) -> ToolEntry:
    entries, _ = tool_entries(_settings(), workspace=Path.cwd())
    for entry in entries:
        if entry.name == name or entry.name == f"tb__{name}":
            return entry
    raise click.UsageError(f"no tool named {name!r} (see `codesm tools list`)")


@tools.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def show_command(name: str, as_json: bool) -> None:
    """Show a tool's description and the JSON schema of its arguments."""
    entry = _find(name)
    if as_json:
        echo_json({**entry.as_json(), "input_schema": entry.schema})
        return
    click.echo(f"{entry.name} ({entry.source}, {entry.state})\n")
    click.echo(entry.description.strip() + "\n")
    if entry.schema is not None:
        click.echo("Arguments (JSON schema):")
        click.echo(json.dumps(entry.schema, indent=2, ensure_ascii=False))


@tools.command("use")
@click.argument("name")
@click.option("--args", "raw_args", default="{}", help="Arguments as a JSON object.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def use_command(name: str, raw_args: str, as_json: bool) -> None:
    """Run one tool directly, through the same permission engine as the agent."""
    try:
        arguments = json.loads(raw_args)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint="--args") from exc
    if not isinstance(arguments, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--args")
    root = click.get_current_context().find_root().params
    result, applied = run_async(
        _use(
            name,
            arguments,
            settings=_settings(),
            mode=root.get("permission_mode"),
            allow_all=bool(root.get("dangerously_allow_all")),
            settings_file=root.get("settings_file"),
            session_id=root.get("session_id"),
        )
    )
    if as_json:
        echo_json({"content": result.content, "is_error": result.is_error, "changes": applied})
    else:
        click.echo(result.content.rstrip("\n"))
    if applied:
        click.echo("Recorded for undo: `codesm tools undo` reverts it.", err=True)
    if result.is_error:
        raise click.exceptions.Exit(1)


@tools.command("undo")
@click.option("--redo", is_flag=True, help="Write the last undone change again instead.")
def undo_command(redo: bool) -> None:
    """Undo the last change made with `tools use` (in `--session ID` when given)."""
    from codesm.agent.changes.history import ChangeHistory
    from codesm.agent.changes.manual_thread import manual_thread
    from codesm.agent.hub import SessionHub
    from codesm.cli_support import find_session, with_store
    from codesm.store import Store

    named = click.get_current_context().find_root().params.get("session_id")

    async def work(store: Store) -> str | None:
        if named:
            session_id: str | None = (await find_session(store, named)).id
        else:
            session_id = await manual_thread(store, Path.cwd().resolve(), create=False)
        if session_id is None:
            return "No change was made with `codesm tools use` in this project."
        from codesm.agent.changes.apply import ChangeApplier

        hub = SessionHub(store)
        try:
            history = ChangeHistory(ChangeApplier.for_store(store), hub=hub)
            return await history.undo_or_redo(session_id, undo=not redo, change_id=None)
        finally:
            await hub.aclose()

    problem = with_store(work)
    if problem is not None:
        raise click.ClickException(problem)
    click.echo("Redone." if redo else "Undone: the files are back as they were.")


async def _use(
    name: str,
    arguments: dict[str, Any],
    *,
    settings: Settings,
    mode: Any,
    allow_all: bool,
    settings_file: Path | None,
    session_id: str | None = None,
) -> tuple[Any, list[str]]:
    import asyncio

    from codesm.agent.changes.model import content_hash
    from codesm.agent.permissions.sources import effective_mode, engine_for, tool_request
    from codesm.agent.tools import ReadLedger
    from codesm.agent.tools.selection import session_registry
    from codesm.toolbox import toolbox_tools
    from codesm.workspace.paths import resolve_in_workspace

    workspace = Path.cwd().resolve()
    registry = session_registry(settings, extra=await asyncio.to_thread(toolbox_tools, settings))
    tool = registry.get(name) or registry.get(f"tb__{name}")
    if tool is None:
        raise click.UsageError(f"no enabled tool named {name!r} (see `codesm tools list`)")
    engine = engine_for(workspace, settings_file, effective_mode(settings, mode, allow_all))
    decision = engine.decide(tool_request(tool.name, arguments, tool))
    if decision.action == "deny":
        raise click.ClickException(f"not allowed: {decision.reason}")
    if decision.action == "dry_run":
        from codesm.agent.tools import ToolResult

        return ToolResult(f"dry run: {tool.name} was not run ({decision.reason})"), []
    if decision.action == "ask":
        if not interactive():
            raise click.ClickException(
                f"{tool.name} needs approval ({decision.reason}) and there is no terminal to "
                "ask in; add an allow rule (`codesm permissions add`) or pass "
                "--permission-mode / --dangerously-allow-all"
            )
        if not click.confirm(f"{tool.name} needs approval: {decision.reason}. Run it?"):
            raise click.ClickException("not approved; nothing was run")
    ledger = ReadLedger()
    # The user is running the tool by hand: the files they name count as seen.
    for raw in tool.permission_paths(arguments):
        try:
            path = resolve_in_workspace(workspace, raw, must_exist=True)
            ledger.record(path, content_hash(path.read_bytes()))
        except Exception:  # the tool reports bad paths itself
            continue
    return await _run_journaled(registry, tool.name, arguments, workspace, ledger, session_id)


async def _run_journaled(
    registry: Any,
    name: str,
    arguments: dict[str, Any],
    workspace: Path,
    ledger: Any,
    session_id: str | None,
) -> tuple[Any, list[str]]:
    """Run the tool with its writes going through the undo journal (see `manual_thread`)."""
    from codesm.agent.changes.apply import ChangeApplier
    from codesm.agent.changes.journaled import JournaledSink
    from codesm.agent.changes.manual_thread import manual_thread
    from codesm.agent.hub import SessionHub
    from codesm.agent.tools import InMemoryTodoStore, ToolContext, execute_tool_call
    from codesm.cli_support import find_session
    from codesm.store import Store

    async with await Store.open() as store:
        hub = SessionHub(store)

        async def session() -> str:
            if session_id:
                return (await find_session(store, session_id)).id
            found = await manual_thread(store, workspace)
            assert found is not None
            return found

        call_id = uuid.uuid4().hex[:12]
        sink = JournaledSink(
            applier=ChangeApplier.for_store(store), hub=hub, session=session, call_id=call_id
        )
        ctx = ToolContext(
            root=workspace,
            session_id=session_id or "cli",
            call_id=call_id,
            changes=sink,
            read_ledger=ledger,
            todos=InMemoryTodoStore(),
        )
        try:
            return await execute_tool_call(registry, name, arguments, ctx), sink.applied
        finally:
            await hub.aclose()


@tools.command("make")
@click.argument("name")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def make_command(name: str, force: bool) -> None:
    """Create a skeleton toolbox tool NAME in `codesm.toolbox.path`."""
    from codesm.toolbox import toolbox_dir
    from codesm.toolbox.skeleton import make_skeleton

    path = make_skeleton(toolbox_dir(_settings()), name, force=force)
    click.echo(f"Created {path}")
    click.echo(
        f"Edit its description, schema and run(); the model sees it as tb__{name}. "
        f'Try it: codesm tools use tb__{name} --args \'{{"message": "hi"}}\''
    )
