"""Terminal output in tool cards: ANSI colours become `ansi-*` classes, everything else a
terminal would act on (cursor moves, titles, hyperlinks) is dropped, text is escaped, and a
sequence cut by a delta boundary still decodes. Guests' redaction sees the visible text."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from codesm.security.redact import Redactor
from codesm.security.redact_split import redact_html
from codesm.web.app import STATIC_DIR
from codesm.web.render.ansi import (
    MAX_PENDING,
    AnsiDecoder,
    TerminalLines,
    ansi_to_html,
    colour_256,
    nearest_colour,
)
from codesm.web.render.held import StreamHold
from codesm.web.render.tool_output import ToolOutput
from codesm.web.render.view import ToolView
from tests.unit.test_web_themes import contrast
from tests.unit.test_web_xss import TEMPLATES_DIR, executable_constructs

ESC = "\x1b"
CLASS_NAMES = re.compile(
    r"ansi-(bold|dim|italic|underline|strike|inverse|(fg|bg)-(bright-)?"
    r"(black|red|green|yellow|blue|magenta|cyan|white))"
)


def streamed(chunks: list[str]) -> str:
    """The HTML of output that arrived in these deltas."""
    decoder, lines = AnsiDecoder(), TerminalLines()
    for chunk in chunks:
        lines.feed(decoder.feed(chunk))
    return str(lines.finished_html() + lines.tail)


def visible(html: str) -> str:
    return re.sub(r"<[^>]*>", "", html)


def sp(classes: str, text: str) -> str:
    return f'<span class="{classes}">{text}</span>'


@pytest.mark.parametrize(
    ("raw", "html"),
    [
        (f"{ESC}[31mred{ESC}[0m plain", sp("ansi-fg-red", "red") + " plain"),
        (f"{ESC}[1;4;92mok{ESC}[m", sp("ansi-bold ansi-underline ansi-fg-bright-green", "ok")),
        (f"{ESC}[2mdim{ESC}[22m{ESC}[3mit{ESC}[23m.",
         sp("ansi-dim", "dim") + sp("ansi-italic", "it") + "."),
        (f"{ESC}[44;37mbox{ESC}[39mx{ESC}[49my",
         sp("ansi-fg-white ansi-bg-blue", "box") + sp("ansi-bg-blue", "x") + "y"),
        (f"{ESC}[105mpink", sp("ansi-bg-bright-magenta", "pink")),
        (f"{ESC}[7;31minv", sp("ansi-inverse ansi-bg-red", "inv")),
        (f"{ESC}[9mgone{ESC}[29m", sp("ansi-strike", "gone")),
        (f"{ESC}[38;5;1ma{ESC}[38;5;196mb{ESC}[38;5;232mc{ESC}[38;5;255md",
         sp("ansi-fg-red", "a") + sp("ansi-fg-bright-red", "b") + sp("ansi-fg-black", "c")
         + sp("ansi-fg-white", "d")),
        (f"{ESC}[38;2;250;10;10mrgb{ESC}[48;2;0;0;240mbg",
         sp("ansi-fg-bright-red", "rgb") + sp("ansi-fg-bright-red ansi-bg-blue", "bg")),
        (f"{ESC}[38:5:2mcolon{ESC}[38:2::0:0:255mrgb",
         sp("ansi-fg-green", "colon") + sp("ansi-fg-blue", "rgb")),
        (f"{ESC}[1m{ESC}[0mnothing", "nothing"),
    ],
    ids=["colour", "bold-underline-bright", "dim-italic-resets", "background-resets", "bright-bg",
         "inverse", "strike", "256-colours", "truecolor", "colon-forms", "empty-span"],
)  # fmt: skip
def test_sgr_sequences_become_classes(raw: str, html: str) -> None:
    assert str(ansi_to_html(raw)) == html


def test_256_colour_and_truecolor_map_to_the_nearest_palette_colour() -> None:
    assert [colour_256(i) for i in range(16)] == list(range(16))
    assert colour_256(21) == 4  # #0000ff: blue (#0000ee), not bright blue (#5c5cff)
    assert colour_256(46) == 10  # #00ff00: bright green
    assert colour_256(244) == 8  # mid grey: bright black
    assert nearest_colour(255, 255, 250) == 15
    assert nearest_colour(10, 10, 10) == 0


def test_other_escape_sequences_are_dropped() -> None:
    raw = (
        f"{ESC}[2J{ESC}[H{ESC}[?25l{ESC}[5A{ESC}[K{ESC}(B{ESC}7{ESC}="  # erase, cursor, charset
        f"{ESC}]0;window title\x07{ESC}]2;other title{ESC}\\"  # OSC titles, BEL and ST ends
        f"{ESC}P1$r0m{ESC}\\{ESC}_apc{ESC}\\"  # DCS, APC strings
        "a\x00b\x07c\x08d\x7fe\x9bf"  # stray control bytes
    )
    assert str(ansi_to_html(raw)) == "abcdef"


def test_an_osc8_hyperlink_keeps_its_text_but_never_its_target() -> None:
    target = 'javascript:alert(1)"><img src=x onerror=alert(2)>'
    raw = f"{ESC}]8;;{target}{ESC}\\click me{ESC}]8;;{ESC}\\"
    html = str(ansi_to_html(raw))
    assert html == "click me"


@pytest.mark.parametrize(
    "raw",
    [
        f"{ESC}[31m<script>alert(1)</script>{ESC}[0m",
        f"<scr{ESC}[1mipt>alert(1)</scr{ESC}[0mipt>",
        f"{ESC}[31;\"><script>alert(1)</script>m x",
        f'{ESC}]8;;"><script>alert(1)</script>\x07<img src=x onerror=alert(1)>{ESC}]8;;\x07',
        f"{ESC}[38;5;\"onmouseover=alert(1)//m<b onclick=alert(1)>x</b>",
        f"{ESC}P<svg onload=alert(1)>{ESC}\\<iframe src=javascript:alert(1)>",
    ],
    ids=["wrapped-script", "sgr-inside-tag", "markup-in-params", "osc8-hostile",
         "quote-in-256", "dcs-svg"],
)  # fmt: skip
def test_markup_in_terminal_output_is_only_ever_text(raw: str) -> None:
    html = str(ansi_to_html(raw))
    assert executable_constructs(html) == []
    assert re.findall(r"<(?!/?span\b)", html) == []
    for classes in re.findall(r'class="([^"]*)"', html):
        assert all(CLASS_NAMES.fullmatch(name) for name in classes.split())


def test_a_sequence_cut_anywhere_by_a_delta_boundary_decodes_the_same() -> None:
    raw = (
        f"ok {ESC}[1;38;5;208mwarn{ESC}[0m {ESC}]8;;https://x.example/{ESC}\\link{ESC}]8;;\x07"
        f" {ESC}[2K{ESC}[32mgreen{ESC}[39m\r\n{ESC}(Bend"
    )
    whole = str(ansi_to_html(raw))
    for cut in range(len(raw) + 1):
        assert streamed([raw[:cut], raw[cut:]]) == whole, cut
    assert streamed(list(raw)) == whole


def test_carriage_returns_keep_the_last_overwrite_of_a_line() -> None:
    assert str(ansi_to_html("10%\r20%\r100%\ndone\r\nnext")) == "100%\ndone\nnext"
    assert streamed(["50%", "\r", "\n", "kept"]) == "50%\nkept"
    assert streamed(["50%\r", "75%\r", "100%"]) == "100%"


def test_an_endless_unterminated_sequence_is_not_kept_forever() -> None:
    decoder = AnsiDecoder()
    decoder.feed(f"{ESC}]0;" + "t" * (MAX_PENDING + 10))
    assert decoder.feed("") == []
    assert "".join(text for _, text in decoder.feed("visible")) == "visible"


def test_huge_numbers_in_parameters_are_harmless() -> None:
    html = str(ansi_to_html(f"{ESC}[38;5;99999999m{ESC}[{'9' * 5000}mx{ESC}[38;2;999;999;999my"))
    assert visible(html) == "xy"


def test_streamed_output_grows_the_line_finishes_it_and_redraws_it() -> None:
    output = ToolOutput("tool-c1")
    first = output.add(f"{ESC}[31mred{ESC}[0m")
    assert first is not None
    grow = '<div hx-swap-oob="beforeend:#tool-c1-tail">'
    assert first.fragment == f"{grow}{sp('ansi-fg-red', 'red')}</div>"
    assert output.add(f"{ESC}[3") is None  # only half a sequence: nothing to show yet
    second = output.add("2m!\ndone")
    assert second is not None
    replace = '<span id="tool-c1-tail" hx-swap-oob="outerHTML">'
    assert second.fragment == (
        '<div hx-swap-oob="beforeend:#tool-c1-lines">'
        f"{sp('ansi-fg-red', 'red')}{sp('ansi-fg-green', '!')}\n</div>"
        f"{replace}{sp('ansi-fg-green', 'done')}</span>"
    )
    assert output.add("\r") is None
    redraw = output.add("50%")
    assert redraw is not None and redraw.fragment == f"{replace}{sp('ansi-fg-green', '50%')}</span>"


def test_a_long_line_streamed_in_many_deltas_is_sent_once_not_again_per_delta() -> None:
    output = ToolOutput("tool-c1")
    sent = 0
    for _ in range(2000):
        update = output.add("x" * 50)
        assert update is not None
        sent += len(update.fragment)
    assert sent < 2 * 2000 * 50


SECRET = "CANARYprovider0001xyz"


def test_a_guest_never_sees_part_of_a_secret_split_by_a_colour_sequence() -> None:
    redactor = Redactor([SECRET])
    output = ToolOutput("tool-c1", StreamHold(redactor))
    deltas = [
        "building... " * 8,
        f"token {ESC}[1m{SECRET[:9]}",
        f"{ESC}[0m{ESC}[33m{SECRET[9:]}{ESC}[0m and",
        " more output after the secret " * 4 + "\n",
    ]
    frames = []
    for delta in deltas:
        update = output.add(delta)
        if update is not None:
            frames.append(redact_html(update.fragment, redactor))
    assert len(frames) >= 2
    for frame in frames:
        assert "CANARY" not in visible(frame) and "0001xyz" not in visible(frame)
    assert "[REDACTED]" in "".join(frames)
    assert "more output after the secret" in visible("".join(frames))


def test_without_a_hold_the_split_secret_would_reach_the_page_in_pieces() -> None:
    """The control for the test above: the owner's unheld stream shows the halves as they come."""
    output = ToolOutput("tool-c1")
    update = output.add(f"token {ESC}[1m{SECRET[:9]}")
    assert update is not None and SECRET[:9] in visible(update.fragment)


@pytest.fixture(scope="module")
def live() -> Any:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
    )
    env.globals.update(csrf_token="t")
    return env.get_template("partials/live.html").module


def test_a_tool_card_shows_coloured_output_and_a_finished_guest_card_is_redacted_whole(
    live: Any,
) -> None:
    redactor = Redactor([SECRET])
    tool = ToolView(
        "tool-c1", "c1", "bash", {"command": "make"}, datetime.now(UTC),
        output_hold=StreamHold(redactor),
    )  # fmt: skip
    tool.add_output(f"{ESC}[32mok{ESC}[0m\n" + "compiling\n" * 20)
    tool.add_output(f"key {SECRET[:5]}{ESC}[1m{SECRET[5:]}")
    running = str(live.tool(tool))
    assert '<span class="ansi-fg-green">ok</span>\n' in running
    assert SECRET[5:] not in running  # still held back
    tool.result = "exit 0"
    card = redact_html(str(live.tool(tool)), redactor)
    assert 'id="tool-c1-lines"' in card and 'id="tool-c1-tail"' in card
    assert "CANARY" not in visible(card) and "[REDACTED]" in card


ANSI_CSS = (STATIC_DIR / "css" / "ansi.css").read_text()
THEME_CSS = (STATIC_DIR / "css" / "app.css").read_text()


def css_variables(css: str, selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{(.*?)\}", css, re.DOTALL)
    assert block is not None, selector
    return dict(re.findall(r"--([\w-]+):\s*([^;]+);", block.group(1)))


@pytest.mark.parametrize("theme", ["light", "dark", "contrast"])
def test_every_ansi_colour_is_readable_on_the_tool_card_in_every_theme(theme: str) -> None:
    """4.5:1 against the card's background in light and dark, 7:1 in high contrast."""
    if theme == "contrast":
        colours = css_variables(ANSI_CSS, ':root[data-theme="contrast"]')
        background = css_variables(THEME_CSS, ':root[data-theme="contrast"]')["code-bg"]
    else:
        side = 0 if theme == "light" else 1  # light-dark(LIGHT, DARK)
        pairs = css_variables(ANSI_CSS, ":root")
        colours = {name: re.findall(r"#\w{6}", value)[side] for name, value in pairs.items()}
        background = re.findall(r"#\w{6}", css_variables(THEME_CSS, ":root")["code-bg"])[side]
    assert len(colours) == 16
    need = 7 if theme == "contrast" else 4.5
    assert {name: round(contrast(c, background), 2) for name, c in colours.items()
            if contrast(c, background) < need} == {}  # fmt: skip
    for name in colours:  # every colour has its foreground and background class
        assert f".ansi-fg-{name.removeprefix('ansi-')} {{" in ANSI_CSS
        assert f".ansi-bg-{name.removeprefix('ansi-')} {{" in ANSI_CSS
