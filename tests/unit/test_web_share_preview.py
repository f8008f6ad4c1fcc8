"""The Share panel's redaction preview: before the first share, the owner sees what a viewer
will see of the session, with the redactions visible."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from codesm.security.redact import MARKER, Redactor
from codesm.web.share_preview import SAMPLE_CHARS, sample
from tests.support.scripted_llm import ScriptedLLMServer, ToolCallSpec, Turn
from tests.unit.share_support import frame, read_turn, share_app

SECRET = "CANARYpreview0001xyz"
KEY_SHAPED = "ghp_CANARYpreview0002abcdefghijklmnopq"


def test_the_preview_is_redacted_before_it_is_cut_so_no_half_secret_shows() -> None:
    redactor = Redactor([SECRET], patterns=False)
    text = "x" * (SAMPLE_CHARS - 5) + SECRET + " tail"
    pieces = sample(text, redactor)
    shown = "".join(t for t, _ in pieces)
    assert SECRET[:5] not in shown and shown.endswith("…")
    assert sample(f"a {SECRET} b", redactor) == (("a ", False), (MARKER, True), (" b", False))


def test_the_share_panel_previews_the_last_message_and_tool_output_with_redactions_marked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scripted_llm: ScriptedLLMServer
) -> None:
    home = tmp_path / "home" / "ann"
    workspace = home / "project"
    workspace.mkdir(parents=True)
    (workspace / ".env").write_text(f"SERVICE_URL={SECRET}\n")
    (workspace / "notes.txt").write_text(f"service at {SECRET}\nsee {workspace}/notes.txt\n")
    monkeypatch.setenv("HOME", str(home))
    env = {
        "ANTHROPIC_API_KEY": "CANARYprovider0003xyz",
        "ANTHROPIC_BASE_URL": scripted_llm.base_url,
    }
    scripted_llm.script(
        Turn(text="Reading.", tool_calls=[ToolCallSpec("read", {"path": "notes.txt"}, id="c1")]),
        Turn(text=f"The token is {KEY_SHAPED}; all done."),
        Turn(text="Preview title"),
    )
    with share_app(workspace, None, env=env) as web:
        sid = web.new_session()
        empty = web.client.get(f"/shares?session={sid}", headers=web.owner_headers()).text
        assert "What a viewer will see" in empty and "Nothing yet" in empty

        with web.owner_socket(sid) as ws:
            ws.receive_text()
            ws.send_text(frame(web.auth.csrf_token, type="submit_prompt", text="read notes"))
            read_turn(ws)

        panel = web.client.get(f"/shares?session={sid}", headers=web.owner_headers()).text
        preview = panel[panel.index('class="share-preview"') : panel.index("</form>")]
        assert "Last assistant message" in preview and "Last tool output (read)" in preview
        assert "all done." in preview and "service at" in preview
        assert SECRET not in preview and KEY_SHAPED not in preview
        assert len(re.findall(r'<mark class="redacted">\[REDACTED\]</mark>', preview)) == 2
        assert "~/project/notes.txt" in preview and str(home) not in preview
        assert 'hx-post="/shares"' in panel  # the user has not confirmed anything yet
        assert web.bound == []

        page = web.client.get(f"/s/{sid}", headers=web.owner_headers()).text
        assert "What a viewer will see" in page

        web.share(sid)
        after = web.client.get(f"/shares?session={sid}", headers=web.owner_headers()).text
        assert "What a viewer will see" not in after
