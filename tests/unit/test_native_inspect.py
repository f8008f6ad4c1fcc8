"""`_native.inspect_file`: size, binary or text, encoding, line endings and line count."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.unit.native_support import NATIVE_MISSING

_native = pytest.importorskip("codesm._native", reason=NATIVE_MISSING)

Inspect = Callable[[bytes], Any]


@pytest.fixture
def inspect(tmp_path: Path) -> Inspect:
    """Write `data` to a file and inspect it."""

    def run(data: bytes) -> Any:
        path = tmp_path / "subject"
        path.write_bytes(data)
        return _native.inspect_file(str(path))

    return run


def test_inspect_reports_size_in_bytes(inspect: Inspect) -> None:
    assert inspect("héllo\n".encode()).size == 7


@pytest.mark.parametrize(
    ("data", "ending"),
    [
        (b"a\nb\n", "lf"),
        (b"a\r\nb\r\n", "crlf"),
        (b"a\rb\r", "cr"),
        (b"a\nb\r\nc\n", "mixed"),
        (b"a\rb\nc", "mixed"),
        (b"no terminator at all", "none"),
        (b"a\r\nb", "crlf"),
    ],
    ids=["lf", "crlf", "cr", "lf+crlf", "cr+lf", "none", "crlf-unterminated-last"],
)
def test_inspect_detects_line_ending_style(inspect: Inspect, data: bytes, ending: str) -> None:
    assert inspect(data).line_ending == ending


@pytest.mark.parametrize(
    ("data", "count"),
    [
        (b"a\nb\nc\n", 3),
        (b"a\nb\nc", 3),
        (b"one line", 1),
        (b"\n", 1),
        (b"\n\n\n", 3),
        (b"a\r\nb\r\n", 2),
        (b"a\rb\rc\r", 3),
        (b"a\r\nb\nc", 3),
    ],
    ids=[
        "lf-terminated",
        "last-line-unterminated",
        "single-unterminated",
        "one-empty-line",
        "three-empty-lines",
        "crlf",
        "cr",
        "mixed-unterminated",
    ],
)
def test_inspect_counts_lines_including_unterminated_last_line(
    inspect: Inspect, data: bytes, count: int
) -> None:
    assert inspect(data).line_count == count


def test_inspect_describes_empty_file(inspect: Inspect) -> None:
    info = inspect(b"")

    assert (info.size, info.line_count, info.line_ending, info.is_binary) == (0, 0, "none", False)


def test_inspect_reports_utf8_text(inspect: Inspect) -> None:
    info = inspect("naïve 日本語 🦀\n".encode())

    assert (info.encoding, info.is_binary) == ("utf-8", False)


def test_inspect_reports_ascii_as_utf8(inspect: Inspect) -> None:
    assert inspect(b"plain ascii\n").encoding == "utf-8"


def test_inspect_reports_utf8_with_bom(inspect: Inspect) -> None:
    info = inspect(b"\xef\xbb\xbfhello\nworld\n")

    assert (info.encoding, info.is_binary, info.line_count) == ("utf-8-bom", False, 2)


def test_inspect_reports_utf16le_with_bom_as_text(inspect: Inspect) -> None:
    info = inspect(b"\xff\xfe" + "hello\nworld\n".encode("utf-16-le"))

    assert (info.encoding, info.is_binary) == ("utf-16le", False)


def test_inspect_reports_utf16be_with_bom_as_text(inspect: Inspect) -> None:
    info = inspect(b"\xfe\xff" + "hello\nworld\n".encode("utf-16-be"))

    assert (info.encoding, info.is_binary) == ("utf-16be", False)


def test_inspect_counts_lines_of_utf16le_text(inspect: Inspect) -> None:
    info = inspect(b"\xff\xfe" + "a\r\nb\r\nc\r\n".encode("utf-16-le"))

    assert (info.line_count, info.line_ending) == (3, "crlf")


def test_inspect_reports_latin1_text_as_unknown(inspect: Inspect) -> None:
    info = inspect("café crème\nnaïve\n".encode("latin-1"))

    assert (info.encoding, info.is_binary, info.line_count) == ("unknown", False, 2)


def test_inspect_flags_file_with_nul_bytes_as_binary(inspect: Inspect) -> None:
    info = inspect(b"\x7fELF\x02\x01\x01\x00\x00\x00" + bytes(range(256)) * 4)

    assert (info.is_binary, info.encoding) == (True, "binary")


def test_inspect_flags_png_as_binary(inspect: Inspect) -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"

    assert inspect(png).is_binary is True


def test_inspect_flags_nul_after_long_text_prefix_as_binary(inspect: Inspect) -> None:
    assert inspect(b"text line\n" * 500 + b"\x00tail").is_binary is True


def test_inspect_handles_a_one_megabyte_single_line(inspect: Inspect) -> None:
    info = inspect(b"x" * 1_000_000)

    assert (info.size, info.line_count, info.line_ending, info.is_binary) == (
        1_000_000,
        1,
        "none",
        False,
    )


def test_inspect_counts_lines_of_a_large_file(inspect: Inspect) -> None:
    info = inspect(b"some text here\n" * 200_000)

    assert (info.line_count, info.size) == (200_000, 3_000_000)


def test_inspect_follows_symlink_to_file(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_bytes(b"a\nb\n")
    (tmp_path / "link").symlink_to("real.txt")

    assert _native.inspect_file(str(tmp_path / "link")).size == 4


def test_inspect_accepts_non_utf8_path(tmp_path: Path) -> None:
    name = os.path.join(os.fsencode(tmp_path), b"caf\xe9.txt")
    with open(name, "wb") as f:
        f.write(b"x\n")

    assert _native.inspect_file(os.fsdecode(name)).line_count == 1


def test_inspect_raises_file_not_found_for_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        _native.inspect_file(str(tmp_path / "missing.txt"))


def test_inspect_raises_os_error_for_a_directory(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        _native.inspect_file(str(tmp_path))
