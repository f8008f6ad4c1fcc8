"""Diffs unified or side by side: the pairing of old and new lines, the browser's layout cookie
honoured by the page and the socket, and one change card fetched in the other layout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from codesm.web.render.diff import DIFF_LAYOUT_COOKIE, parse_unified_diff
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.web_support import (
    TURN_COMPLETED,
    WebApp,
    make_web_app,
    new_session,
    read_until,
    session_socket,
    submit_prompt,
)

DIFF = """--- a/app.py
+++ b/app.py
@@ -1,6 +1,6 @@
 import os
-a = 1
-b = 2
+a = 10
 keep = True
-gone = 1
+x = 1
+y = 2
+z = 3
 end = 0
"""


def test_side_by_side_pairs_each_removed_run_with_the_added_lines_after_it() -> None:
    hunk = parse_unified_diff(DIFF).files[0].hunks[0]
    rows = [
        (row.left.text if row.left else None, row.right.text if row.right else None)
        for row in hunk.split_rows()
    ]
    assert rows == [
        ("import os", "import os"),
        ("a = 1", "a = 10"),
        ("b = 2", None),
        ("keep = True", "keep = True"),
        ("gone = 1", "x = 1"),
        (None, "y = 2"),
        (None, "z = 3"),
        ("end = 0", "end = 0"),
    ]
    numbers = [(r.left.old_no if r.left else None, r.right.new_no if r.right else None)
               for r in hunk.split_rows()]  # fmt: skip
    assert numbers[0] == (1, 1) and numbers[3] == (4, 3) and numbers[-1] == (6, 7)


def test_a_no_newline_note_spans_both_sides() -> None:
    diff = "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\n\\ No newline at end of file\n+new\n"
    rows = parse_unified_diff(diff).files[0].hunks[0].split_rows()
    assert [(r.left is not None, r.right is not None, r.note is not None) for r in rows] == [
        (True, False, False),
        (False, False, True),
        (False, True, False),
    ]


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "notes.txt").write_text("alpha\nbeta\ngamma\n")
    return root


@pytest.fixture
def web(workspace: Path, tmp_path: Path, scripted_llm: ScriptedLLMServer) -> WebApp:
    return make_web_app(
        workspace, tmp_path / "codesm.db", llm=scripted_llm, permission_mode="review"
    )


def edit_turns() -> list[Turn]:
    edit = {"path": "notes.txt", "old_string": "beta", "new_string": "BETA <b>"}
    return [
        Turn(tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="call_read")]),
        Turn(tool_calls=[ToolCallSpec("edit", edit, id="call_edit")]),
        Turn(text="Done."),
    ]


def split_cookie(web: WebApp) -> dict[str, str]:
    return {"cookie": f"{web.cookie['cookie']}; {DIFF_LAYOUT_COOKIE}=split"}


def test_with_the_split_cookie_the_socket_and_the_page_show_the_edit_side_by_side(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*edit_turns())
    sid = new_session(client, web)
    headers = {**web.ws_headers, **split_cookie(web)}
    with session_socket(client, web, sid, headers) as ws:
        ws.receive_text()
        frames = submit_prompt(ws, web, "shout beta", lambda text: "Accept change" in text)
        ws.send_text(web.frame(type="deny", call_id="call_edit"))
        read_until(ws, lambda text: TURN_COMPLETED in text)
    assert 'data-layout="split"' in frames and 'class="srow"' in frames
    assert 'class="src side-del"' in frames and 'class="src side-add"' in frames
    assert 'aria-pressed="true"' in frames
    assert "BETA &lt;b&gt;" in frames and "BETA <b>" not in frames
    assert 'class="drow drow-add"' not in frames  # the unified rows are not sent as well

    split_page = client.get(f"/s/{sid}", headers=split_cookie(web)).text
    assert 'data-layout="split"' in split_page and 'class="srow"' in split_page
    unified_page = client.get(f"/s/{sid}", headers=web.cookie).text
    assert 'data-layout="unified"' in unified_page and 'class="srow"' not in unified_page


def test_one_change_card_is_served_in_the_layout_asked_for(
    client: TestClient, web: WebApp, scripted_llm: ScriptedLLMServer
) -> None:
    scripted_llm.script(*edit_turns())
    sid = new_session(client, web)
    with session_socket(client, web, sid) as ws:
        ws.receive_text()
        frames = submit_prompt(ws, web, "shout beta", lambda text: "Accept change" in text)
        found = re.search(r'data-change-id="([^"]+)"', frames)
        assert found is not None
        url = f"/s/{sid}/changes/{found.group(1)}"
        split = client.get(url, params={"layout": "split"}, headers=web.cookie)
        unified = client.get(url, params={"layout": "anything"}, headers=web.cookie)
        ws.send_text(web.frame(type="approve", call_id="call_edit"))
        read_until(ws, lambda text: TURN_COMPLETED in text)
    assert split.status_code == 200 and split.headers["cache-control"] == "no-store"
    assert 'data-layout="split"' in split.text and "Accept change" in split.text
    assert 'id="change-' in split.text and "-diff" in split.text
    assert 'data-layout="unified"' in unified.text and 'class="drow drow-add"' in unified.text
    missing = client.get(f"/s/{sid}/changes/nope", headers=web.cookie)
    assert missing.status_code == 404
    assert client.get(url).status_code in (401, 403)  # the owner's cookie is still needed
