"""Provider keys stored by `codesm login`: a JSON file, mode 0600 in a 0700 directory, written
temp + fsync + rename so a crash never leaves half a file. Environment variables win over it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
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


def save_credential(name: str, value: str, path: Path | None = None) -> Path:
    """Store one key; the file is rewritten atomically with owner-only permissions."""
    path = path or credentials_path()
    data = load_credentials(path)
    data[name] = value
    _write(path, data)
    return path


def remove_credential(name: str, path: Path | None = None) -> bool:
    """Forget one stored key; False when it was not stored."""
    path = path or credentials_path()
    data = load_credentials(path)
    if name not in data:
        return False
    del data[name]
    _write(path, data)
    return True


def _write(path: Path, data: dict[str, str]) -> None:
    atomic_write_json(path, data, private=True)


def environment_with_credentials(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with stored keys filled in where the variable is not already set."""
    merged = dict(os.environ if env is None else env)
    for name, value in load_credentials().items():
        merged.setdefault(name, value)
    return merged
