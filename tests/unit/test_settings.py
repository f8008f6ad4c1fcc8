from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesm.config.settings import load_settings
from codesm.errors import ConfigError


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(config))
    (config / "codesm").mkdir(parents=True)
    return config / "codesm"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_apply_when_no_file_exists(xdg: Path, tmp_path: Path) -> None:
    loaded = load_settings(tmp_path / "ws")
    assert loaded.settings.mode == "smart"
    assert loaded.settings.permission_mode == "review"
    assert loaded.sources == []


def test_global_file_with_comments_and_trailing_commas_is_read(xdg: Path, tmp_path: Path) -> None:
    write(
        xdg / "settings.json",
        '{\n  // my tools\n  "codesm.tools.disable": ["bash",],\n'
        '  /* rush */ "codesm.mode": "rush",\n}',
    )
    loaded = load_settings(tmp_path)
    assert loaded.settings.tools_disable == ["bash"]
    assert loaded.settings.mode == "rush"


def test_workspace_file_wins_key_by_key_over_global(xdg: Path, tmp_path: Path) -> None:
    write(xdg / "settings.json", json.dumps({"codesm.mode": "rush", "codesm.network.timeout": 5}))
    ws = tmp_path / "ws"
    write(ws / ".codesm" / "settings.json", json.dumps({"codesm.mode": "smart"}))
    loaded = load_settings(ws)
    assert loaded.settings.mode == "smart"
    assert loaded.settings.network_timeout_s == 5
    assert len(loaded.sources) == 2


def test_explicit_settings_file_wins_over_workspace(xdg: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    write(ws / ".codesm" / "settings.json", json.dumps({"codesm.mode": "smart"}))
    extra = write(tmp_path / "extra.json", json.dumps({"codesm.mode": "rush"}))
    assert load_settings(ws, settings_file=extra).settings.mode == "rush"


def test_missing_explicit_settings_file_is_a_clear_error(xdg: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path, settings_file=tmp_path / "nope.json")


def test_unknown_key_is_a_warning_not_an_error(xdg: Path, tmp_path: Path) -> None:
    write(xdg / "settings.json", json.dumps({"codesm.tool.disable": ["bash"]}))
    loaded = load_settings(tmp_path)
    assert loaded.warnings == [
        f"unknown setting 'codesm.tool.disable' in {xdg / 'settings.json'} (ignored)"
    ]
    assert loaded.settings.tools_disable == []


def test_bad_value_names_the_key_and_the_file(xdg: Path, tmp_path: Path) -> None:
    path = write(xdg / "settings.json", json.dumps({"codesm.mode": "turbo"}))
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert "codesm.mode" in str(info.value)
    assert str(path) in str(info.value)


def test_broken_json_is_a_config_error(xdg: Path, tmp_path: Path) -> None:
    write(xdg / "settings.json", '{"codesm.mode": ')
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_settings(tmp_path)


def test_top_level_array_is_refused(xdg: Path, tmp_path: Path) -> None:
    write(xdg / "settings.json", "[1, 2]")
    with pytest.raises(ConfigError, match="JSON object"):
        load_settings(tmp_path)


def test_permission_rules_and_budgets_validate(xdg: Path, tmp_path: Path) -> None:
    write(
        xdg / "settings.json",
        json.dumps(
            {
                "codesm.permissions": [
                    {"tool": "bash", "matches": {"cmd": "git status*"}, "action": "allow"}
                ],
                "codesm.budget.session": 2.5,
                "codesm.providers": {"openai": {"baseUrl": "http://127.0.0.1:8080/v1"}},
            }
        ),
    )
    settings = load_settings(tmp_path).settings
    assert settings.permissions[0].action == "allow"
    assert settings.budget_session_usd == 2.5
    assert settings.providers["openai"].base_url == "http://127.0.0.1:8080/v1"


def test_negative_budget_is_refused(xdg: Path, tmp_path: Path) -> None:
    write(xdg / "settings.json", json.dumps({"codesm.budget.turn": -1}))
    with pytest.raises(ConfigError, match=r"codesm\.budget\.turn"):
        load_settings(tmp_path)
