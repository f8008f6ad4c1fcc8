"""Secrets that arrive in pieces: streamed over several deltas (cut mid-token) or broken up by
markdown (`sk-ant-` + `**…**`, code spans) or by syntax highlighting. Redaction works on the
assembled, visible text, so viewer frames, viewer pages and exports still show none of them,
while the viewer still watches the answer stream in."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.cli import main
from codesm.security.redact import Redactor
from codesm.security.redact_split import redact_html, redact_markdown
from codesm.web.render.held import StreamHold
from codesm.web.render.markdown import render_markdown
from tests.support.llm_wire import anthropic_frames
from tests.support.scripted_llm import Fault, ScriptedLLMServer, Turn
from tests.unit.share_support import guest_headers, prompt_watched_by_guest, share_app

PROVIDER_KEY = "CANARYprovider0001xyz"
ENV_TOKEN = "CANARYenvtoken0002xyz"
ANTHROPIC_SHAPED = "sk-ant-api03-CANARY0005abcdefghijklmnop"
GITHUB_SHAPED = "ghp_CANARY0007abcdefghijklmnopqrstuvwx"
CANARIES = (PROVIDER_KEY, ENV_TOKEN, ANTHROPIC_SHAPED, GITHUB_SHAPED)
ANSWER = (
    "Here is what I found in the logs, streamed to you a few characters at a time. "
    f"The token {ENV_TOKEN} came first, then the key {ANTHROPIC_SHAPED} in plain text, "
    f"then sk-ant-**api03-CANARY0005abcdefghijklmnop** in bold, `{GITHUB_SHAPED[:10]}`"
    f"`{GITHUB_SHAPED[10:]}` in two code spans, and the provider key {PROVIDER_KEY[:9]}*"
    f"*{PROVIDER_KEY[9:]} broken by stars.\n\n"
    f"```bash\nexport KEY={ANTHROPIC_SHAPED}\n```\n\nThat is all, and this sentence is long "
    "enough to let the stream run on after the last secret."
)


def visible(html: str) -> str:
    """What a reader of these fragments could piece together: text without tags or markers."""
    return re.sub(r"[*`_~]", "", re.sub(r"<[^>]*>", "", html))


def leaks(text: str) -> list[str]:
    return [c for c in CANARIES if c in text or c in visible(text)]


MODEL = "claude-sonnet-5-5"


def stall_inside(answer: Turn, position: int) -> int:
    """The body offset of the text delta that ends just after `position` of the answer: a stall
    there makes the agent publish a delta that stops in the middle of the secret around it."""
    assert answer.delta_size > 0
    frames = anthropic_frames(answer, MODEL, 2)
    deltas = [i for i, (_, data) in enumerate(frames) if b'"text_delta"' in data]
    frame = deltas[position // answer.delta_size]
    return sum(len(data) for _, data in frames[:frame])


def text_appends(frames: str) -> list[str]:
    return re.findall(r'hx-swap-oob="beforeend:#[^"]+-text">([^<]*)</div>', frames)


@pytest.mark.parametrize(
    "secret",
    [ENV_TOKEN, ANTHROPIC_SHAPED, "sk-ant-**api03-CANARY0005abcdefghijklmnop**",
     f"{PROVIDER_KEY[:9]}**{PROVIDER_KEY[9:]}"],
    ids=["env-token", "anthropic-key", "bold-key", "starred-provider-key"],
)  # fmt: skip
def test_a_viewer_never_sees_a_secret_streamed_in_pieces_or_split_by_markdown(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scripted_llm: ScriptedLLMServer,
    secret: str,
) -> None:
    start = ANSWER.index(secret)
    secret_at = start + len(secret) // 2
    workspace = tmp_path / "project"
    workspace.mkdir()
    env = {"ANTHROPIC_API_KEY": PROVIDER_KEY, "ANTHROPIC_BASE_URL": scripted_llm.base_url}
    for name, value in {"SERVICE_TOKEN": ENV_TOKEN, **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(workspace)
    answer = Turn(text=ANSWER, delta_size=3)
    scripted_llm.script(
        Turn(text="Split secrets", when="Write a title"),
        Fault("stall", turn=answer, after_bytes=stall_inside(answer, secret_at), stall_s=0.3),
    )
    with share_app(workspace, None, env=env) as web:
        sid = web.new_session()
        viewer = guest_headers(web.share(sid)["viewer"])
        streamed, owner_stream = prompt_watched_by_guest(web, sid, viewer, "show me")
        page = web.client.get(f"/s/{sid}", headers=viewer).text
        export = CliRunner().invoke(main, ["threads", "markdown", sid])
    assert export.exit_code == 0, export.output
    # The owner's stream shows the scenario happened: a delta ended inside the secret.
    created = re.search(r'-m1-text" hx-disable>([^<]*)</div>', owner_stream)
    assert created is not None
    ends = list(itertools.accumulate(map(len, [created.group(1), *text_appends(owner_stream)])))
    assert any(start < end < start + len(secret) for end in ends), ends
    # The viewer still watched the answer arrive in pieces before it was final.
    assert len(text_appends(streamed)) >= 1 and "Here is what I found" in streamed
    assert "That is all" in visible(streamed) and "That is all" in page
    assert leaks(streamed) == [] and leaks(page) == [] and leaks(export.output) == []
    assert "[REDACTED]" in page and "[REDACTED]" in export.output


def test_held_stream_text_never_releases_part_of_a_secret_however_it_is_chunked() -> None:
    redactor = Redactor([PROVIDER_KEY])
    text = f"intro {'words ' * 20}{PROVIDER_KEY} and {ANTHROPIC_SHAPED} then sk-ant-**api03-"
    text += "CANARY0005abcdefghijklmnop** end " + "tail " * 30
    for size in range(1, 12):
        hold, released = StreamHold(redactor), []
        for start in range(0, len(text), size):
            released.append(hold.feed(text[start : start + size]))
        shown = "".join(released)
        assert text.startswith(shown) and len(shown) > len(text) // 2
        assert "CANARY" not in redact_markdown(shown, redactor)


def test_html_redaction_joins_text_across_inline_tags_but_not_across_blocks() -> None:
    redactor = Redactor([PROVIDER_KEY])
    bold = str(render_markdown("key sk-ant-**api03-CANARY0005abcdefghijklmnop** ok"))
    assert "CANARY" not in visible(redact_html(bold, redactor))
    assert "<strong>" in redact_html(bold, redactor)  # tags are kept, only text is blanked
    split = f"<span>{PROVIDER_KEY[:5]}</span><em>{PROVIDER_KEY[5:]}</em>"
    assert visible(redact_html(split, redactor)) == "[REDACTED]"
    paragraphs = "<p>sk-</p><p>abcdefghijklmnopqrstuvwxyz</p>"
    assert redact_html(paragraphs, redactor) == paragraphs
