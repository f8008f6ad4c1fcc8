"""`codesm threads share`: find a running `codesm web --share` that can serve a viewer link.

A sharing server advertises itself with a JSON file in `<state dir>/share/<pid>.json`::

    {"pid": 1234, "workspace": "/path", "session_id": "abc",
     "session_url": "http://192.168.1.5:8123/s/{session_id}?share=TOKEN"}

`session_url` holds `{session_id}` where the thread id goes (and whatever token the server wants
in the link). Share links are for one session: `session_id`, when present, names the session the
link opens. Files of processes that are gone are ignored. The file is 0600: its link is a
password.
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
    session_id: str | None = None

    def serves(self, session_id: str) -> bool:
        return self.session_id in (None, session_id)

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
        shared = data.get("session_id")
        found.append(
            ShareServer(
                pid, Path(workspace) if workspace else None, url, str(shared) if shared else None
            )
        )
    return found


NOT_SHARING = (
    "No `codesm web` is sharing this thread on the LAN, so there is no viewer link to print.\n"
    "Run `codesm web --share` (it shares the latest thread), or open /s/{session_id} in "
    "`codesm web` and use its Share button; or export it with "
    "`codesm threads markdown {session_id}`."
)
