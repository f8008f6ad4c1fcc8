"""Themes: light and dark from one set of variables, and a high-contrast theme whose text reaches
7:1 on every background it is drawn on (WCAG AAA), code included; `/theme` picks one."""

from __future__ import annotations

import re
from itertools import product

import pytest

from codesm.agent.ops import SubmitPrompt
from codesm.web.app import STATIC_DIR
from codesm.web.commands import CommandReply, read_command

APP_CSS = (STATIC_DIR / "css" / "app.css").read_text()
PYGMENTS_CSS = (STATIC_DIR / "css" / "pygments.css").read_text()
TEXT = ("fg", "muted", "accent", "ok", "warn", "bad")
BACKGROUNDS = (
    "bg", "panel", "panel-2", "code-bg", "user-bg", "accent-soft",
    "add-bg", "del-bg", "ok-soft", "warn-soft", "bad-soft",
)  # fmt: skip
CODE_BACKGROUNDS = ("bg", "panel", "code-bg", "add-bg", "del-bg")


def luminance(hex_colour: str) -> float:
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def variables(selector: str) -> dict[str, str]:
    block = re.search(re.escape(selector) + r"\s*\{(.*?)\}", APP_CSS, re.DOTALL)
    assert block is not None, selector
    return dict(re.findall(r"--([\w-]+):\s*([^;]+);", block.group(1)))


CONTRAST = variables(':root[data-theme="contrast"]')


@pytest.mark.parametrize(("text", "background"), list(product(TEXT, BACKGROUNDS)))
def test_high_contrast_text_reaches_seven_to_one(text: str, background: str) -> None:
    assert contrast(CONTRAST[text], CONTRAST[background]) >= 7


def test_high_contrast_buttons_and_focus_ring_stand_out() -> None:
    assert contrast(CONTRAST["on-accent"], CONTRAST["accent"]) >= 7
    for status in ("ok", "bad"):
        assert contrast(CONTRAST["on-status"], CONTRAST[status]) >= 7
    for background in BACKGROUNDS:
        assert contrast(CONTRAST["focus"], CONTRAST[background]) >= 3  # non-text: 3:1
    assert ':root[data-theme="contrast"] :focus-visible { outline: 3px solid' in APP_CSS


def test_high_contrast_sets_every_colour_the_light_and_dark_themes_set() -> None:
    paired = {name for name, value in variables(":root").items() if "light-dark(" in value}
    assert paired and paired <= set(CONTRAST)


def test_light_and_dark_are_written_once() -> None:
    assert "prefers-color-scheme" not in APP_CSS
    assert APP_CSS.count("--bg:") == 2  # the light-dark() pair, and high contrast's own


def test_every_code_token_in_high_contrast_reaches_seven_to_one() -> None:
    tokens = re.findall(
        r":root\[data-theme=contrast\] \.hl \.(\S+) \{ color: (#[0-9A-F]{6})", PYGMENTS_CSS
    )
    dark_classes = set(re.findall(r"^\.hl \.(\S+) \{ color: light-dark\(", PYGMENTS_CSS, re.M))
    assert {name for name, _ in tokens} == dark_classes
    for (name, colour), background in product(tokens, CODE_BACKGROUNDS):
        assert contrast(colour, CONTRAST[background]) >= 7, (name, background)


def test_code_colours_for_light_and_dark_are_written_once() -> None:
    dark_only = re.findall(
        r"^\s*:root(?::not\(\[data-theme=light\]\)|\[data-theme=dark\]) \.hl \.\S+ \{ ([^}]*) \}",
        PYGMENTS_CSS,
        re.M,
    )
    assert dark_only and not any("color" in rule for rule in dark_only)


@pytest.mark.parametrize(
    ("typed", "theme"),
    [("/theme", "next"), ("/theme contrast", "contrast"), ("/theme High-Contrast", "contrast"),
     ("/theme light", "light"), ("/theme system", "system")],
)  # fmt: skip
def test_the_theme_command_names_the_theme_for_the_page_to_use(typed: str, theme: str) -> None:
    reply = read_command(SubmitPrompt(text=typed), "smart")
    assert isinstance(reply, CommandReply) and reply.theme == theme and reply.kind == "info"


def test_an_unknown_theme_is_an_error_that_lists_the_themes() -> None:
    reply = read_command(SubmitPrompt(text="/theme purple"), "smart")
    assert isinstance(reply, CommandReply) and reply.kind == "error" and reply.theme is None
    assert "contrast" in reply.text
