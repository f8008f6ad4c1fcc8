"""Name a binary file's type from its first bytes, so `read` can describe it, not dump it."""

from __future__ import annotations

import struct
from dataclasses import dataclass

HEADER_BYTES = 512


@dataclass(frozen=True)
class Sniffed:
    kind: str
    is_image: bool = False
    width: int | None = None
    height: int | None = None


_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or a format built on it: jar, docx, xlsx, wheel)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
    (b"(\xb5/\xfd", "zstd-compressed data"),
    (b"\x7fELF", "ELF executable or shared library"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"\xfe\xed\xfa\xcf", "Mach-O executable"),
    (b"\xca\xfe\xba\xbe", "Mach-O universal binary or Java class file"),
    (b"MZ", "Windows executable (PE)"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\x00asm", "WebAssembly module"),
    (b"OggS", "Ogg media"),
    (b"ID3", "MP3 audio"),
    (b"fLaC", "FLAC audio"),
    (b"\x1aE\xdf\xa3", "Matroska/WebM video"),
    (b"\x89HDF\r\n\x1a\n", "HDF5 data"),
    (b"\x93NUMPY", "NumPy array"),
    (b"PAR1", "Parquet data"),
    (b"wOFF", "WOFF font"),
    (b"wOF2", "WOFF2 font"),
)


def _png(head: bytes) -> Sniffed:
    width = height = None
    if len(head) >= 24 and head[12:16] == b"IHDR":
        width, height = struct.unpack(">II", head[16:24])
    return Sniffed("PNG image", True, width, height)


def _gif(head: bytes) -> Sniffed:
    width = height = None
    if len(head) >= 10:
        width, height = struct.unpack("<HH", head[6:10])
    return Sniffed("GIF image", True, width, height)


def sniff(head: bytes) -> Sniffed | None:
    """The type of a file from its first `HEADER_BYTES` bytes, or None when unknown."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png(head)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return _gif(head)
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("JPEG image", True)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("WebP image", True)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return Sniffed("WAV audio")
    if head.startswith(b"BM") and len(head) >= 26:
        return Sniffed("BMP image", True)
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("TIFF image", True)
    if head.startswith(b"\x00\x00\x01\x00"):
        return Sniffed("ICO icon", True)
    if head[4:12] in (b"ftypheic", b"ftypavif", b"ftypmif1"):
        return Sniffed("HEIF/AVIF image", True)
    if head[4:8] == b"ftyp":
        return Sniffed("MP4/QuickTime media")
    if len(head) >= 262 and head[257:262] == b"ustar":
        return Sniffed("tar archive")
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return Sniffed(kind)
    return None


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{size:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size:,} bytes"  # pragma: no cover
