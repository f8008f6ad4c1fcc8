"""Replace a file's contents so that a crash leaves it wholly old or wholly new.

Used by the change pipeline for the user's files and by every JSON file codesm keeps for itself
(credentials, approvals, tokens, settings it edits)."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

_DEFAULT_MODE = 0o666


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write `data` to `path` via a temp file in the same directory, fsync, and rename.

    The file gets `mode` when given; otherwise an existing file keeps its permission bits and a
    new one gets the umask's default. Parent directories are created. The directory is fsynced
    after the rename so the new name survives a power cut.
    """
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            mode = _DEFAULT_MODE & ~_umask()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".codesm-tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fchmod(f.fileno(), mode)
            os.fsync(f.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_directory(parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in `directory` durable (a no-op where directories cannot be
    opened, as on Windows)."""
    try:
        dir_fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def atomic_write_json(path: Path, data: Any, *, private: bool = False) -> None:
    """Write `data` as indented JSON, atomically. `private` files (keys, tokens, approvals) get
    mode 0600 in a directory made 0700."""
    if private:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
    text = json.dumps(data, indent=2) + "\n"
    atomic_write_bytes(path, text.encode("utf-8"), mode=0o600 if private else None)
