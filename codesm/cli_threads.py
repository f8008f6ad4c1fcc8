"""`codesm threads ...`: threads (sessions) from the command line; logic in `codesm.threads`."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from codesm.cli_support import (
    EXIT_USAGE,
    echo_json,
    find_session,
    interactive,
    with_store,
)
from codesm.config.settings import load_settings
from codesm.store import SessionRecord, Store
from codesm.threads.handoff import collect_notes, draft_prompt
from codesm.threads.listing import hit_json, list_threads, render_hits, render_table
from codesm.threads.markdown import render_markdown
from codesm.threads.replay import ReplayPace, replay
from codesm.threads.share import NOT_SHARING, running_share_servers
from codesm.threads.summary import handoff_summary

TUI_NEEDS_TERMINAL = (
    "The terminal UI needs a terminal on stdin and stdout. Run the thread headless with "
    '`codesm threads continue {id} -x "prompt"`, or open it in `codesm web`.'
)


def _root_options() -> dict[str, Any]:
    return dict(click.get_current_context().find_root().params)


async def _project_id(store: Store, project: Path | None) -> str | None:
    if project is None:
        return None
    record = await store.projects.by_root(project)
    if record is None:
        raise click.UsageError(f"codesm has no threads for project {project}")
    return record.id


@click.group()
def threads() -> None:
    """List, search, continue, export and manage threads (sessions)."""


@threads.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--label", help="Only threads with this label.")
@click.option("--archived", is_flag=True, help="Only archived threads.")
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Only threads of the project at this directory (default: every project).",
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
def list_command(
    as_json: bool, label: str | None, archived: bool, project: Path | None, limit: int
) -> None:
    """List threads, most recently updated first."""

    async def work(store: Store) -> Any:
        project_id = await _project_id(store, project)
        return await list_threads(
            store, project_id=project_id, archived=archived, label=label, limit=limit
        )

    rows = with_store(work)
    if as_json:
        echo_json([row.as_json() for row in rows])
    elif rows:
        click.echo(render_table(rows))
    else:
        click.echo("No threads yet. Start one with `codesm web`, `codesm -x` or `threads new`.")


@threads.command("new")
@click.option("-l", "--label", "labels", multiple=True, help="Label for the thread.")
@click.option("--title", default="", help="Title (default: set from the first prompt).")
@click.option("--json", "as_json", is_flag=True, help="Print the thread as JSON.")
def new_command(labels: tuple[str, ...], title: str, as_json: bool) -> None:
    """Create an empty thread in the current directory's project and print its id."""
    root = _root_options()
    settings = load_settings(Path.cwd(), settings_file=root.get("settings_file")).settings
    mode = root.get("mode") or settings.mode
    permission = root.get("permission_mode") or settings.permission_mode
    if root.get("dangerously_allow_all") or settings.dangerously_allow_all:
        permission = "allow-all"

    async def work(store: Store) -> SessionRecord:
        project = await store.projects.ensure(Path.cwd())
        return await store.sessions.create(
            project_id=project.id,
            title=title,
            mode=mode,
            permission_mode=permission,
            model=root.get("model") or settings.model,
            labels=(*root.get("labels", ()), *labels),
            visibility=root.get("visibility") or "private",
        )

    session = with_store(work)
    if as_json:
        echo_json(
            {
                "id": session.id,
                "title": session.title,
                "labels": list(session.labels),
                "visibility": session.visibility,
            }
        )
    else:
        click.echo(session.id)


@threads.command("continue")
@click.argument("thread_id", required=False)
@click.option(
    "-x",
    "--execute",
    "execute",
    is_flag=False,
    flag_value="",
    default=None,
    metavar="PROMPT",
    help="Run one prompt headless in the thread (prompt from stdin if omitted).",
)
@click.option("--stream-json", is_flag=True, help="Print Claude Code-compatible JSON lines.")
def continue_command(thread_id: str | None, execute: str | None, stream_json: bool) -> None:
    """Continue THREAD_ID (default: the latest thread here) in the TUI, or headless with -x."""

    async def work(store: Store) -> SessionRecord | None:
        if thread_id is not None:
            return await find_session(store, thread_id)
        project = await store.projects.by_root(Path.cwd())
        if project is None:
            return None
        recent = await store.sessions.list_recent(project_id=project.id, limit=1)
        return recent[0] if recent else None

    session = with_store(work)
    if session is None:
        raise click.UsageError("no thread to continue in this directory; pass a thread id")
    if execute is None:
        _open_tui(session.id)
        return
    prompt = execute or (sys.stdin.read() if not sys.stdin.isatty() else "")
    _run_headless(session.id, prompt, stream_json=stream_json)


def _run_headless(session_id: str, prompt: str, *, stream_json: bool) -> None:
    from codesm.cli import run_execute

    options = {**_root_options(), "session_id": session_id, "continue_latest": False}
    options["stream_json"] = options.get("stream_json") or stream_json
    click.get_current_context().exit(run_execute(prompt, options))


def _open_tui(session_id: str) -> None:
    """Open the thread in the Textual TUI (which needs a terminal on both ends)."""
    if not interactive():
        click.echo(TUI_NEEDS_TERMINAL.format(id=session_id[:8]), err=True)
        raise click.exceptions.Exit(EXIT_USAGE)
    from codesm.cli import run_tui

    options = {**_root_options(), "session_id": session_id, "continue_latest": False}
    raise click.exceptions.Exit(run_tui(None, options))


@threads.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.option("--archived", is_flag=True, help="Search archived threads too.")
@click.option("--label", help="Only threads with this label.")
@click.option(
    "--project",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Only threads of the project at this directory.",
)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
def search_command(
    query: tuple[str, ...],
    as_json: bool,
    archived: bool,
    label: str | None,
    project: Path | None,
    limit: int,
) -> None:
    """Search titles, messages and tool output; best matches first, with snippets."""
    text = " ".join(query)
    markers = ("**", "**") if as_json or not sys.stdout.isatty() else ("\x1b[1m", "\x1b[0m")

    async def work(store: Store) -> Any:
        project_id = await _project_id(store, project)
        return await store.sessions.search_hits(
            text,
            project_id=project_id,
            include_archived=archived,
            label=label,
            limit=limit,
            markers=markers,
        )

    hits = with_store(work)
    if as_json:
        echo_json([hit_json(hit) for hit in hits])
    elif hits:
        click.echo(render_hits(hits))
    else:
        click.echo(f"No thread matches {text!r}.")


@threads.command("rename")
@click.argument("thread_id")
@click.argument("title", nargs=-1, required=True)
def rename_command(thread_id: str, title: tuple[str, ...]) -> None:
    """Give THREAD_ID a new title."""
    new_title = " ".join(title).strip()
    if not new_title:
        raise click.UsageError("the title is empty")

    async def work(store: Store) -> SessionRecord:
        session = await find_session(store, thread_id)
        return await store.sessions.update(session.id, title=new_title)

    session = with_store(work)
    click.echo(f"Renamed {session.id[:8]} to {session.title!r}.")


@threads.command("archive")
@click.argument("thread_id")
@click.option("--undo", is_flag=True, help="Bring an archived thread back.")
def archive_command(thread_id: str, undo: bool) -> None:
    """Archive THREAD_ID (hidden from lists and search unless asked for)."""

    async def work(store: Store) -> SessionRecord:
        session = await find_session(store, thread_id)
        return await store.sessions.update(session.id, archived=not undo)

    session = with_store(work)
    click.echo(f"{'Unarchived' if undo else 'Archived'} {session.id[:8]}.")


@threads.command("delete")
@click.argument("thread_id")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def delete_command(thread_id: str, yes: bool) -> None:
    """Delete THREAD_ID with its events and changes (asks first unless --yes)."""
    session = with_store(lambda store: find_session(store, thread_id))
    label = f"{session.id[:8]} ({session.title or 'untitled'})"
    if not yes and not click.confirm(f"Delete thread {label}? This cannot be undone"):
        click.echo("Nothing deleted.")
        return
    with_store(lambda store: store.sessions.delete(session.id))
    click.echo(f"Deleted {label}.")


@threads.command("markdown")
@click.argument("thread_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@click.option("--thinking", is_flag=True, help="Include the model's thinking.")
def markdown_command(thread_id: str, output: Path | None, thinking: bool) -> None:
    """Export THREAD_ID as Markdown: messages, tool calls and results, diffs."""

    async def work(store: Store) -> str:
        session = await find_session(store, thread_id)
        events = await store.events.after(session.id)
        usage = await store.usage.totals(session_id=session.id)
        return render_markdown(session, events, usage=usage, thinking=thinking)

    from codesm.security.redact import Redactor
    from codesm.security.redact_split import redact_markdown

    # An export leaves this machine more often than not: secrets never go with it, not even
    # split by markdown (`sk-ant-**…**` renders as one key).
    text = redact_markdown(with_store(work), Redactor.for_environment(workspace=Path.cwd()))
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)


@threads.command("replay")
@click.argument("thread_id")
@click.option("--speed", type=click.FloatRange(0.1, 100), default=1.0, show_default=True)
@click.option("--instant", is_flag=True, help="No pauses: print the replay at once.")
def replay_command(thread_id: str, speed: float, instant: bool) -> None:
    """Replay THREAD_ID's event log in the terminal at a readable speed."""

    async def work(store: Store) -> Any:
        session = await find_session(store, thread_id)
        return await store.events.after(session.id)

    events = with_store(work)

    def write(text: str) -> None:
        click.echo(text, nl=False)
        sys.stdout.flush()

    replay(events, write=write, sleep=time.sleep, pace=ReplayPace(speed, instant))


@threads.command("handoff")
@click.argument("thread_id")
@click.option("--goal", help="The new thread's goal (default: the old thread's first prompt).")
@click.option("--print", "print_only", is_flag=True, help="Only print the draft prompt.")
@click.option("--no-edit", is_flag=True, help="Start without opening the draft in $EDITOR.")
@click.option("--no-summary", is_flag=True, help="Draft from the log only (no model call).")
def handoff_command(
    thread_id: str, goal: str | None, print_only: bool, no_edit: bool, no_summary: bool
) -> None:
    """Draft a new thread from THREAD_ID's goal, decisions and files, let you edit it, start it.

    The rush model of the configured providers summarises the old thread into the draft (its cost
    counts to the old thread); without one, the draft is built from the log alone. The new
    thread's first turn runs headless (like `codesm -x`); continue it afterwards with
    `codesm threads continue NEW_ID` (the TUI) or in `codesm web`.
    """
    settings = load_settings(Path.cwd(), settings_file=_root_options().get("settings_file"))

    async def work(store: Store) -> tuple[SessionRecord, str]:
        session = await find_session(store, thread_id)
        events = await store.events.after(session.id)
        notes = collect_notes(events, goal)
        if no_summary:
            return session, draft_prompt(session, notes)
        summary = await handoff_summary(store, session, events, settings.settings, goal)
        if summary.text is None:
            click.echo(
                f"Note: {summary.note}; the draft is built from the thread's log without a "
                "model summary.",
                err=True,
            )
        return session, draft_prompt(session, notes, summary.text)

    old, draft = with_store(work)
    if print_only:
        click.echo(draft, nl=False)
        return
    if not no_edit and interactive():
        edited = click.edit(draft, extension=".md")
        if edited is not None:
            draft = edited
    if not draft.strip():
        click.echo("The draft is empty; no thread was started.", err=True)
        raise click.exceptions.Exit(1)

    async def create(store: Store) -> SessionRecord:
        return await store.sessions.create(
            project_id=old.project_id,
            title=f"Handoff: {old.title}" if old.title else "",
            mode=old.mode,
            permission_mode=old.permission_mode,
            model=old.model,
            labels=old.labels,
            visibility=_root_options().get("visibility") or old.visibility,
        )

    new = with_store(create)
    click.echo(
        f"Started thread {new.id[:8]} from {old.id[:8]}; continue it with "
        f"`codesm threads continue {new.id[:8]}`.",
        err=True,
    )
    _run_headless(new.id, draft, stream_json=False)


@threads.command("share")
@click.argument("thread_id")
def share_command(thread_id: str) -> None:
    """Print the LAN viewer link for THREAD_ID when `codesm web` is sharing, else explain.

    A private thread (the default) has no link; `codesm --visibility workspace threads share ID`
    stores the thread's visibility as workspace and prints it."""
    session = with_store(lambda store: find_session(store, thread_id))
    chosen = _root_options().get("visibility")
    if chosen is not None and chosen != session.visibility:
        session = with_store(lambda store: store.sessions.update(session.id, visibility=chosen))
        click.echo(f"Thread {session.id[:8]} is now {chosen}.", err=True)
    if session.visibility == "private":
        click.echo(
            f"Thread {session.id[:8]} is private, so it has no share link. To let LAN viewers "
            f"open it: codesm --visibility workspace threads share {session.id[:8]}",
            err=True,
        )
        raise click.exceptions.Exit(1)
    servers = [server for server in running_share_servers() if server.serves(session.id)]
    if not servers:
        click.echo(NOT_SHARING.format(session_id=session.id), err=True)
        raise click.exceptions.Exit(1)
    click.echo(servers[0].link(session.id))
