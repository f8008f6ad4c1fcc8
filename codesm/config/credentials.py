"""Provider keys stored by `codesm login`: a JSON file, mode 0600 in a 0700 directory, written
temp + fsync + rename so a crash never leaves half a file. Environment variables win over it."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path

from codesm import paths
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
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(prefix=".credentials-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def environment_with_credentials(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment with stored keys filled in where the variable is not already set."""
    merged = dict(os.environ if env is None else env)
    for name, value in load_credentials().items():
        merged.setdefault(name, value)
    return merged
