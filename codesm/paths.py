"""Where codesm keeps its files.

The XDG variables win on every OS (a user who sets ``XDG_DATA_HOME`` on macOS means it, and tests
rely on it); otherwise platformdirs picks the platform's convention. Relative XDG values are
ignored, as the XDG spec says. Nothing here creates directories.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "codesm"
DATABASE_NAME = "codesm.db"


def _xdg(variable: str) -> Path | None:
    value = os.environ.get(variable, "")
    if value and os.path.isabs(value):
        return Path(value) / APP_NAME
    return None


def config_dir() -> Path:
    """Global settings, instructions and credentials (``~/.config/codesm`` on Linux)."""
    return _xdg("XDG_CONFIG_HOME") or Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    """The session database and other state worth backing up."""
    return _xdg("XDG_DATA_HOME") or Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Disposable files: spooled tool output, downloaded price tables."""
    return _xdg("XDG_CACHE_HOME") or Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """Logs and other state that is not worth backing up."""
    return _xdg("XDG_STATE_HOME") or Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def database_path() -> Path:
    """The one SQLite database that holds every session."""
    return data_dir() / DATABASE_NAME


def audit_log_path() -> Path:
    """Every permission decision, one JSON line each (`codesm permissions audit` reads it)."""
    return state_dir() / "audit.jsonl"
