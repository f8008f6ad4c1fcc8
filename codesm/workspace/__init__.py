"""The workspace: the project directory a session works in, and the rules for touching it."""

from __future__ import annotations

from codesm.workspace.paths import (
    is_case_insensitive,
    is_inside,
    open_confined,
    relative_to_root,
    resolve_in_workspace,
)

__all__ = [
    "is_case_insensitive",
    "is_inside",
    "open_confined",
    "relative_to_root",
    "resolve_in_workspace",
]
