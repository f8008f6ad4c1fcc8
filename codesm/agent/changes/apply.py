"""Applying, undoing and redoing changes: atomic across files, journaled first, crash-safe.

`ChangeApplier.apply` takes one or many `ProposedChange`s and either writes all of them or none:

1. every base hash is re-checked (a file that moved on is a conflict and nothing is written);
2. format-on-save runs, when enabled, so the formatted text is what gets written and shown;
3. the journal entry with both images of every file is committed (status `applying`);
4. each file is replaced (temp + fsync + rename, mode kept); a failure puts back the files
   already written and the entry ends `rolled_back`;
5. the entry is marked `applied`.

A crash between 3 and 5 leaves the entry `applying`; `recover_changes` rolls it back at the next
start. Undo and redo write the other side of the same entry, after checking that every file
still holds the side they start from.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from codesm import native
from codesm.agent.changes.formatting import Formatter
from codesm.agent.changes.journal import (
    ChangeJournal,
    FileImage,
    FileStep,
    JournalEntry,
    JournalStatus,
    current_digest,
    read_image,
    write_image,
)
from codesm.agent.changes.model import ProposedChange, content_hash
from codesm.errors import ToolFailure, UserError
from codesm.store import Store

Writer = Callable[[Path, FileImage], None]
"""Makes one file hold one image; `write_image` unless a test injects faults."""
ResultStatus = Literal["applied", "undone", "redone", "conflict"]
Side = Literal["before", "after"]


class ApplyFailed(ToolFailure):
    """Writing a change failed (permissions, disk full...); the files were put back as they were."""


class UndoUnavailable(UserError):
    """The change does not exist, or is not in a state that can be undone or redone."""


@dataclass(frozen=True, slots=True)
class AppliedFile:
    """One file as written: its final content, hash and diff (after partial hunks and format)."""

    path: str
    content: str | None
    written_hash: str | None
    diff: str
    formatter: str | None = None


@dataclass(frozen=True, slots=True)
class ApplyResult:
    change_id: str
    status: ResultStatus
    files: tuple[AppliedFile, ...] = ()
    conflicts: tuple[str, ...] = ()
    """Paths that moved on since the change (or its undo) was computed; nothing was written."""
    paths: tuple[str, ...] = ()


class _Moved(Exception):
    def __init__(self, paths: list[str]) -> None:
        super().__init__(", ".join(paths))
        self.paths = paths


def _image(step: FileStep, side: Side) -> FileImage:
    return step.before if side == "before" else step.after


def _other(side: Side) -> Side:
    return "after" if side == "before" else "before"


def restore_side(steps: Sequence[FileStep], side: Side) -> list[str]:
    """Put every file that is not already on `side` back to it; returns the paths written."""
    written = []
    for step in steps:
        image = _image(step, side)
        if current_digest(step.abs_path) != image.digest:
            write_image(step.abs_path, image)
            written.append(step.path)
    return written


def _encode(content: str | None) -> bytes | None:
    return None if content is None else content.encode("utf-8", "surrogateescape")


class ChangeApplier:
    """Applies changes through the journal in `store`; undo and redo by change id.

    `writer` is the per-file write used for the forward step (tests inject faults there); put-back
    after a failure always uses the real `write_image`.
    """

    def __init__(
        self,
        journal: ChangeJournal,
        *,
        formatter: Formatter | None = None,
        writer: Writer = write_image,
    ) -> None:
        self.journal = journal
        self._formatter = formatter
        self._writer = writer
        self._lock = asyncio.Lock()

    @classmethod
    def for_store(
        cls, store: Store, *, formatter: Formatter | None = None, writer: Writer = write_image
    ) -> ChangeApplier:
        return cls(ChangeJournal(store), formatter=formatter, writer=writer)

    async def apply(
        self,
        changes: Sequence[ProposedChange],
        *,
        session_id: str,
        contents: Sequence[str | None] | None = None,
        change_id: str | None = None,
        call_id: str | None = None,
    ) -> ApplyResult:
        """Write `changes` (with `contents` instead of their `new_content`, when given) as one
        journaled, all-or-nothing step. Raises `ApplyFailed` when a write fails."""
        if not changes:
            raise ValueError("nothing to apply")
        targets = list(contents) if contents is not None else [c.new_content for c in changes]
        if len(targets) != len(changes):
            raise ValueError("one content per change is needed")
        if len({c.abs_path for c in changes}) != len(changes):
            raise ValueError("a change may touch each file only once")
        change_id = change_id or (changes[0].change_id if len(changes) == 1 else uuid.uuid4().hex)
        async with self._lock:
            befores = await asyncio.to_thread(self._read_all, changes)
            moved = [
                c.path for c, b in zip(changes, befores, strict=True) if b.digest != c.base_hash
            ]
            if moved:
                return ApplyResult(change_id, "conflict", conflicts=tuple(moved))
            files, steps = await self._plan(changes, targets, befores)
            entry = JournalEntry(
                change_id=change_id,
                session_id=session_id,
                call_id=call_id or changes[0].call_id or None,
                status="applying",
                files=tuple(steps),
                tool=changes[0].tool,
            )
            # Once the journal row exists the step must finish (or roll back) even if the turn
            # is cancelled, or the files and the journal would disagree until the next start.
            return await asyncio.shield(self._commit(entry, files))

    async def undo(self, change_id: str) -> ApplyResult:
        """Put back what an applied change replaced, if every file still holds what it wrote."""
        return await self._step(change_id, "applied", "undoing", "undone", to="before")

    async def redo(self, change_id: str) -> ApplyResult:
        """Write an undone change again, if every file still holds what the undo restored."""
        return await self._step(change_id, "undone", "redoing", "applied", to="after")

    async def _plan(
        self,
        changes: Sequence[ProposedChange],
        targets: Sequence[str | None],
        befores: Sequence[FileImage],
    ) -> tuple[list[AppliedFile], list[FileStep]]:
        files: list[AppliedFile] = []
        steps: list[FileStep] = []
        for change, target, before in zip(changes, targets, befores, strict=True):
            formatter: str | None = None
            if target is not None and self._formatter is not None:
                formatted = await self._formatter.format(change.abs_path, target)
                if formatted is not None:
                    target, formatter = formatted.text, formatted.formatter
            diff = change.diff
            if target != change.new_content:
                diff = await unified_diff(change.path, change.old_content, target)
            data = _encode(target)
            after = FileImage(data, before.mode)
            files.append(AppliedFile(change.path, target, after.digest, diff, formatter))
            steps.append(FileStep(change.path, change.abs_path, before, after, diff))
        return files, steps

    async def _commit(self, entry: JournalEntry, files: list[AppliedFile]) -> ApplyResult:
        await self.journal.begin(entry)
        try:
            await asyncio.to_thread(self._switch, entry.files, "after")
        except _Moved as moved:
            await self.journal.set_status(entry.change_id, "rolled_back")
            return ApplyResult(entry.change_id, "conflict", conflicts=tuple(moved.paths))
        except _PutBackFailed as exc:
            raise ApplyFailed(str(exc)) from exc.__cause__
        except Exception as exc:
            await self.journal.set_status(entry.change_id, "rolled_back")
            raise ApplyFailed(f"{_failure_text(exc)}. No file was changed.") from exc
        await self.journal.set_status(entry.change_id, "applied")
        return ApplyResult(entry.change_id, "applied", files=tuple(files), paths=tuple(entry.paths))

    async def _step(
        self,
        change_id: str,
        expected: JournalStatus,
        in_flight: JournalStatus,
        done: JournalStatus,
        *,
        to: Side,
    ) -> ApplyResult:
        async with self._lock:
            entry = await self.journal.get(change_id)
            if entry is None:
                raise UndoUnavailable(f"There is no recorded change {change_id!r}.")
            if entry.status != expected:
                verb = "undone" if to == "before" else "redone"
                raise UndoUnavailable(f"Change {change_id} is {entry.status}; it cannot be {verb}.")
            return await asyncio.shield(self._switch_entry(entry, in_flight, done, to))

    async def _switch_entry(
        self, entry: JournalEntry, in_flight: JournalStatus, done: JournalStatus, to: Side
    ) -> ApplyResult:
        await self.journal.set_status(entry.change_id, in_flight)
        try:
            await asyncio.to_thread(self._switch, entry.files, to)
        except _Moved as moved:
            await self.journal.set_status(entry.change_id, entry.status)
            return ApplyResult(entry.change_id, "conflict", conflicts=tuple(moved.paths))
        except _PutBackFailed as exc:
            raise ApplyFailed(str(exc)) from exc.__cause__
        except Exception as exc:
            await self.journal.set_status(entry.change_id, entry.status)
            raise ApplyFailed(f"{_failure_text(exc)}. No file was changed.") from exc
        await self.journal.set_status(entry.change_id, done)
        status: ResultStatus = "undone" if to == "before" else "redone"
        return ApplyResult(entry.change_id, status, paths=tuple(entry.paths))

    def _read_all(self, changes: Sequence[ProposedChange]) -> list[FileImage]:
        try:
            return [read_image(c.abs_path) for c in changes]
        except OSError as exc:
            raise ApplyFailed(f"{_failure_text(exc, 'read')}.") from exc

    def _switch(self, steps: Sequence[FileStep], to: Side) -> None:
        """Move every file from the other side to `to`, or leave them all on the other side."""
        origin = _other(to)
        moved = [s.path for s in steps if current_digest(s.abs_path) != _image(s, origin).digest]
        if moved:
            raise _Moved(moved)
        try:
            for step in steps:
                self._writer(step.abs_path, _image(step, to))
        except BaseException as exc:
            try:
                restore_side(steps, origin)
            except BaseException as put_back:
                raise _PutBackFailed(
                    f"{_failure_text(exc)}. Putting the files back failed too ({put_back}); "
                    "codesm will finish restoring them the next time it starts."
                ) from exc
            raise


class _PutBackFailed(Exception):
    pass


def _failure_text(exc: BaseException, verb: str = "write") -> str:
    where = f" {exc.filename}" if isinstance(exc, OSError) and exc.filename else ""
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"Could not {verb}{where}: {why}"


async def unified_diff(path: str, old: str | None, new: str | None) -> str:
    """The unified diff of one file between two contents (None: the file is absent)."""
    old_label = f"a/{path}" if old is not None else "/dev/null"
    new_label = f"b/{path}" if new is not None else "/dev/null"
    result = await native.diff(old or "", new or "", old_label=old_label, new_label=new_label)
    return result.unified


def written_hash(content: str | None) -> str | None:
    """The hash a file has after `content` is written (None for a delete)."""
    data = _encode(content)
    return None if data is None else content_hash(data)
