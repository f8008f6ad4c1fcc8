"""A revocation is done only once it is saved: when the database refuses the write, the link is
not reported revoked in memory only (a retry would then find nothing to do, and the next server
would honour the link again); the owner's retry revokes it for good."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from codesm.errors import CodesmError
from codesm.store import Store
from codesm.web.roles import Role
from codesm.web.sharing import ShareRegistry

FAIL_REVOKE = (
    "CREATE TRIGGER fail_revoke BEFORE UPDATE ON share_links"
    " BEGIN SELECT RAISE(ABORT, 'disk I/O error (injected)'); END"
)


def run_sql(db: Path, sql: str) -> None:
    connection = sqlite3.connect(db)
    try:
        connection.execute(sql)
        connection.commit()
    finally:
        connection.close()


async def test_a_revocation_the_database_refused_can_be_retried_and_then_holds_after_restart(
    tmp_path: Path,
) -> None:
    db = tmp_path / "codesm.db"
    store = await Store.open(db)
    try:
        project = await store.projects.ensure(tmp_path)
        session = await store.sessions.create(project_id=project.id)
        shares = ShareRegistry(port=8000)
        await shares.restore(store.share_links, project_id=project.id)
        issued = await shares.issue(session.id, Role.VIEWER)

        run_sql(db, FAIL_REVOKE)
        with pytest.raises(CodesmError):
            await shares.revoke(issued.link.id)
        run_sql(db, "DROP TRIGGER fail_revoke")
        # Ended at once, but still listed with its Revoke button until the revocation is saved.
        assert shares.resolve(issued.token) is None
        assert [link.id for link in shares.live_links(session.id)] == [issued.link.id]

        assert await shares.revoke(issued.link.id) is True
        assert shares.resolve(issued.token) is None
        restarted = ShareRegistry(port=8000)
        await restarted.restore(store.share_links, project_id=project.id)
        assert restarted.resolve(issued.token) is None
    finally:
        await store.close()
