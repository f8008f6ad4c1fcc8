"""Provider keys stored by `codesm login`: a JSON file, mode 0600 in a 0700 directory, written
temp + fsync + rename so a crash never leaves half a file. Environment variables win over it."""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from codesm import paths
from codesm.atomic import atomic_write_json
from codesm.errors import ConfigError

CREDENTIALS_FILENAME = "credentials.json"


def credentials_path() -> Path:
    return paths.config_dir() / CREDENTIALS_FILENAME


def load_credentials(path: Path | None = None) -> dict[str, str]:
    """Stored keys by environment variable name (e.g. `ANTHROPIC_API_KEY`); {} when none."""
    path = path or credentials_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read credentials file {path}: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ConfigError(f"credentials file {path} must map variable names to strings")
    return data


def update_credentials(changes: Mapping[str, str | None], path: Path | None = None) -> set[str]:
    """Set (a string) or forget (None) several keys in one atomic rewrite, under an exclusive
    lock so two writers (the connect dialog saving twice at once, `codesm login` in another
    terminal) never lose each other's values, and a provider's key, address and model land
    together or not at all. Returns the names that were stored or removed."""
    path = path or credentials_path()
    with _locked(path):
        data = load_credentials(path)
        touched: set[str] = set()
        for name, value in changes.items():
            if value is None:
                if data.pop(name, None) is not None:
                    touched.add(name)
            elif data.get(name) != value:
                data[name] = value
                touched.add(name)
        if touched:
            atomic_write_json(path, data, private=True)
    return touched


def save_credential(name: str, value: str, path: Path | None = None) -> Path:
    """Store one key; the file is rewritten atomically with owner-only permissions."""
    path = path or credentials_path()
    update_credentials({name: value}, path)
    return path


def remove_credential(name: str, path: Path | None = None) -> bool:
    """Forget one stored key; False when it was not stored."""
    return bool(update_credentials({name: None}, path))


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive `flock` on a lock file beside `path` (per open file, so threads and other
    processes both wait). The lock file holds nothing secret; it is created 0600 anyway."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def environment_with_credentials(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with stored keys filled in where the variable is not already set."""
    merged = dict(os.environ if env is None else env)
    for name, value in load_credentials().items():
        merged.setdefault(name, value)
    return merged
