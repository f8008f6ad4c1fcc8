"""A session's visibility and its share links, kept consistent with `codesm threads share`.

A private session (the default) has no links. The Share button's confirm step is the owner's
consent to expose it, so sharing stores the session as `workspace`, as `codesm --visibility
workspace threads share` does; making it private again ends every live link of the session and
closes the sockets opened through them.
"""

from __future__ import annotations

from codesm.store import SessionRecord, Store
from codesm.web.sharing import ShareRegistry


async def open_to_workspace(store: Store, session: SessionRecord) -> SessionRecord:
    """`session`, stored as `workspace` if it was private (the owner confirmed a share)."""
    if session.visibility == "workspace":
        return session
    return await store.sessions.update(session.id, visibility="workspace")


async def make_private(store: Store, shares: ShareRegistry, session_id: str) -> int:
    """Store the session as private and revoke its live links; how many were revoked."""
    await store.sessions.update(session_id, visibility="private")
    revoked = 0
    for link in shares.live_links(session_id):
        revoked += await shares.revoke(link.id)
    return revoked
