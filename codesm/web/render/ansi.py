"""Terminal output (ANSI escape sequences) as escaped HTML with `ansi-*` classes.

The page's CSP forbids inline styles, so colours and text attributes become classes that
`static/css/app.css` defines for every theme: 16 colours (256-colour and truecolor values are
mapped to the nearest of them), bold, dim, italic, underline, strike-through and inverse.
Every other control sequence (cursor movement, erasing, OSC titles and hyperlinks, DCS/APC
strings, stray control bytes) is dropped; only text ever reaches the page, and it is escaped.

Output arrives in deltas that may cut a sequence anywhere, so `AnsiDecoder` keeps an incomplete
sequence until the next delta, and `TerminalLines` keeps the line being written apart from the
finished ones, so a `\\r` (a progress bar redrawing its line) can replace it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from markupsafe import Markup, escape

COLOURS = ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")
PALETTE = (  # xterm's defaults for the 16 colours, to map 256-colour and RGB values onto
    (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0),
    (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
    (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
    (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
)  # fmt: skip
MAX_PENDING = 4096
"""Longest unfinished sequence kept between deltas; beyond it the sequence is dropped."""

# Complete sequences, and what may still grow into one at the end of a delta.
_SEQUENCE = re.compile(
    r"\x1b\[(?P<csi>[\x30-\x3f]*)[\x20-\x2f]*(?P<final>[\x40-\x7e])"  # CSI (SGR when final is m)
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)"  # OSC: titles, OSC 8 hyperlinks
    r"|\x1b[PX^_][^\x1b]*\x1b\\"  # DCS, SOS, PM, APC strings
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]"  # two-character escapes (charset, keypad, save cursor)
)
_UNFINISHED = re.compile(
    r"\x1b(?:\[[\x30-\x3f]*[\x20-\x2f]*|\][^\x07\x1b]*\x1b?|[PX^_][^\x1b]*\x1b?|[\x20-\x2f]*)\Z"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Style:
    """The SGR attributes in effect; colours are palette indexes 0-15."""

    bold: bool = False
    dim: bool = False
    italic: bool = False
    underline: bool = False
    strike: bool = False
    inverse: bool = False
    fg: int | None = None
    bg: int | None = None

    @property
    def classes(self) -> str:
        names = [
            f"ansi-{flag}"
            for flag in ("bold", "dim", "italic", "underline", "strike", "inverse")
            if getattr(self, flag)
        ]
        fg, bg = (self.bg, self.fg) if self.inverse else (self.fg, self.bg)
        if fg is not None:
            names.append(f"ansi-fg-{_colour_name(fg)}")
        if bg is not None:
            names.append(f"ansi-bg-{_colour_name(bg)}")
        return " ".join(names)


PLAIN = Style()
Run = tuple[Style, str]


def _colour_name(index: int) -> str:
    return COLOURS[index] if index < 8 else f"bright-{COLOURS[index - 8]}"


def nearest_colour(red: int, green: int, blue: int) -> int:
    """The palette index closest to an RGB colour."""
    return min(
        range(len(PALETTE)),
        key=lambda i: sum(
            (a - b) ** 2 for a, b in zip(PALETTE[i], (red, green, blue), strict=True)
        ),
    )


def colour_256(index: int) -> int:
    """A 256-colour index mapped onto the 16-colour palette."""
    if index < 16:
        return index
    if index < 232:
        cube = index - 16
        levels = [0 if v == 0 else 55 + 40 * v for v in (cube // 36, cube // 6 % 6, cube % 6)]
        return nearest_colour(*levels)
    grey = 8 + 10 * (index - 232)
    return nearest_colour(grey, grey, grey)


def _extended_colour(params: list[list[int]], at: int) -> tuple[int | None, int]:
    """Parse `38;5;N`, `38;2;R;G;B` or their colon forms at `params[at]`; returns the colour
    (None when malformed) and how many parameters were used."""
    head = params[at]
    if len(head) > 1:  # colon form: 38:5:N or 38:2:[space]:R:G:B
        sub = head[1:]
        if sub[0] == 5 and len(sub) >= 2:
            return colour_256(min(sub[1], 255)), 1
        if sub[0] == 2 and len(sub) >= 4:
            rgb = sub[-3:]
            return nearest_colour(*(min(v, 255) for v in rgb)), 1
        return None, 1
    rest = [p[0] for p in params[at + 1 : at + 5]]
    if rest[:1] == [5] and len(rest) >= 2:
        return colour_256(min(rest[1], 255)), 3
    if rest[:1] == [2] and len(rest) >= 4:
        return nearest_colour(*(min(v, 255) for v in rest[1:4])), 5
    return None, 1 + len(rest[:1])


_SET = {1: "bold", 2: "dim", 3: "italic", 4: "underline", 7: "inverse", 9: "strike"}
_UNSET = {
    22: ("bold", "dim"), 23: ("italic",), 24: ("underline",), 27: ("inverse",), 29: ("strike",)
}  # fmt: skip


def apply_sgr(style: Style, text: str) -> Style:
    """`style` changed by the parameters of one SGR sequence (`ESC [ text m`)."""
    try:
        params = [[int(v) if v else 0 for v in p.split(":")] for p in text.split(";")]
    except ValueError:  # private parameters (`?`, `<`...): not SGR
        return style
    at = 0
    while at < len(params):
        code = params[at][0]
        used = 1
        if code == 0:
            style = PLAIN
        elif code in _SET:
            style = replace(style, **{_SET[code]: True})
        elif code in _UNSET:
            style = replace(style, **dict.fromkeys(_UNSET[code], False))
        elif 30 <= code <= 37 or 90 <= code <= 97:
            style = replace(style, fg=code - 30 if code < 90 else code - 82)
        elif 40 <= code <= 47 or 100 <= code <= 107:
            style = replace(style, bg=code - 40 if code < 100 else code - 92)
        elif code in (38, 48):
            colour, used = _extended_colour(params, at)
            if colour is not None and code == 38:
                style = replace(style, fg=colour)
            elif colour is not None:
                style = replace(style, bg=colour)
        elif code == 39:
            style = replace(style, fg=None)
        elif code == 49:
            style = replace(style, bg=None)
        elif code == 58:  # underline colour: not shown, but its arguments are not SGR codes
            used = _extended_colour(params, at)[1]
        at += used
    return style


class AnsiDecoder:
    """Turns a stream of terminal output into styled runs of plain text (with `\\n` and `\\r`).

    A sequence cut by a delta boundary is kept until the next `feed`; the style carries over."""

    def __init__(self) -> None:
        self.style = PLAIN
        self._pending = ""

    def feed(self, chunk: str) -> list[Run]:
        text = self._pending + chunk
        self._pending = ""
        tail = _UNFINISHED.search(text)
        if tail is not None:
            kept = text[tail.start() :]
            self._pending = kept if len(kept) <= MAX_PENDING else ""
            text = text[: tail.start()]
        runs: list[Run] = []
        pos = 0
        for match in _SEQUENCE.finditer(text):
            self._add(runs, text[pos : match.start()])
            if match.group("final") == "m":
                self.style = apply_sgr(self.style, match.group("csi"))
            pos = match.end()
        self._add(runs, text[pos:])
        return runs

    def _add(self, runs: list[Run], text: str) -> None:
        text = _CONTROL.sub("", text.replace("\x1b", ""))
        if text:
            runs.append((self.style, text))


def _span(style: Style, text: str) -> str:
    classes = style.classes
    return f'<span class="{classes}">{escape(text)}</span>' if classes else str(escape(text))


class TerminalLines:
    """Finished lines as HTML, and the line still being written (a `\\r` restarts it)."""

    def __init__(self) -> None:
        self.lines: list[Markup] = []
        self.current: list[Run] = []
        self.restarts = 0
        """How often the current line was finished or overwritten (else it only grew)."""
        self._returned = False

    def feed(self, runs: list[Run]) -> int:
        """Add runs; returns how many lines they finished."""
        before = len(self.lines)
        for style, text in runs:
            for index, part in enumerate(re.split(r"(\r|\n)", text)):
                if index % 2:
                    self._control(part)
                elif part:
                    if self._returned:  # text after a bare \r overwrites the line
                        self.current, self._returned = [], False
                        self.restarts += 1
                    self.current.append((style, part))
        return len(self.lines) - before

    def _control(self, char: str) -> None:
        if char == "\r":
            self._returned = True
            return
        self.lines.append(self._render(self.current))  # \r\n keeps the line as it is
        self.current, self._returned = [], False
        self.restarts += 1

    @staticmethod
    def _render(runs: list[Run]) -> Markup:
        merged: list[Run] = []
        for style, text in runs:
            if merged and merged[-1][0] == style:
                merged[-1] = (style, merged[-1][1] + text)
            else:
                merged.append((style, text))
        return Markup("".join(_span(style, text) for style, text in merged))

    @property
    def tail(self) -> Markup:
        return self._render(self.current)

    def tail_from(self, run: int) -> Markup:
        """The current line's runs from index `run` on (what was added to it)."""
        return self._render(self.current[run:])

    def finished_html(self, start: int = 0) -> Markup:
        """The finished lines from `start`, each ending in a newline."""
        return Markup("").join(line + Markup("\n") for line in self.lines[start:])


def take_chars(runs: list[Run], count: int) -> tuple[list[Run], list[Run]]:
    """`runs` split after `count` characters of text."""
    taken: list[Run] = []
    for index, (style, text) in enumerate(runs):
        if count >= len(text):
            taken.append((style, text))
            count -= len(text)
            continue
        if count:
            taken.append((style, text[:count]))
        return taken, [(style, text[count:]), *runs[index + 1 :]]
    return taken, []


def ansi_to_html(text: str) -> Markup:
    """A whole terminal output as HTML (what a finished tool card shows)."""
    lines = TerminalLines()
    lines.feed(AnsiDecoder().feed(text))
    return lines.finished_html() + lines.tail
