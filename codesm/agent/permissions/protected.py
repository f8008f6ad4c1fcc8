"""Protected paths: files that configure the agent, the editor, git or the shell.

Writing one of these can turn an agent's edit into code execution or into more permissions (a git
hook, an MCP server entry, an auto-approve setting, a shell rc line), so a write to them always
asks, in every mode, however it is attempted (an edit tool, a redirect, a ``cp`` argument).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path, PurePath

__all__ = ["PROTECTED_DIRS", "PROTECTED_FILES", "protected_reason"]

PROTECTED_DIRS = frozenset(
    {
        ".git",
        ".codesm",
        ".vscode",
        ".idea",
        ".cursor",
        ".claude",
        ".ssh",
        ".husky",
        ".zed",
        ".continue",
        ".gemini",
        ".amp",
        ".windsurf",
    }
)
PROTECTED_FILES = frozenset(
    {
        ".mcp.json",
        "mcp.json",
        "mcp_config.json",
        "claude_desktop_config.json",
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".bash_logout",
        ".profile",
        ".zshrc",
        ".zshenv",
        ".zprofile",
        ".zlogin",
        ".zlogout",
        ".cshrc",
        ".tcshrc",
        ".kshrc",
        ".envrc",
        ".gitconfig",
        ".gitmodules",
    }
)


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def protected_reason(path: str | os.PathLike[str], *, root: Path | None = None) -> str | None:
    """Why writing `path` must always ask, or None when it is an ordinary path.

    Any component named like a protected directory counts (a nested repository's ``.git`` too), as
    does a protected file name anywhere. Names are always compared casefolded and NFC-normalised:
    on a case-insensitive filesystem ``.GIT/hooks`` is ``.git/hooks``, and elsewhere asking once
    too often costs nothing.
    """
    pure = PurePath(os.fspath(path))
    if root is not None and pure.is_absolute() and pure.is_relative_to(root):
        pure = pure.relative_to(root)
    parts = [_fold(p) for p in pure.parts if p not in ("/", ".")]
    for part in parts:
        if part in PROTECTED_DIRS:
            return f"{part}/ is a protected directory"
    if parts and parts[-1] in PROTECTED_FILES:
        return f"{parts[-1]} is a protected file"
    if "fish" in parts[:-1] and parts[-1].endswith(".fish"):
        return "fish shell configuration is protected"
    return None
