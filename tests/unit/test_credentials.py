from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesm.cli import main
from codesm.config.credentials import (
    credentials_path,
    environment_with_credentials,
    load_credentials,
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
