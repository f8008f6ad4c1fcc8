"""Helpers shared by `glob`, `grep` and `ls`: where to search, and native errors for the model."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import TypeVar

from codesm.agent.tools.base import ToolContext, ToolFailure, relative_display, resolve_path

T = TypeVar("T")


class BadPattern(ToolFailure):
    """A regex or glob that does not compile; the message says where it is wrong."""


def search_root(ctx: ToolContext, path: str | None) -> tuple[Path, str]:
    """The confined directory (or file) to search and its workspace-relative form."""
    resolved = resolve_path(ctx, path or ".", must_exist=True)
    return resolved, relative_display(ctx, resolved)


def join_rel(base: str, child: str) -> str:
    """A path found under `base` (workspace-relative) as a workspace-relative path."""
    if base == ".":
        return child
    return f"{base}/{child}" if child else base


async def run_native(call: Awaitable[T], what: str) -> T:
    """Await a native search, turning its builtin errors into failures the model can act on."""
    try:
        return await call
    except ValueError as exc:
        raise BadPattern(f"Invalid {what}: {exc}") from exc
    except NotADirectoryError as exc:
        raise ToolFailure(f"{exc.filename or 'The path'} is a file, not a directory.") from exc
    except FileNotFoundError as exc:
        raise ToolFailure(f"{exc.filename or 'The path'} does not exist.") from exc
    except PermissionError as exc:
        raise ToolFailure(f"Permission denied: {exc.filename or exc}") from exc
