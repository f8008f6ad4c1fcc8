"""Syntax highlighting with pygments, one line at a time, every token escaped.

Lines are highlighted from one lexer pass over the whole text (so multi-line strings and comments
keep their colour), then split at newlines with each token's span closed per line. That lets file
previews carry line numbers and diffs carry their +/- markers without any span crossing a line.
The CSS for the token classes lives in `static/css/pygments.css` (light and dark).
"""

from __future__ import annotations

from markupsafe import Markup, escape
from pygments.lexer import Lexer
from pygments.lexers import TextLexer, get_lexer_by_name, get_lexer_for_filename
from pygments.token import STANDARD_TYPES, _TokenType
from pygments.util import ClassNotFound

MAX_HIGHLIGHT_CHARS = 2_000_000


def lexer_for(filename: str | None = None, language: str | None = None) -> Lexer:
    """A lexer by fenced-code language or file name; plain text when neither is known."""
    lexer: Lexer
    try:
        if language:
            lexer = get_lexer_by_name(language.strip().lower(), stripnl=False, ensurenl=False)
            return lexer
        if filename:
            lexer = get_lexer_for_filename(filename, stripnl=False, ensurenl=False)
            return lexer
    except ClassNotFound:
        pass
    lexer = TextLexer(stripnl=False, ensurenl=False)
    return lexer


def _css_class(ttype: _TokenType) -> str:
    while ttype not in STANDARD_TYPES and ttype.parent is not None:
        ttype = ttype.parent
    css: str = STANDARD_TYPES.get(ttype, "")
    return css


def highlight_lines(text: str, lexer: Lexer) -> list[Markup]:
    """`text` split into lines (no terminators), each as safe highlighted HTML."""
    if len(text) > MAX_HIGHLIGHT_CHARS:
        lexer = lexer_for()
    lines: list[list[str]] = [[]]
    for ttype, value in lexer.get_tokens(text):
        css = _css_class(ttype)
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append([])
            if part:
                escaped = str(escape(part))
                lines[-1].append(f'<span class="{css}">{escaped}</span>' if css else escaped)
    if text.endswith("\n") and lines and not lines[-1]:
        lines.pop()
    return [Markup("".join(parts)) for parts in lines]


def highlight_block(
    text: str, *, language: str | None = None, filename: str | None = None
) -> Markup:
    """A whole block as highlighted lines joined by newlines (for `<pre>`)."""
    return Markup("\n").join(highlight_lines(text, lexer_for(filename, language)))
