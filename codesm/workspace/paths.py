"""The one path confinement function that every tool and endpoint goes through.

A path from a model, a user or a request is resolved against the workspace root fixed at session
start, symlinks are followed (realpath), and the *resolved* path must be inside the *resolved* root
(``Path.is_relative_to``, never a string prefix: ``/work/proj`` vs ``/work/proj-evil``). A path that
does not exist yet is resolved through its deepest existing parent. ``~`` is never expanded: it is
an ordinary file name inside the workspace. Opening goes through `open_confined`, which re-checks
the opened file descriptor so a symlink swapped in after the check cannot redirect the write.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
import tempfile
import unicodedata
from pathlib import Path

from codesm.errors import InvalidPath, PathNotFound, PathOutsideWorkspace, SymlinkLoop

__all__ = [
    "MAX_PATH_CHARS",
    "is_case_insensitive",
    "is_inside",
    "open_confined",
    "relative_to_root",
    "resolve_in_workspace",
]

MAX_PATH_CHARS = 4096
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def _fold(part: str) -> str:
    return unicodedata.normalize("NFC", part).casefold()


def is_inside(path: Path, root: Path, *, case_insensitive: bool) -> bool:
    """Whether resolved `path` is `root` or below it (both must already be realpaths)."""
    if not case_insensitive:
        return path.is_relative_to(root)
    root_parts = [_fold(p) for p in root.parts]
    path_parts = [_fold(p) for p in path.parts]
    return path_parts[: len(root_parts)] == root_parts


@functools.lru_cache(maxsize=64)
def _probe_case_insensitive(real_root: str) -> bool:
    name = os.path.basename(real_root)
    if name.swapcase() != name:
        swapped = os.path.join(os.path.dirname(real_root), name.swapcase())
        try:
            return os.path.samefile(real_root, swapped)
        except OSError:
            return False
    try:
        fd, probe = tempfile.mkstemp(prefix=".codesm-case-probe-", dir=real_root)
    except OSError:
        return False
    try:
        os.close(fd)
        head, tail = os.path.split(probe)
        return os.path.exists(os.path.join(head, tail.upper()))
    finally:
        os.unlink(probe)


def is_case_insensitive(root: str | os.PathLike[str]) -> bool:
    """Probe (once per root) whether the filesystem holding `root` ignores case."""
    return _probe_case_insensitive(os.path.realpath(root))


def _real_root(root: str | os.PathLike[str]) -> Path:
    try:
        return Path(os.path.realpath(root, strict=True))
    except OSError as exc:
        raise PathNotFound(
            f"workspace root {os.fspath(root)!r} is not usable: {exc.strerror}",
            path=os.fspath(root),
        ) from exc


def _check_text(user_path: str | os.PathLike[str]) -> str:
    raw = os.fspath(user_path)
    if not isinstance(raw, str):
        raise InvalidPath("paths must be text, not bytes", path=repr(raw))
    if raw == "":
        raise InvalidPath("the path is empty; give a path relative to the workspace root", path=raw)
    if "\x00" in raw:
        raise InvalidPath("the path contains a NUL byte", path=raw.replace("\x00", "\\0"))
    if len(raw) > MAX_PATH_CHARS:
        raise InvalidPath(f"the path is longer than {MAX_PATH_CHARS} characters", path=raw[:80])
    return raw


def _realpath_strict(path: str, shown: str) -> str | None:
    """Realpath of an existing path, None when some component is missing."""
    try:
        return os.path.realpath(path, strict=True)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise SymlinkLoop(f"{shown!r} runs into a symlink loop", path=shown) from exc
        if exc.errno == errno.ENOTDIR:
            raise PathNotFound(
                f"{shown!r}: a parent of this path is not a directory", path=shown
            ) from exc
        if exc.errno == errno.ENAMETOOLONG:
            raise InvalidPath(
                f"{shown!r}: the path or one of its names is too long", path=shown[:80]
            ) from exc
        raise InvalidPath(f"{shown!r} cannot be resolved: {exc.strerror}", path=shown) from exc


def _resolve_missing(candidate: str, shown: str) -> Path:
    """Resolve a path whose tail does not exist: realpath the deepest existing parent, re-append."""
    parts = Path(candidate).parts
    for i in range(len(parts) - 1, 0, -1):
        prefix = os.path.join(*parts[:i])
        real = _realpath_strict(prefix, shown)
        if real is None:
            continue
        rest = [p for p in parts[i:] if p != "."]
        if ".." in rest:
            raise InvalidPath(
                f"{shown!r} uses '..' below a directory that does not exist", path=shown
            )
        first = os.path.join(real, rest[0]) if rest else real
        if rest and os.path.islink(first):
            # A dangling symlink: whatever gets created through it lands at its target.
            target = os.path.realpath(first, strict=False)
            return Path(target, *rest[1:])
        return Path(real, *rest)
    raise PathNotFound(f"{shown!r} cannot be resolved", path=shown)


def resolve_in_workspace(
    root: str | os.PathLike[str],
    user_path: str | os.PathLike[str],
    *,
    must_exist: bool = False,
    allow_root: bool = True,
    case_insensitive: bool | None = None,
) -> Path:
    """Resolve `user_path` inside the workspace `root` and return its real, absolute path.

    Relative paths are taken from `root` (never from a current directory); absolute paths must
    land inside it. Symlinks are followed everywhere, including a dangling final link. Raises
    `InvalidPath` (empty, NUL, too long, ``..`` below a missing directory, or the root itself when
    `allow_root` is false), `PathOutsideWorkspace`, `SymlinkLoop`, or `PathNotFound` (when
    `must_exist`). `case_insensitive` overrides the per-root probe (for tests and callers that
    already know).
    """
    raw = _check_text(user_path)
    real_root = _real_root(root)
    if case_insensitive is None:
        case_insensitive = is_case_insensitive(real_root)
    candidate = raw if os.path.isabs(raw) else os.path.join(real_root, raw)
    real = _realpath_strict(candidate, raw)
    exists = real is not None
    resolved = Path(real) if real is not None else _resolve_missing(candidate, raw)
    if not is_inside(resolved, real_root, case_insensitive=case_insensitive):
        raise PathOutsideWorkspace(
            f"{raw!r} is outside the workspace {str(real_root)!r}; "
            "only paths inside the workspace can be used",
            path=raw,
        )
    if case_insensitive:
        resolved = real_root.joinpath(*resolved.parts[len(real_root.parts) :])
    if not allow_root and resolved == real_root:
        raise InvalidPath(f"{raw!r} is the workspace root itself; name a path inside it", path=raw)
    if must_exist and not exists:
        raise PathNotFound(f"{raw!r} does not exist in the workspace", path=raw)
    return resolved


def relative_to_root(root: str | os.PathLike[str], resolved: Path) -> str:
    """POSIX-style path of an already resolved path relative to the real root ('.' for the root)."""
    rel = resolved.relative_to(_real_root(root))
    return rel.as_posix() if rel.parts else "."


def _fd_path(fd: int) -> str | None:
    proc = f"/proc/self/fd/{fd}"
    if os.path.exists("/proc/self/fd"):
        return os.readlink(proc)
    try:
        import fcntl

        get_path = getattr(fcntl, "F_GETPATH", None)
        if get_path is not None:
            buf = fcntl.fcntl(fd, get_path, bytes(1024))
            return os.fsdecode(buf.rstrip(b"\x00"))
    except OSError:
        return None
    return None


def _verify_fd(fd: int, expected: Path, real_root: Path, raw: str, *, ci: bool) -> None:
    actual = _fd_path(fd)
    if actual is not None:
        inside = not actual.endswith(" (deleted)") and is_inside(
            Path(actual), real_root, case_insensitive=ci
        )
    else:
        st = os.fstat(fd)
        try:
            expected_st = os.stat(expected, follow_symlinks=False)
        except OSError:
            expected_st = None
        inside = expected_st is not None and (st.st_dev, st.st_ino) == (
            expected_st.st_dev,
            expected_st.st_ino,
        )
    if not inside:
        raise PathOutsideWorkspace(
            f"{raw!r} changed while it was being opened and now points outside the workspace",
            path=raw,
        )


def open_confined(
    root: str | os.PathLike[str],
    user_path: str | os.PathLike[str],
    flags: int,
    mode: int = 0o644,
    *,
    case_insensitive: bool | None = None,
) -> int:
    """Open `user_path` inside `root` and return a file descriptor, defeating symlink swaps.

    The path is resolved with `resolve_in_workspace`; the parent directory is then opened without
    following a final symlink and checked, the file is opened relative to that directory fd with
    ``O_NOFOLLOW``, and the opened descriptor is checked again (via ``/proc/self/fd`` or
    ``F_GETPATH``). Writing through a regular file with several hard links is refused, since one
    of the other names may live outside the workspace.
    """
    raw = _check_text(user_path)
    real_root = _real_root(root)
    ci = is_case_insensitive(real_root) if case_insensitive is None else case_insensitive
    creating = bool(flags & os.O_CREAT)
    resolved = resolve_in_workspace(real_root, raw, must_exist=not creating, case_insensitive=ci)
    nofollow = os.O_NOFOLLOW | os.O_CLOEXEC
    open_flags = (flags & ~os.O_TRUNC) | nofollow
    try:
        if resolved == real_root:
            fd = os.open(resolved, open_flags, mode)
        else:
            dir_fd = os.open(resolved.parent, os.O_RDONLY | os.O_DIRECTORY | nofollow)
            try:
                _verify_fd(dir_fd, resolved.parent, real_root, raw, ci=ci)
                fd = os.open(resolved.name, open_flags, mode, dir_fd=dir_fd)
            finally:
                os.close(dir_fd)
    except OSError as exc:
        if isinstance(exc, PathOutsideWorkspace):
            raise
        swapped = os.path.islink(resolved) or os.path.islink(resolved.parent)
        if exc.errno == errno.ELOOP or (swapped and exc.errno == errno.ENOTDIR):
            raise PathOutsideWorkspace(
                f"{raw!r} became a symlink while it was being opened; refusing to follow it",
                path=raw,
            ) from exc
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            raise PathNotFound(f"{raw!r} does not exist in the workspace", path=raw) from exc
        raise
    try:
        _verify_fd(fd, resolved, real_root, raw, ci=ci)
        st = os.fstat(fd)
        if flags & _WRITE_FLAGS and stat.S_ISREG(st.st_mode) and st.st_nlink > 1:
            raise InvalidPath(
                f"{raw!r} has {st.st_nlink} hard links; refusing to write through it", path=raw
            )
        if flags & os.O_TRUNC:
            os.ftruncate(fd, 0)
    except BaseException:
        os.close(fd)
        raise
    return fd
