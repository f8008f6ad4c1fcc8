from __future__ import annotations

import json
import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.cli import main
from codesm.config.credentials import (
    credentials_path,
    environment_with_credentials,
    load_credentials,
    save_credential,
    update_credentials,
)
from codesm.errors import ConfigError


@pytest.fixture(autouse=True)
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    return tmp_path


def test_login_stores_the_key_owner_only() -> None:
    result = CliRunner().invoke(main, ["login", "anthropic"], input="sk-ant-secret\n")
    assert result.exit_code == 0, result.output
    path = credentials_path()
    assert json.loads(path.read_text()) == {"ANTHROPIC_API_KEY": "sk-ant-secret"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert "sk-ant-secret" not in result.output


def test_login_keeps_other_providers_keys() -> None:
    CliRunner().invoke(main, ["login", "anthropic"], input="a-key\n")
    CliRunner().invoke(main, ["login", "openai"], input="o-key\n")
    assert load_credentials() == {"ANTHROPIC_API_KEY": "a-key", "OPENAI_API_KEY": "o-key"}


def test_login_with_an_empty_key_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["login", "openai"], input="\n")
    assert result.exit_code == 2
    assert not credentials_path().exists()


def test_logout_forgets_the_key() -> None:
    CliRunner().invoke(main, ["login", "openai"], input="o-key\n")
    result = CliRunner().invoke(main, ["logout", "openai"])
    assert result.exit_code == 0
    assert load_credentials() == {}


def test_environment_variable_wins_over_the_stored_key() -> None:
    CliRunner().invoke(main, ["login", "openai"], input="stored\n")
    env = environment_with_credentials({"OPENAI_API_KEY": "from-env"})
    assert env["OPENAI_API_KEY"] == "from-env"
    assert environment_with_credentials({})["OPENAI_API_KEY"] == "stored"


def test_a_corrupt_credentials_file_is_a_config_error() -> None:
    path = credentials_path()
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="cannot read credentials"):
        load_credentials()


def test_concurrent_writers_never_lose_each_others_keys(tmp_path: Path) -> None:
    """The connect dialog saving twice at once, or `codesm login` in another terminal: every
    write reads the file under one lock, so no value is lost to a read-modify-write race."""
    path = tmp_path / "config" / "credentials.json"
    names = [f"KEY_{n}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda name: save_credential(name, f"value-{name}", path), names))
    assert load_credentials(path) == {name: f"value-{name}" for name in names}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_providers_values_are_stored_and_removed_together(tmp_path: Path) -> None:
    path = tmp_path / "credentials.json"
    changed = update_credentials(
        {"A_URL": "http://127.0.0.1:1", "A_MODEL": "m", "A_KEY": None}, path
    )
    assert changed == {"A_URL", "A_MODEL"}
    assert load_credentials(path) == {"A_URL": "http://127.0.0.1:1", "A_MODEL": "m"}
    assert update_credentials({"A_URL": None, "A_MODEL": None}, path) == {"A_URL", "A_MODEL"}
    assert load_credentials(path) == {}
    assert update_credentials({"A_URL": None}, path) == set()
