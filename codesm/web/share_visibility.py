"""A session's visibility and its share links, kept consistent with `codesm threads share`.

A private session (the default) has no links. The Share button's confirm step is the owner's
consent to expose it, so sharing stores the session as `workspace`, as `codesm --visibility
workspace threads share` does; making it private again ends every live link of the session and
closes the sockets opened through them. A session made private elsewhere (the command line, while
this server shares it) ends its links the next time a guest opens its page or socket.
"""

from __future__ import annotations

from codesm.store import SessionRecord, Store
from codesm.web.roles import Principal
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


async def closed_to_guest(shares: ShareRegistry, session: SessionRecord, who: Principal) -> bool:
    """True when `who` is a guest and `session` is private (it was made private outside this
    server): its links end here, so the guest is refused from now on."""
    if not who.is_guest or session.visibility != "private":
        return False
    for link in shares.live_links(session.id):
        await shares.revoke(link.id)
    return True
