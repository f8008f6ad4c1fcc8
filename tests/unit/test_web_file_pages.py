"""Large files in the code pane's preview: paged by line offset (or jumped to a line), each page
highlighted with its own line numbers, through the same confinement as every other read."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from codesm.web.file_pages import PAGE_LINES, last_page_offset, read_page
from tests.unit.web_support import WebApp, make_web_app

LINES = 100_000


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    (root / "huge.py").write_text(
        "".join(f"value_{n} = {n}  # line {n + 1}\n" for n in range(LINES))
    )
    (root / "crlf.txt").write_bytes(b"one\r\ntwo\r\nthree")
    (root / "small.txt").write_text("alpha\nbeta\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("TOP SECRET\n" * 3000)
    os.symlink(outside, root / "link-out")
    return root


@pytest.fixture
def web(workspace: Path, tmp_path: Path) -> WebApp:
    return make_web_app(workspace, tmp_path / "codesm.db")


def numbers(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="ln">(\d+)</td>', page)]


def view(client: TestClient, web: WebApp, **params: str | int) -> str:
    response = client.get("/files/view", params={"path": "huge.py", **params}, headers=web.cookie)
    assert response.status_code == 200
    return response.text


def test_the_first_page_of_a_large_file_links_to_the_next(client: TestClient, web: WebApp) -> None:
    page = view(client, web)
    assert numbers(page) == list(range(1, PAGE_LINES + 1))
    assert "Lines 1\u20132,000 of 100,000" in page
    assert f'hx-get="/files/view?path=huge.py&amp;offset={PAGE_LINES}"' in page
    assert re.search(r"<button[^>]*disabled>◀ Previous", page)


def test_a_middle_page_continues_the_line_numbers_and_is_highlighted(
    client: TestClient, web: WebApp
) -> None:
    page = view(client, web, offset=50_000)
    assert numbers(page) == list(range(50_001, 50_001 + PAGE_LINES))
    assert '<span class="n">value_50000</span>' in page  # pygments' name token, this page's text
    assert "value_49999 " not in page and f"value_{50_000 + PAGE_LINES} " not in page
    assert 'offset=48000"' in page and 'offset=52000"' in page


def test_the_last_page_has_no_next_and_ends_at_the_last_line(
    client: TestClient, web: WebApp
) -> None:
    page = view(client, web, offset=last_page_offset(LINES))
    assert numbers(page)[-1] == LINES and "# line 100000" in page
    assert re.search(r"<button[^>]*disabled>More lines ▶", page)


@pytest.mark.parametrize("offset", ["100000", "99999999999", str(10**40)])
def test_an_offset_past_the_end_shows_the_last_page(
    client: TestClient, web: WebApp, offset: str
) -> None:
    assert numbers(view(client, web, offset=offset)) == list(range(98_001, LINES + 1))


def test_jumping_to_a_line_starts_the_page_there(client: TestClient, web: WebApp) -> None:
    page = view(client, web, line=77_777)
    assert numbers(page)[0] == 77_777
    assert "value_77776 = 77776" in re.sub(r"<[^>]*>", "", page)


@pytest.mark.parametrize("params", [{"offset": "x"}, {"offset": "1e3"}, {"line": "--1"}])
def test_an_offset_that_is_not_a_number_is_refused(
    client: TestClient, web: WebApp, params: dict[str, str]
) -> None:
    response = client.get("/files/view", params={"path": "huge.py", **params}, headers=web.cookie)
    assert response.status_code == 400


def test_a_negative_offset_is_the_first_page(client: TestClient, web: WebApp) -> None:
    assert numbers(view(client, web, offset=-5))[0] == 1


def test_a_short_file_has_no_pager(client: TestClient, web: WebApp) -> None:
    page = client.get("/files/view?path=small.txt", headers=web.cookie).text
    assert numbers(page) == [1, 2] and "preview-pager" not in page


@pytest.mark.parametrize(
    "path", ["../secret.txt", "link-out", "/etc/passwd", "huge.py/../../secret.txt", "a\x00b"]
)
def test_a_hostile_path_with_an_offset_is_refused(
    client: TestClient, web: WebApp, path: str
) -> None:
    response = client.get(
        "/files/view", params={"path": path, "offset": "2000"}, headers=web.cookie
    )
    assert response.status_code in (403, 404)
    assert "TOP SECRET" not in response.text


def test_pages_read_lines_without_their_carriage_returns(workspace: Path) -> None:
    page = read_page(workspace, "crlf.txt", 1)
    assert page.lines == ["two", "three"] and not page.more
    assert read_page(workspace, "crlf.txt", 5).lines == []


def test_a_page_is_capped_in_bytes_too(workspace: Path) -> None:
    (workspace / "one-line.txt").write_text("x" * 2_000_000)
    page = read_page(workspace, "one-line.txt", 0, page_bytes=1000)
    assert page.lines == ["x" * 1000] and page.more


def test_pages_follow_each_other_without_gaps(workspace: Path) -> None:
    seen: list[str] = []
    offset = 0
    while True:
        page = read_page(workspace, "huge.py", offset, page_lines=7_000, page_bytes=10**9)
        seen += page.lines
        if not page.more:
            break
        offset += len(page.lines)
    assert len(seen) == LINES and seen[12_345] == "value_12345 = 12345  # line 12346"


def test_a_symlink_out_of_the_workspace_is_not_read(workspace: Path) -> None:
    with pytest.raises(OSError):
        read_page(workspace, "link-out", 0)
