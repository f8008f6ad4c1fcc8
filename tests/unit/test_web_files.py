"""The code pane: the lazy, gitignore-aware file tree and previews, confined to the workspace."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.unit.web_support import WebApp, client_for, make_web_app


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "mod.py").write_text("def f():\n    return '<b>'\n")
    (root / "src" / "main.py").write_text("print('hi')\n")
    (root / "README.md").write_text("# Title\n")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("generated\n")
    (root / ".gitignore").write_text("build/\n")
    (root / "logo.bin").write_bytes(b"\x00\x01\x02" * 100)
    (root / "big.txt").write_text("".join(f"line {n}\n" for n in range(5000)))
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    outside = tmp_path / "secret.txt"
    outside.write_text("TOP SECRET\n")
    os.symlink(outside, root / "link-out")
    os.symlink(tmp_path, root / "dir-out")
    return root


@pytest.fixture
def web(workspace: Path, tmp_path: Path) -> WebApp:
    return make_web_app(workspace, tmp_path / "codesm.db")


@pytest.fixture
def client(web: WebApp) -> Iterator[TestClient]:
    with client_for(web) as test_client:
        yield test_client


def test_the_root_level_lists_folders_then_files_and_skips_ignored_ones(
    client: TestClient, web: WebApp
) -> None:
    level = client.get("/files/tree", headers=web.cookie).text
    assert level.index(">src<") < level.index(">README.md<")
    assert "build" not in level and "out.txt" not in level
    assert 'hx-get="/files/tree?path=src"' in level


def test_a_folder_level_lists_only_its_children(client: TestClient, web: WebApp) -> None:
    level = client.get("/files/tree?path=src", headers=web.cookie).text
    assert 'hx-get="/files/tree?path=src/pkg"' in level
    assert 'hx-get="/files/view?path=src/main.py"' in level
    assert "mod.py" not in level


def test_a_preview_is_highlighted_with_line_numbers(client: TestClient, web: WebApp) -> None:
    preview = client.get("/files/view?path=src/pkg/mod.py", headers=web.cookie).text
    assert '<span class="k">def</span>' in preview
    assert '<td class="ln">2</td>' in preview
    assert "&lt;b&gt;" in preview and "<b>" not in preview


def test_a_binary_file_is_described_not_shown(client: TestClient, web: WebApp) -> None:
    preview = client.get("/files/view?path=logo.bin", headers=web.cookie).text
    assert "Binary file (300 bytes)" in preview


def test_a_long_file_shows_its_first_lines(client: TestClient, web: WebApp) -> None:
    preview = client.get("/files/view?path=big.txt", headers=web.cookie).text
    assert "Showing the first 2000 lines." in preview and "line 4999" not in preview


@pytest.mark.parametrize(
    "path",
    [
        "../secret.txt",
        "../../etc/passwd",
        "/etc/passwd",
        "src/../../secret.txt",
        "link-out",
        "dir-out/secret.txt",
        "%2e%2e/secret.txt",
    ],
)
def test_a_path_outside_the_workspace_is_refused(
    client: TestClient, web: WebApp, path: str
) -> None:
    for route in ("/files/view", "/files/tree"):
        response = client.get(route, params={"path": path}, headers=web.cookie)
        assert response.status_code in (403, 404), (route, path)
        assert "TOP SECRET" not in response.text


@pytest.mark.parametrize("path", ["", "missing.txt", "a\x00b", "src", "x" * 5000])
def test_a_missing_or_malformed_preview_path_is_not_found(
    client: TestClient, web: WebApp, path: str
) -> None:
    response = client.get("/files/view", params={"path": path}, headers=web.cookie)
    assert response.status_code == 404


def test_a_file_is_not_a_folder_level(client: TestClient, web: WebApp) -> None:
    response = client.get("/files/tree", params={"path": "README.md"}, headers=web.cookie)
    assert response.status_code == 404
