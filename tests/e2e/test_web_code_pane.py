"""The code pane in a real browser: a large file's preview paged and jumped through, and the split
between chat and code resized by dragging or from the keyboard, remembered across a reload, all
under the page's strict CSP (the width is a custom property set through the CSSOM)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web_live_server import LiveServer

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser_support import needs_chromium, open_new_session, screenshot

pytestmark = [pytest.mark.e2e, needs_chromium]

RECORD_CSP_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.violatedDirective} ${e.sourceFile}:${e.lineNumber}`);
});
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "my-project"
    root.mkdir()
    (root / "big.py").write_text("".join(f"value_{n} = {n}\n" for n in range(1, 5001)))
    return root


def first_line_number(page: Page) -> str:
    return page.locator("#preview td.ln").first.inner_text()


def test_a_large_file_is_paged_and_jumped_through_in_the_preview(
    browser: Browser, server: LiveServer
) -> None:
    page, problems = open_new_session(browser, server)
    page.get_by_role("button", name="big.py").click()
    expect(page.locator("#preview .preview-path")).to_have_text("big.py")
    expect(page.locator("#preview .preview-pager")).to_contain_text("Lines 1\u20132,000 of 5,000")
    expect(page.locator("#preview")).not_to_contain_text("value_2001 =")

    page.get_by_role("button", name="More lines ▶").click()
    expect(page.locator("#preview .preview-pager")).to_contain_text("Lines 2,001\u20134,000")
    assert first_line_number(page) == "2001"
    expect(page.locator("#preview .src").first).to_have_text("value_2001 = 2001")
    expect(page.locator("#preview .src .n").first).to_have_text("value_2001")  # highlighted

    page.get_by_role("button", name="◀ Previous").click()
    expect(page.locator("#preview .preview-pager")).to_contain_text("Lines 1\u20132,000")

    page.get_by_label("Go to line").fill("4500")  # scrolls the preview down to the field
    assert page.locator("#preview").evaluate("e => e.scrollTop") > 0
    page.get_by_role("button", name="Go", exact=True).click()
    expect(page.locator("#preview .preview-pager")).to_contain_text("Lines 4,500\u20135,000")
    expect(page.get_by_role("button", name="More lines ▶")).to_be_disabled()
    assert page.locator("#preview").evaluate("e => e.scrollTop") == 0  # the new page's top
    assert first_line_number(page) == "4500"
    screenshot(page, "web-preview-paged")
    assert problems == []


def code_width(page: Page) -> float:
    box = page.locator("#codepane").bounding_box()
    assert box is not None
    return box["width"]


def test_the_split_is_dragged_and_moved_by_keys_and_remembered_under_the_csp(
    browser: Browser, server: LiveServer
) -> None:
    page, problems = open_new_session(browser, server)
    page.add_init_script(RECORD_CSP_VIOLATIONS)
    page.reload()
    expect(page.locator("#connection-state")).to_have_text("connected")
    splitter = page.get_by_role("separator", name="Resize the code pane")
    expect(splitter).to_have_attribute("aria-valuenow", "38")
    before = code_width(page)

    box = splitter.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 100, y, steps=5)
    page.mouse.move(x - 200, y, steps=5)
    page.mouse.up()
    dragged = code_width(page)
    assert dragged > before + 150
    share = int(splitter.get_attribute("aria-valuenow") or "0")
    assert share > 38

    page.reload()
    expect(page.locator("#connection-state")).to_have_text("connected")
    expect(splitter).to_have_attribute("aria-valuenow", str(share))
    assert abs(code_width(page) - dragged) < 2

    splitter.focus()
    page.keyboard.press("ArrowRight")
    expect(splitter).to_have_attribute("aria-valuenow", str(share - 2))
    assert code_width(page) < dragged
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    expect(splitter).to_have_attribute("aria-valuenow", str(share + 2))
    page.keyboard.press("Home")
    expect(splitter).to_have_attribute("aria-valuenow", "20")

    page.locator("#toggle-code").click()
    expect(page.locator("#codepane")).to_be_hidden()
    page.locator("#toggle-code").click()
    expect(page.locator("#codepane")).to_be_visible()
    expect(splitter).to_have_attribute("aria-valuenow", "20")
    screenshot(page, "web-split-resized")
    assert page.evaluate("window.cspViolations") == []
    assert problems == []
