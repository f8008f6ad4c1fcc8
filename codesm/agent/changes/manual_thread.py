"""The thread that holds the changes a user makes with `codesm tools use`.

Such a change has no agent session of its own, but the undo journal lives per session: it goes
into the session the user names (`codesm --session ID tools use ...`), else into one thread per
project labelled `tools-use`, created on the first write. From there `codesm tools undo`, or `/undo`
and the Undo button in that thread (TUI or web), revert it like any agent change.
"""

from __future__ import annotations

from pathlib import Path

from codesm.store import Store

MANUAL_LABEL = "tools-use"
MANUAL_TITLE = "Changes made with codesm tools use"


async def manual_thread(store: Store, workspace: Path, *, create: bool = True) -> str | None:
    """The id of the project's `tools-use` thread (created when missing and `create`)."""
    project = await store.projects.ensure(workspace)
    found = await store.sessions.list_recent(project_id=project.id, label=MANUAL_LABEL, limit=1)
    if found:
        return found[0].id
    if not create:
        return None
    session = await store.sessions.create(
        project_id=project.id, title=MANUAL_TITLE, labels=(MANUAL_LABEL,)
    )
    return session.id
