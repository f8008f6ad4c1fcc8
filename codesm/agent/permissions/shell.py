"""Parse a shell command with tree-sitter-bash and split it into simple commands and risks.

Nothing is guessed from the text: the command is parsed by a real bash grammar, every simple
command found anywhere (lists, pipelines, subshells, substitutions, ``bash -c`` strings, wrapped
commands) is reported so deny rules see all of them, and every construct the checker does not
fully understand is reported as a risk, which makes the command ask at best (fail closed).
"""

from __future__ import annotations

import codecs
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter_bash
from tree_sitter import Language, Node, Parser

from codesm.agent.permissions.shell_paths import PathChecker
from codesm.agent.permissions.shell_programs import RiskyConstruct, inspect_argv, program_name

__all__ = ["RiskyConstruct", "ShellAnalysis", "SimpleCommand", "classify_shell"]

STRUCTURAL = frozenset(
    {
        "program",
        "list",
        "pipeline",
        "subshell",
        "compound_statement",
        "redirected_statement",
        "negated_command",
        "heredoc_redirect",
        "heredoc_body",
        "herestring_redirect",
        "concatenation",
        "string",
        "command_name",
    }
)
INERT = frozenset(
    {
        "comment",
        "word",
        "raw_string",
        "string_content",
        "number",
        "file_descriptor",
        "heredoc_start",
        "heredoc_end",
        "heredoc_content",
    }
)
SUBSTITUTIONS = {
    "command_substitution": "command substitution $(...) or `...`",
    "process_substitution": "process substitution <(...) or >(...)",
    "expansion": "variable expansion ${...}",
    "simple_expansion": "variable expansion $name",
    "arithmetic_expansion": "arithmetic expansion $((...))",
    "ansi_c_string": "ANSI-C quoting $'...'",
    "translated_string": 'translated string $"..."',
    "variable_assignment": "variable assignment",
}
GLOB_CHARS = re.compile(r"(?<!\\)[*?\[]")
BRACE_EXPANSION = re.compile(r"\{[^{}]*(,|\.\.)[^{}]*\}")


@functools.cache
def _language() -> Language:
    return Language(tree_sitter_bash.language())


@dataclass(frozen=True)
class SimpleCommand:
    """One simple command: its words after quote removal, and how trustworthy they are.

    `clean_name` is false when the program name is quoted, escaped, globbed or expanded
    (``"rm"``, ``r\\m``, ``$X``): such a command can match deny rules but never allow rules.
    `nested_in` names what runs it when it is not at the top level (``$(...)``, ``bash -c``,
    ``sudo``, ``find -exec``).
    """

    argv: tuple[str, ...]
    text: str
    clean_name: bool = True
    static: bool = True
    nested_in: str | None = None
    globs: tuple[int, ...] = ()
    protected_args: tuple[str, ...] = ()

    @property
    def program(self) -> str:
        return program_name(self.argv[0]) if self.argv else ""

    @property
    def matchable(self) -> str:
        """The string ``cmd`` rule patterns are matched against."""
        return " ".join(self.argv)

    def deny_variants(self) -> tuple[str, ...]:
        """Every spelling a deny rule is tried against (``/bin/rm -rf`` is also ``rm -rf``)."""
        variants = [self.matchable]
        if self.argv and self.program != self.argv[0]:
            variants.append(" ".join((self.program, *self.argv[1:])))
        return tuple(variants)


@dataclass(frozen=True)
class ShellAnalysis:
    """What a shell command would run. `parse_ok` is false when the grammar reported errors."""

    command: str
    subcommands: tuple[SimpleCommand, ...]
    risky_constructs: tuple[RiskyConstruct, ...]
    parse_ok: bool
    writes: tuple[str, ...] = ()

    @property
    def protected_risks(self) -> tuple[RiskyConstruct, ...]:
        return tuple(r for r in self.risky_constructs if r.protected)


@dataclass
class _Word:
    value: str
    static: bool = True
    quoted: bool = False
    glob: bool = False


def _unescape_word(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text.replace("\\\n", ""), flags=re.DOTALL)


def _unescape_double(text: str) -> str:
    return re.sub(r'\\([\\"$`\n])', lambda m: "" if m.group(1) == "\n" else m.group(1), text)


def _decode_ansi_c(text: str) -> str:
    try:
        return codecs.decode(text[2:-1], "unicode_escape")
    except (UnicodeDecodeError, ValueError):
        return text


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "surrogateescape")


@dataclass
class _Walker:
    checker: PathChecker
    subs: list[SimpleCommand] = field(default_factory=list)
    risks: list[RiskyConstruct] = field(default_factory=list)
    parse_ok: bool = True
    scripts: list[tuple[str, str | None]] = field(default_factory=list)

    def run(self, command: str) -> None:
        self.scripts.append((command, None))
        while self.scripts:
            source, nested = self.scripts.pop()
            tree = Parser(_language()).parse(source.encode("utf-8", "surrogateescape"))
            if tree.root_node.has_error:
                self.parse_ok = False
                self.risks.append(RiskyConstruct("parse error", "the command did not parse"))
            self._walk(tree.root_node, nested)

    def _walk(self, start: Node, nested: str | None) -> None:
        stack: list[tuple[Node, str | None]] = [(start, nested)]
        while stack:
            node, ctx = stack.pop()
            if node.is_missing or node.type == "ERROR":
                self.parse_ok = False
            if not node.is_named:
                continue
            kind = node.type
            children = [(c, ctx) for c in reversed(node.children)]
            if kind == "command":
                stack.extend(self._command(node, ctx))
            elif kind == "file_redirect":
                stack.extend(self._redirect(node, ctx))
            elif kind in SUBSTITUTIONS:
                self.risks.append(RiskyConstruct(kind.replace("_", " "), SUBSTITUTIONS[kind]))
                stack.extend((c, ctx or kind) for c, _ in children)
            elif kind in STRUCTURAL or kind == "ERROR":
                stack.extend(children)
            elif kind not in INERT:
                self.risks.append(
                    RiskyConstruct("unsupported syntax", f"shell syntax {kind!r} is not checked")
                )
                stack.extend(children)

    def _word(self, node: Node) -> _Word:
        kind, text = node.type, _text(node)
        if kind == "word":
            return _Word(
                _unescape_word(text), quoted="\\" in text, glob=bool(GLOB_CHARS.search(text))
            )
        if kind == "raw_string":
            return _Word(text[1:-1], quoted=True)
        if kind == "number":
            return _Word(text)
        if kind == "string":
            parts = [c for c in node.named_children]
            if all(c.type == "string_content" for c in parts):
                return _Word(_unescape_double("".join(_text(c) for c in parts)), quoted=True)
            return _Word(text, static=False, quoted=True)
        if kind == "concatenation":
            words = [self._word(c) for c in node.named_children]
            return _Word(
                "".join(w.value for w in words),
                static=all(w.static for w in words),
                quoted=any(w.quoted for w in words),
                glob=any(w.glob for w in words),
            )
        if kind == "ansi_c_string":
            return _Word(_decode_ansi_c(text), static=False, quoted=True)
        return _Word(text, static=False)

    def _command(self, node: Node, ctx: str | None) -> list[tuple[Node, str | None]]:
        scan: list[tuple[Node, str | None]] = []
        words: list[_Word] = []
        name_node: Node | None = None
        for i, child in enumerate(node.children):
            fname = node.field_name_for_child(i)
            if fname == "name":
                name_node = child.named_children[0] if child.named_children else child
                words.insert(0, self._word(name_node))
                if not words[0].static:
                    scan.append((name_node, ctx))
            elif fname == "argument":
                word = self._word(child)
                words.append(word)
                if not word.static:
                    scan.append((child, ctx))
                if not word.quoted and BRACE_EXPANSION.search(_text(child)):
                    self.risks.append(RiskyConstruct("brace expansion", _text(child)))
            elif child.is_named:
                if child.type == "variable_assignment":
                    self.risks.append(
                        RiskyConstruct("environment assignment", f"{_text(child)} before a command")
                    )
                    scan.extend((c, ctx) for c in child.children)
                else:
                    scan.append((child, ctx))
        if not words:
            return scan
        name = words[0]
        clean = (
            name_node is not None
            and name_node.type == "word"
            and name.static
            and not name.quoted
            and not name.glob
        )
        if not clean:
            self.risks.append(
                RiskyConstruct("obfuscated command name", f"{_text(name_node or node)!r}")
            )
        self._add(
            tuple(w.value for w in words),
            _text(node),
            clean=clean,
            static=all(w.static for w in words),
            nested=ctx,
            globs=tuple(i for i, w in enumerate(words) if w.glob),
        )
        return scan

    def _add(
        self,
        argv: tuple[str, ...],
        text: str,
        *,
        clean: bool,
        static: bool,
        nested: str | None,
        globs: tuple[int, ...] = (),
    ) -> None:
        self.subs.append(SimpleCommand(argv, text, clean, static, nested, globs))
        inspection = inspect_argv(argv)
        self.risks.extend(inspection.risks)
        for inner, via in inspection.wrapped:
            self._add(inner, " ".join(inner), clean=False, static=static, nested=via)
        self.scripts.extend(inspection.scripts)

    def _redirect(self, node: Node, ctx: str | None) -> list[tuple[Node, str | None]]:
        op = next((c.type for c in node.children if not c.is_named), "")
        scan: list[tuple[Node, str | None]] = []
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) != "destination":
                continue
            word = self._word(child)
            if op in (">&", "<&") and (child.type == "number" or word.value == "-"):
                continue
            if not word.static or word.glob:
                self.risks.append(
                    RiskyConstruct("dynamic redirect", f"redirect target {_text(child)!r}")
                )
                scan.append((child, ctx))
                continue
            self.risks.extend(self.checker.redirect(op, word.value))
        return scan


def classify_shell(command: str, workspace_root: Path) -> ShellAnalysis:
    """Parse `command` and report every simple command it would run and every risky construct.

    Redirect targets and path-like arguments are resolved against `workspace_root` (and any
    directory the command ``cd``s into): outside the workspace or onto a protected path is a risk;
    a write inside the workspace is listed in `writes`.
    """
    checker = PathChecker(Path(workspace_root))
    walker = _Walker(checker)
    walker.run(command)
    subs = checker.check_arguments(walker.subs, walker.risks)
    return ShellAnalysis(
        command=command,
        subcommands=tuple(subs),
        risky_constructs=tuple(walker.risks),
        parse_ok=walker.parse_ok,
        writes=tuple(checker.writes),
    )
