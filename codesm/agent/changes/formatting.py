"""Format-on-save (`codesm.format.onSave`): run the project's formatter over content about to be
written, so the formatted text is what gets journaled, written and shown in the diff.

A formatter runs on stdin with the file's path for configuration lookup, in the workspace root,
with a time limit. When it is missing, fails (a syntax error) or times out, the content is kept as
it was: formatting never blocks an edit. The file's BOM and line-ending style are kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BOM = "\ufeff"
FORMAT_TIMEOUT_S = 15.0

Command = Callable[[str, Path], list[str]]
"""Builds the argv for one formatter from the executable and the file's path."""


@dataclass(frozen=True, slots=True)
class FormatterSpec:
    name: str
    executable: str
    suffixes: frozenset[str]
    argv: Command


def _ruff(exe: str, path: Path) -> list[str]:
    return [exe, "format", "--quiet", "--stdin-filename", str(path), "-"]


def _prettier(exe: str, path: Path) -> list[str]:
    return [exe, "--stdin-filepath", str(path)]


def _gofmt(exe: str, path: Path) -> list[str]:
    return [exe]


def _rustfmt(exe: str, path: Path) -> list[str]:
    return [exe, "--emit", "stdout", "--edition", "2021"]


_PRETTIER_SUFFIXES = (
    ".js .jsx .mjs .cjs .ts .tsx .css .scss .less .json .md .yaml .yml .html .vue .graphql"
)

FORMATTERS: tuple[FormatterSpec, ...] = (
    FormatterSpec("ruff format", "ruff", frozenset({".py", ".pyi"}), _ruff),
    FormatterSpec("prettier", "prettier", frozenset(_PRETTIER_SUFFIXES.split()), _prettier),
    FormatterSpec("gofmt", "gofmt", frozenset({".go"}), _gofmt),
    FormatterSpec("rustfmt", "rustfmt", frozenset({".rs"}), _rustfmt),
)


@dataclass(frozen=True, slots=True)
class Formatted:
    text: str
    formatter: str


def find_executable(name: str) -> str | None:
    """`name` on PATH, or next to the running interpreter (a virtualenv's `bin/`)."""
    found = shutil.which(name)
    if found is not None:
        return found
    return shutil.which(name, path=str(Path(sys.executable).parent))


def _dominant_eol(text: str) -> str:
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"


class Formatter:
    """Formats content by file suffix with the first matching formatter that is installed."""

    def __init__(
        self,
        *,
        root: Path,
        specs: tuple[FormatterSpec, ...] = FORMATTERS,
        timeout_s: float = FORMAT_TIMEOUT_S,
        which: Callable[[str], str | None] = find_executable,
    ) -> None:
        self._root = root
        self._specs = specs
        self._timeout_s = timeout_s
        self._which = which

    def formatter_for(self, path: Path) -> tuple[FormatterSpec, str] | None:
        suffix = path.suffix.lower()
        for spec in self._specs:
            if suffix in spec.suffixes:
                exe = self._which(spec.executable)
                if exe is not None:
                    return spec, exe
        return None

    async def format(self, path: Path, text: str) -> Formatted | None:
        """The formatted text, or None when no formatter applies, fails or changes nothing."""
        found = self.formatter_for(path)
        if found is None:
            return None
        spec, exe = found
        bom = text.startswith(BOM)
        body = text[1:] if bom else text
        output = await self._run(spec.argv(exe, path), body.encode("utf-8", "surrogateescape"))
        if output is None:
            return None
        formatted = output.decode("utf-8", "surrogateescape")
        if _dominant_eol(body) == "\r\n" and "\r\n" not in formatted:
            formatted = formatted.replace("\n", "\r\n")
        formatted = BOM + formatted if bom else formatted
        return None if formatted == text else Formatted(formatted, spec.name)

    async def _run(self, argv: list[str], data: bytes) -> bytes | None:
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                cwd=self._root,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL,
            )
        except OSError:
            return None
        try:
            stdout, _ = await asyncio.wait_for(process.communicate(data), self._timeout_s)
        except TimeoutError:
            return None
        finally:
            if process.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()
        return stdout if process.returncode == 0 else None
