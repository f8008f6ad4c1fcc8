"""XDG variables win on every OS; platformdirs is the fallback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import platformdirs
import pytest

from codesm import paths

DIRS: list[tuple[str, Callable[[], Path], Callable[..., str]]] = [
    ("XDG_CONFIG_HOME", paths.config_dir, platformdirs.user_config_dir),
    ("XDG_DATA_HOME", paths.data_dir, platformdirs.user_data_dir),
    ("XDG_CACHE_HOME", paths.cache_dir, platformdirs.user_cache_dir),
    ("XDG_STATE_HOME", paths.state_dir, platformdirs.user_state_dir),
]


@pytest.mark.parametrize(("variable", "helper", "fallback"), DIRS, ids=[d[0] for d in DIRS])
def test_an_absolute_xdg_variable_wins(
    variable: str,
    helper: Callable[[], Path],
    fallback: Callable[..., str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(variable, str(tmp_path))
    assert helper() == tmp_path / "codesm"


@pytest.mark.parametrize(("variable", "helper", "fallback"), DIRS, ids=[d[0] for d in DIRS])
def test_a_relative_or_empty_xdg_variable_falls_back_to_platformdirs(
    variable: str,
    helper: Callable[[], Path],
    fallback: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for value in ("relative/dir", ""):
        monkeypatch.setenv(variable, value)
        assert helper() == Path(fallback("codesm", appauthor=False))


def test_the_database_lives_in_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert paths.database_path() == tmp_path / "codesm" / "codesm.db"
