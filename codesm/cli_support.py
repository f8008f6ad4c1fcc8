"""What every `codesm` subcommand shares: exit codes, running async work, opening the store,
finding a session by a short id, and printing JSON.

Exit codes follow the usual CLI convention: 0 ok, 1 an error (a `CodesmError`, a failed turn),
2 a usage error (click's `UsageError`), 130 interrupted (Ctrl+C; 128 + SIGINT).
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from codesm.errors import CodesmError
from codesm.store import SessionRecord, Store

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

T = TypeVar("T")


TUI_DIRECTORY = "codesm.tui_directory"
"""`ctx.meta` key of the DIR in `codesm DIR` (the terminal UI's workspace)."""


class CodesmGroup(click.Group):
    """A click group whose commands exit 130 on Ctrl+C (click's default is "Aborted!" and 1) and
    turn a `CodesmError` that escaped a command into its message and exit 1.

    `codesm DIR`: a first argument that names no subcommand but an existing directory is the
    terminal UI's workspace, not a command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        first = ctx._protected_args[0] if ctx._protected_args else None
        if first is not None and first not in self.commands and Path(first).is_dir():
            ctx.meta[TUI_DIRECTORY] = first
            ctx._protected_args = []
        return rest

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            interrupted()
        except click.Abort as exc:
            # click.prompt turns Ctrl+C into Abort; keep 1 for the other causes (EOF, a "no").
            if isinstance(exc.__context__, KeyboardInterrupt):
                interrupted()
            raise
        except CodesmError as exc:
            click.echo(f"codesm: {exc}", err=True)
            raise click.exceptions.Exit(EXIT_ERROR) from exc


def interrupted() -> None:
    click.echo("codesm: interrupted", err=True)
    raise click.exceptions.Exit(EXIT_INTERRUPTED)


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion from a (synchronous) click handler."""
    return asyncio.run(work)


def with_store(work: Callable[[Store], Awaitable[T]], *, db_path: Path | None = None) -> T:
    """Open the session database, run `work` with it, close it."""

    async def run() -> T:
        store = await Store.open(db_path)
        try:
            return await work(store)
        finally:
            await store.close()

    return run_async(run())


async def find_session(store: Store, session_id: str) -> SessionRecord:
    """The session with this id or unique id prefix; a `click.UsageError` (exit 2) otherwise."""
    found = await store.sessions.get(session_id)
    if found is not None:
        return found
    if len(session_id) >= 4:
        matches = await store.sessions.with_prefix(session_id)
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise click.UsageError(f"thread id {session_id!r} is ambiguous; type more of it")
    raise click.UsageError(f"no thread with id {session_id!r} (see `codesm threads list`)")


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def interactive() -> bool:
    """Both ends are a terminal: a person can answer a prompt."""
    return sys.stdin.isatty() and sys.stdout.isatty()
