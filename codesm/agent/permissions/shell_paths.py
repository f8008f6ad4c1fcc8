"""Where a shell command reads and writes: redirect targets, path arguments, ``cd`` targets.

Each path is resolved with the workspace confinement function, from the workspace root and from
every directory the command ``cd``s into. Outside the workspace is a risk (ask at best); a write
onto a protected path is a protected risk (asks in every mode); a write inside is recorded so the
engine can treat it as an edit.
"""

from __future__ import annotations

import glob
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from codesm.agent.permissions.protected import protected_reason
from codesm.agent.permissions.shell_programs import RiskyConstruct
from codesm.errors import PathNotFound, WorkspacePathError
from codesm.workspace.paths import is_case_insensitive, relative_to_root, resolve_in_workspace

if TYPE_CHECKING:
    from codesm.agent.permissions.shell import SimpleCommand

__all__ = ["SAFE_DEVICES", "PathChecker"]

SAFE_DEVICES = frozenset(
    [
        "/dev/null",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
        "/dev/zero",
        "/dev/random",
        "/dev/urandom",
        "/dev/tty",
        "/dev/fd/0",
        "/dev/fd/1",
        "/dev/fd/2",
    ]
)
WRITE_OPS = frozenset({">", ">>", "&>", "&>>", ">|", "<>", ">&"})
NON_PATH_PROGRAMS = frozenset({"echo", "printf", "true", "false", "which", "type", "pwd"})
DIRECTORY_CHANGERS = frozenset({"cd", "pushd"})
MAX_GLOB_MATCHES = 256


@dataclass
class PathChecker:
    root: Path
    writes: list[str] = field(default_factory=list)
    _redirects: list[tuple[str, str]] = field(default_factory=list)
    _bases: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.real_root = Path(os.path.realpath(self.root))
        self.case_insensitive = is_case_insensitive(self.real_root)
        self._bases = [self.real_root]

    def redirect(self, op: str, target: str) -> list[RiskyConstruct]:
        """Record a redirect; it is checked once every ``cd`` of the command is known."""
        self._redirects.append((op, target))
        return []

    def _resolve_all(self, value: str) -> Iterator[Path | None]:
        """The resolved path from each base, None where it escapes the workspace."""
        if value.startswith("~"):
            yield None
            return
        for base in self._bases:
            candidate = value if os.path.isabs(value) else os.path.join(base, value)
            try:
                yield resolve_in_workspace(
                    self.real_root, candidate, case_insensitive=self.case_insensitive
                )
            except PathNotFound:
                continue
            except WorkspacePathError:
                yield None

    def _protected(self, value: str, resolved: Path | None) -> str | None:
        if resolved is not None:
            reason = protected_reason(resolved, root=self.real_root)
            if reason:
                return reason
        return protected_reason(value)

    def _check_redirect(self, op: str, target: str) -> list[RiskyConstruct]:
        if target in SAFE_DEVICES:
            return []
        writing = op in WRITE_OPS
        risks: list[RiskyConstruct] = []
        for resolved in self._resolve_all(target):
            reason = self._protected(target, resolved)
            if writing and reason:
                risks.append(RiskyConstruct("write to protected path", f"{target}: {reason}", True))
            elif resolved is None:
                verb = "writes" if writing else "reads"
                risks.append(RiskyConstruct(f"redirect {verb} outside", target))
            elif writing:
                self.writes.append(relative_to_root(self.real_root, resolved))
        return risks

    def _enter_directories(self, subs: list[SimpleCommand], risks: list[RiskyConstruct]) -> None:
        for sub in subs:
            if sub.program in {"popd"}:
                risks.append(RiskyConstruct("changes directory", "popd"))
            if sub.program not in DIRECTORY_CHANGERS:
                continue
            targets = [a for a in sub.argv[1:] if not a.startswith("-")]
            if not targets or targets[0] == "-" or not sub.static:
                risks.append(RiskyConstruct("changes directory", f"{sub.text!r} leaves the root"))
                continue
            for resolved in list(self._resolve_all(targets[0])):
                if resolved is None:
                    risks.append(RiskyConstruct("changes directory outside", targets[0]))
                elif resolved not in self._bases:
                    self._bases.append(resolved)

    def _looks_like_path(self, value: str) -> bool:
        if "/" in value or value.startswith((".", "~")):
            return True
        return len(value) <= 255 and "\x00" not in value and os.path.lexists(self.real_root / value)

    def _glob_matches(self, pattern: str) -> Iterator[str] | None:
        matches: list[str] = []
        for base in self._bases:
            it = glob.iglob(pattern if os.path.isabs(pattern) else os.path.join(base, pattern))
            matches.extend(itertools.islice(it, MAX_GLOB_MATCHES + 1))
            if len(matches) > MAX_GLOB_MATCHES:
                return None
        return iter(matches)

    def _check_argument(self, value: str, glob_arg: bool) -> tuple[list[RiskyConstruct], bool]:
        """Risks of one argument, and whether it names a protected path."""
        values = [value]
        if value.startswith("-"):
            values = [value.split("=", 1)[1]] if "=" in value else []
        elif "=" in value:
            values.append(value.split("=", 1)[1])
        risks: list[RiskyConstruct] = []
        protected = False
        for candidate in values:
            if candidate in SAFE_DEVICES or not candidate or not self._looks_like_path(candidate):
                continue
            names = [candidate]
            if glob_arg:
                expanded = self._glob_matches(candidate)
                if expanded is None:
                    risks.append(RiskyConstruct("glob too broad", f"{candidate} matches too much"))
                    continue
                names.extend(expanded)
            for name in names:
                for resolved in self._resolve_all(name):
                    if resolved is None:
                        risks.append(RiskyConstruct("path outside the workspace", candidate))
                    protected = protected or self._protected(name, resolved) is not None
        return risks, protected

    def check_arguments(
        self, subs: list[SimpleCommand], risks: list[RiskyConstruct]
    ) -> list[SimpleCommand]:
        """Check redirects and path-like arguments; return the commands with protected args."""
        self._enter_directories(subs, risks)
        for op, target in self._redirects:
            risks.extend(self._check_redirect(op, target))
        checked: list[SimpleCommand] = []
        for sub in subs:
            if sub.program in NON_PATH_PROGRAMS or sub.program in DIRECTORY_CHANGERS:
                checked.append(sub)
                continue
            protected_args: list[str] = []
            for index, arg in enumerate(sub.argv[1:], start=1):
                arg_risks, protected = self._check_argument(arg, index in sub.globs)
                risks.extend(arg_risks)
                if protected:
                    protected_args.append(arg)
            checked.append(replace(sub, protected_args=tuple(protected_args)))
        return checked
