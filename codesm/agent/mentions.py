"""`@path` mentions in a prompt become attachments, as in Claude Code: the file's text (or a
directory's listing) goes to the model with the prompt, read when the prompt is sent.

Every path goes through the workspace's one confinement function and is re-checked when opened
(`open_confined`), so `@../../etc/passwd` or a symlink out of the workspace is refused, never
read. Binary files are refused with what they are; large files are cut to a size cap with a note
saying so. A mention of something that does not exist is left as plain text (`@decorator` in a
question about Python is not a file). Every face (web, TUI, headless) sends prompts through the
agent, which calls `attach_mentions`, so they all behave the same.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

from codesm import native
from codesm.agent.changes.model import content_hash
from codesm.agent.events import Attachment
from codesm.agent.permissions.engine import PermissionEngine, ToolRequest
from codesm.agent.tools.filetypes import human_size, sniff
from codesm.agent.tools.ls import render_tree
from codesm.errors import PathNotFound, WorkspacePathError
from codesm.workspace.paths import open_confined, relative_to_root, resolve_in_workspace

MAX_MENTIONS = 10
MAX_FILE_BYTES = 64 * 1024
MAX_TOTAL_BYTES = 256 * 1024
MAX_LISTING = 200
BINARY_PROBE_BYTES = 8192
MENTION = re.compile(r"(?:^|(?<=\s))@([^\s@]+)")
TRAILING_PUNCTUATION = ".,;:!?)]}'\""


@dataclass
class Mentions:
    """What a prompt's mentions attached, and the files read whole (path -> sha256), which
    count as read for the edit tools' staleness check."""

    attachments: list[Attachment] = field(default_factory=list)
    read: dict[Path, str] = field(default_factory=dict)


def mentioned_paths(text: str) -> list[str]:
    """The `@path` mentions of `text`, in order, without duplicates or the `@`."""
    return list(dict.fromkeys(m.group(1) for m in MENTION.finditer(text)))


async def attach_mentions(
    root: Path, text: str, *, permissions: PermissionEngine | None = None
) -> Mentions:
    """Attach every `@path` of `text` (at most `MAX_MENTIONS`) that exists or was refused.

    A mention reads like the `read` tool, so a `permissions` rule denying that read refuses it."""
    found = Mentions()
    budget = MAX_TOTAL_BYTES
    for raw in mentioned_paths(text)[:MAX_MENTIONS]:
        attachment, digest = await _attach(root, raw, budget, permissions)
        if attachment is None:
            continue
        budget -= len(attachment.content.encode())
        found.attachments.append(attachment)
        if digest is not None:
            found.read[digest[0]] = digest[1]
    return found


async def _attach(
    root: Path, raw: str, budget: int, permissions: PermissionEngine | None
) -> tuple[Attachment | None, tuple[Path, str] | None]:
    try:
        path, shown = await asyncio.to_thread(_resolve, root, raw)
    except PathNotFound:
        return None, None
    except WorkspacePathError as exc:
        return Attachment(path=raw, kind="refused", note=_reason(exc)), None
    if permissions is not None:
        request = ToolRequest("read", paths=(relative_to_root(root, path),), actor="user")
        decision = permissions.decide(request)
        if decision.action == "deny":
            return Attachment(path=shown, kind="refused", note=decision.reason), None
    if path.is_dir():
        return await _listing(root, path, shown), None
    return await asyncio.to_thread(_read_file, root, path, shown, budget)


def _resolve(root: Path, raw: str) -> tuple[Path, str]:
    """The confined real path of a mention; sentence punctuation after it is not part of it."""
    candidates = [raw]
    stripped = raw.rstrip(TRAILING_PUNCTUATION)
    if stripped and stripped != raw:
        candidates.append(stripped)
    for i, candidate in enumerate(candidates):
        try:
            path = resolve_in_workspace(root, candidate, must_exist=True)
        except PathNotFound:
            if i == len(candidates) - 1:
                raise
            continue
        return path, candidate
    raise PathNotFound(f"{raw!r} does not exist in the workspace", path=raw)  # pragma: no cover


def _reason(exc: WorkspacePathError) -> str:
    return str(exc).split(";")[0]


def _read_file(
    root: Path, path: Path, shown: str, budget: int
) -> tuple[Attachment, tuple[Path, str] | None]:
    def refused(note: str) -> tuple[Attachment, None]:
        return Attachment(path=shown, kind="refused", note=note), None

    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return refused("not a regular file")
        # Opened again through the confinement check: a symlink swapped in since is refused.
        fd = open_confined(root, relative_to_root(root, path), os.O_RDONLY | os.O_NONBLOCK)
    except WorkspacePathError as exc:
        return refused(_reason(exc))
    except OSError as exc:
        return refused(f"cannot be read: {exc.strerror}")
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_FILE_BYTES + 1)
    size = st.st_size
    if b"\x00" in data[:BINARY_PROBE_BYTES]:
        kind = sniff(data[:512])
        what = kind.kind if kind else "binary data"
        return refused(f"a binary file ({what}, {human_size(size)}); only text is attached")
    if budget <= 0:
        return refused(f"the prompt's attachments already fill {human_size(MAX_TOTAL_BYTES)}")
    cap = min(MAX_FILE_BYTES, budget)
    notes: list[str] = []
    whole = len(data) <= cap and size <= cap
    if not whole:
        data = data[:cap]
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut > 0 else data
        notes.append(
            f"truncated: the first {human_size(len(data))} of {human_size(size)}; "
            "read the file for the rest"
        )
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        notes.append("invalid UTF-8 was replaced")
    attachment = Attachment(path=shown, kind="file", content=text, note="; ".join(notes), size=size)
    return attachment, ((path, content_hash(data)) if whole else None)


async def _listing(root: Path, path: Path, shown: str) -> Attachment:
    try:
        files = await native.walk(path, hidden=True, globs=["!.git"])
    except (OSError, ValueError) as exc:
        return Attachment(path=shown, kind="refused", note=f"cannot be listed: {exc}")
    label = relative_to_root(root, path)
    lines = render_tree(label, files[:MAX_LISTING])
    note = ""
    if len(files) > MAX_LISTING:
        note = f"truncated: {MAX_LISTING} of {len(files)} files listed"
    return Attachment(
        path=shown, kind="directory", content="\n".join(lines), note=note, size=len(files)
    )
