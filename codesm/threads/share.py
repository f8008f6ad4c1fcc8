"""`codesm threads share`: find a running `codesm web --share` that can serve a viewer link.

A sharing server advertises itself with a JSON file in `<state dir>/share/<pid>.json`::

    {"pid": 1234, "workspace": "/path", "session_url": "http://192.168.1.5:8123/v/{session_id}"}

`session_url` holds `{session_id}` where the thread id goes (and whatever token the server wants
in the link). Files of processes that are gone are ignored. `codesm web` does not share on the
LAN yet, so today this finds nothing and `share` explains what to do instead.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from codesm import paths


@dataclass(frozen=True)
class ShareServer:
    pid: int
    workspace: Path | None
    session_url: str

    def link(self, session_id: str) -> str:
        return self.session_url.replace("{session_id}", session_id)


def share_dir() -> Path:
    return paths.state_dir() / "share"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_share_servers(directory: Path | None = None) -> list[ShareServer]:
    """Sharing servers that advertise themselves and are still running."""
    found = []
    for file in sorted((directory or share_dir()).glob("*.json")):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            pid, url = int(data["pid"]), str(data["session_url"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if "{session_id}" not in url or not _alive(pid):
            continue
        workspace = data.get("workspace")
        found.append(ShareServer(pid, Path(workspace) if workspace else None, url))
    return found


NOT_SHARING = (
    "No `codesm web` with LAN sharing is running, so there is no viewer link to print.\n"
    "LAN sharing (viewer and controller links with their own expiring tokens) is not built "
    "yet.\nFor now: run `codesm web` and open the thread at /s/{session_id} on this machine, "
    "or export it with `codesm threads markdown {session_id}`."
)
