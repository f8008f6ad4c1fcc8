"""Page loads and socket connects reuse the session's folded renderer (only newer events are
folded), yet every client still sees the whole, current session, and one client's live state
never leaks into another's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from codesm.agent.events import StoredEvent, TurnStarted
from codesm.web.context import WebContext
from codesm.web.folded_sessions import FOLDED_SESSIONS
from codesm.web.session_state import load_renderer
from tests.support.scripted_llm import ScriptedLLMServer, Turn
from tests.unit.web_support import (
    client_for,
    make_web_app,
    new_session,
    run_turn,
    session_socket,
)


def test_a_page_loaded_again_shows_the_turns_stored_since_the_last_load(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(
        Turn(text="The first answer."),
        Turn(text="A title", when="Write a title"),
        Turn(text="The second answer."),
    )
    web = make_web_app(tmp_path, tmp_path / "codesm.db", llm=scripted_llm)
    with client_for(web) as client:
        sid = new_session(client, web)
        run_turn(client, web, sid, "one")
        first = client.get(f"/s/{sid}", headers=web.cookie).text
        run_turn(client, web, sid, "two")
        second = client.get(f"/s/{sid}", headers=web.cookie).text
        with session_socket(client, web, sid) as ws:
            replay = ws.receive_text()
    assert "The first answer." in first and "The second answer." not in first
    assert "The first answer." in second and "The second answer." in second
    assert "The second answer." in replay


def test_a_renderer_handed_out_is_its_own(tmp_path: Path) -> None:
    web = make_web_app(tmp_path, tmp_path / "codesm.db")
    with client_for(web) as client:
        sid = new_session(client, web)
        ctx = client.app_state["web"]
        assert isinstance(ctx, WebContext) and client.portal is not None
        session = client.portal.call(ctx.runtime.store.sessions.get, sid)
        assert session is not None
        mine = client.portal.call(load_renderer, ctx, session)
        seq = mine.last_seq + 1
        ghost = TurnStarted(turn_id="t-not-stored")
        mine.apply(StoredEvent(session_id=sid, seq=seq, ts=datetime.now(UTC), event=ghost))
        mine.status.title = "changed by one page"
        other = client.portal.call(load_renderer, ctx, session)
    assert "t-not-stored" in mine.turns
    assert "t-not-stored" not in other.turns and other.last_seq == seq - 1
    assert other.status.title != "changed by one page"


def test_the_kept_renderers_are_bounded_and_an_evicted_session_still_loads(
    tmp_path: Path, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(Turn(text="Oldest session's answer."), Turn(text="T", when="Write a title"))
    web = make_web_app(tmp_path, tmp_path / "codesm.db", llm=scripted_llm)
    with client_for(web) as client:
        ctx = client.app_state["web"]
        assert isinstance(ctx, WebContext)
        oldest = new_session(client, web)
        run_turn(client, web, oldest, "hello")
        for _ in range(FOLDED_SESSIONS + 2):
            sid = new_session(client, web)
            assert client.get(f"/s/{sid}", headers=web.cookie).status_code == 200
        kept = len(ctx.folded)
        page = client.get(f"/s/{oldest}", headers=web.cookie).text
    assert kept == FOLDED_SESSIONS
    assert "Oldest session&#39;s answer." in page or "Oldest session's answer." in page
