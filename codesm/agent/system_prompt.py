"""The system prompt: who the agent is, where it runs, its tools, and project instructions."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
from collections.abc import Sequence
from pathlib import Path

from codesm.agent.instructions import InstructionFile
from codesm.agent.messages import ToolSpec

IDENTITY = """\
You are codesm, an AI coding agent working in the user's project on their own machine.
Work in small, verifiable steps. Read files before you change them. Prefer the edit tools over
rewriting whole files. Every change you propose may be reviewed hunk by hunk before it is applied,
and the user may reject it with a comment: treat that comment as an instruction.
Keep answers short; show code only when it helps."""

GIT_STATUS_LINES = 20


def git_status_summary(workspace: Path, *, timeout_s: float = 2.0) -> str:
    """Branch and a few changed files, or a note that this is not a git repository."""
    try:
        done = subprocess.run(
            ["git", "-C", str(workspace), "status", "--short", "--branch"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return "git status unavailable"
    if done.returncode != 0:
        return "not a git repository"
    lines = done.stdout.splitlines()
    more = len(lines) - GIT_STATUS_LINES
    shown = lines[:GIT_STATUS_LINES] + ([f"... and {more} more"] if more > 0 else [])
    return "\n".join(shown) or "clean"


def build_system_prompt(
    *,
    workspace: Path,
    tools: Sequence[ToolSpec],
    instructions: Sequence[InstructionFile],
    today: dt.date | None = None,
    git_status: str | None = None,
) -> str:
    """Assemble the system prompt; pure given its inputs so it can be snapshot-tested."""
    today = today or dt.date.today()
    status = git_status if git_status is not None else git_status_summary(workspace)
    parts = [
        IDENTITY,
        "<environment>\n"
        f"Working directory: {workspace}\n"
        f"Platform: {platform.system()} {platform.release()}\n"
        f"Date: {today.isoformat()}\n"
        f"Git status:\n{status}\n"
        "</environment>",
    ]
    if tools:
        names = ", ".join(spec.name for spec in tools)
        parts.append(f"Tools available: {names}. Paths are relative to the working directory.")
    for item in instructions:
        note = " (truncated)" if item.truncated else ""
        parts.append(f'<instructions source="{item.path}"{note}>\n{item.text}\n</instructions>')
    return "\n\n".join(parts)
