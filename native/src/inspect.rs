//! One-file inspection: size, binary or text, encoding, line endings and line count, streamed
//! in fixed-size chunks so memory stays bounded on huge files.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// Bytes looked at for binary detection (like git and ripgrep's first buffer).
const SNIFF_LEN: usize = 8 * 1024;
const CHUNK: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
    Binary,
    /// Text that is not valid UTF-8 (e.g. Latin-1).
    Unknown,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8-bom",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
            Encoding::Binary => "binary",
            Encoding::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnding {
    Lf,
    Crlf,
    Cr,
    Mixed,
    None,
}

impl LineEnding {
    pub fn as_str(self) -> &'static str {
        match self {
            LineEnding::Lf => "lf",
            LineEnding::Crlf => "crlf",
            LineEnding::Cr => "cr",
            LineEnding::Mixed => "mixed",
            LineEnding::None => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub size: u64,
    pub is_binary: bool,
    pub encoding: Encoding,
    /// `None` for binary files.
    pub line_ending: LineEnding,
    /// Lines, counting a last line without a terminator; 0 for binary files.
    pub line_count: u64,
}

/// Counts line terminators over a stream of code units; `\r\n` is one terminator.
#[derive(Default)]
struct LineCounter {
    lf: u64,
    crlf: u64,
    cr: u64,
    pending_cr: bool,
    /// Whether anything follows the last terminator.
    tail: bool,
}

impl LineCounter {
    /// Feeds bytes of a single-byte-unit encoding (UTF-8, Latin-1...).
    fn feed_bytes(&mut self, buf: &[u8]) {
        if buf.is_empty() {
            return;
        }
        if self.pending_cr {
            self.pending_cr = false;
            if buf[0] == b'\n' {
                self.crlf += 1;
                self.feed_rest(&buf[1..], true);
                return;
            }
            self.cr += 1;
        }
        self.feed_rest(buf, false);
    }

    fn feed_rest(&mut self, buf: &[u8], ended_line: bool) {
        if buf.is_empty() {
            if ended_line {
                self.tail = false;
            }
            return;
        }
        if memchr::memchr(b'\r', buf).is_none() {
            // Fast path: LF only.
            let n = memchr::memchr_iter(b'\n', buf).count() as u64;
            self.lf += n;
            self.tail = buf[buf.len() - 1] != b'\n';
            return;
        }
        let mut i = 0;
        for pos in memchr::memchr2_iter(b'\n', b'\r', buf) {
            if pos < i {
                continue; // the `\n` of a `\r\n` already counted
            }
            if buf[pos] == b'\n' {
                self.lf += 1;
                i = pos + 1;
            } else if pos + 1 < buf.len() {
                if buf[pos + 1] == b'\n' {
                    self.crlf += 1;
                    i = pos + 2;
                } else {
                    self.cr += 1;
                    i = pos + 1;
                }
            } else {
                self.pending_cr = true;
                i = pos + 1;
            }
        }
        self.tail = i < buf.len();
    }

    /// Feeds UTF-16 code units.
    fn feed_units(&mut self, units: impl Iterator<Item = u16>) {
        for u in units {
            if self.pending_cr {
                self.pending_cr = false;
                if u == u16::from(b'\n') {
                    self.crlf += 1;
                    self.tail = false;
                    continue;
                }
                self.cr += 1;
            }
            if u == u16::from(b'\n') {
                self.lf += 1;
                self.tail = false;
            } else if u == u16::from(b'\r') {
                self.pending_cr = true;
                self.tail = false;
            } else {
                self.tail = true;
            }
        }
    }

    fn finish(mut self) -> (LineEnding, u64) {
        if self.pending_cr {
            self.cr += 1;
            self.tail = false;
        }
        let kinds = [self.lf, self.crlf, self.cr];
        let used = kinds.iter().filter(|&&n| n > 0).count();
        let ending = match used {
            0 => LineEnding::None,
            1 if self.lf > 0 => LineEnding::Lf,
            1 if self.crlf > 0 => LineEnding::Crlf,
            1 => LineEnding::Cr,
            _ => LineEnding::Mixed,
        };
        (ending, self.lf + self.crlf + self.cr + u64::from(self.tail))
    }
}

/// Incremental UTF-8 validation across chunk boundaries.
#[derive(Default)]
struct Utf8Check {
    carry: Vec<u8>,
    valid: bool,
}

impl Utf8Check {
    fn new() -> Self {
        Utf8Check {
            carry: Vec::new(),
            valid: true,
        }
    }

    fn feed(&mut self, buf: &[u8]) {
        if !self.valid {
            return;
        }
        let mut data = buf;
        if !self.carry.is_empty() {
            // Complete the sequence split at the previous boundary. The carry is a valid but
            // incomplete prefix, so its first byte is a leading byte.
            let want = match self.carry[0] {
                0xF0..=0xFF => 4,
                0xE0..=0xEF => 3,
                _ => 2,
            };
            let take = (want - self.carry.len()).min(buf.len());
            self.carry.extend_from_slice(&buf[..take]);
            data = &buf[take..];
            if self.carry.len() < want {
                return;
            }
            if std::str::from_utf8(&self.carry).is_err() {
                self.valid = false;
                return;
            }
            self.carry.clear();
        }
        match std::str::from_utf8(data) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => {
                self.carry = data[e.valid_up_to()..].to_vec();
            }
            Err(_) => self.valid = false,
        }
    }

    fn finish(self) -> bool {
        self.valid && self.carry.is_empty()
    }
}

/// Inspects the file at `path`.
pub fn inspect_file(path: &Path) -> Result<FileInfo> {
    let io = |e| Error::io(path, e);
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_dir() {
        return Err(Error::IsADirectory(path.to_path_buf()));
    }
    let mut file = File::open(path).map_err(io)?;
    let mut buf = vec![0u8; CHUNK];
    let mut size = 0u64;

    // First chunk: BOM and binary sniffing.
    let mut n = read_full(&mut file, &mut buf).map_err(io)?;
    let head = &buf[..n];
    let encoding = if head.starts_with(b"\xEF\xBB\xBF") {
        Encoding::Utf8Bom
    } else if head.starts_with(b"\xFF\xFE") {
        Encoding::Utf16Le
    } else if head.starts_with(b"\xFE\xFF") {
        Encoding::Utf16Be
    } else if memchr::memchr(0, &head[..n.min(SNIFF_LEN)]).is_some() {
        Encoding::Binary
    } else {
        Encoding::Utf8
    };
    if encoding == Encoding::Binary {
        return Ok(FileInfo {
            size: meta.len(),
            is_binary: true,
            encoding,
            line_ending: LineEnding::None,
            line_count: 0,
        });
    }

    let mut lines = LineCounter::default();
    let mut utf8 = Utf8Check::new();
    let mut odd: Option<u8> = None;
    let mut first = true;
    while n > 0 {
        size += n as u64;
        let mut chunk = &buf[..n];
        if first {
            let bom = match encoding {
                Encoding::Utf8Bom => 3,
                Encoding::Utf16Le | Encoding::Utf16Be => 2,
                _ => 0,
            };
            chunk = &chunk[bom..];
            first = false;
        }
        match encoding {
            Encoding::Utf16Le | Encoding::Utf16Be => {
                let be = encoding == Encoding::Utf16Be;
                let mut bytes: Vec<u8> = Vec::with_capacity(chunk.len() + 1);
                bytes.extend(odd.take());
                bytes.extend_from_slice(chunk);
                if bytes.len() % 2 == 1 {
                    odd = bytes.pop();
                }
                lines.feed_units(bytes.chunks_exact(2).map(|p| {
                    if be {
                        u16::from_be_bytes([p[0], p[1]])
                    } else {
                        u16::from_le_bytes([p[0], p[1]])
                    }
                }));
            }
            _ => {
                utf8.feed(chunk);
                lines.feed_bytes(chunk);
            }
        }
        n = read_full(&mut file, &mut buf).map_err(io)?;
    }
    let encoding = match encoding {
        Encoding::Utf8 if !utf8.finish() => Encoding::Unknown,
        other => other,
    };
    let (line_ending, line_count) = lines.finish();
    Ok(FileInfo {
        size,
        is_binary: false,
        encoding,
        line_ending,
        line_count,
    })
}

/// Reads until `buf` is full or the file ends; returns the bytes read.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::tests::TempDir;

    fn info(content: &[u8]) -> FileInfo {
        let t = TempDir::new("inspect");
        let p = t.write("f", content);
        inspect_file(&p).unwrap()
    }

    #[test]
    fn line_endings_and_counts() {
        let cases: &[(&[u8], LineEnding, u64)] = &[
            (b"", LineEnding::None, 0),
            (b"abc", LineEnding::None, 1),
            (b"a\nb\n", LineEnding::Lf, 2),
            (b"a\nb", LineEnding::Lf, 2),
            (b"a\r\nb\r\n", LineEnding::Crlf, 2),
            (b"a\rb\r", LineEnding::Cr, 2),
            (b"a\r\nb\n", LineEnding::Mixed, 2),
            (b"\n\n\n", LineEnding::Lf, 3),
            (b"a\r", LineEnding::Cr, 1),
        ];
        for (content, ending, count) in cases {
            let i = info(content);
            assert_eq!(
                (i.line_ending, i.line_count),
                (*ending, *count),
                "{content:?}"
            );
            assert_eq!(i.size, content.len() as u64);
        }
    }

    #[test]
    fn crlf_split_across_chunks() {
        let mut content = vec![b'x'; CHUNK - 1];
        content.extend_from_slice(b"\r\nend\r\n");
        let i = info(&content);
        assert_eq!((i.line_ending, i.line_count), (LineEnding::Crlf, 2));
    }

    #[test]
    fn encodings() {
        assert_eq!(info(b"plain").encoding, Encoding::Utf8);
        assert_eq!(info("héllo".as_bytes()).encoding, Encoding::Utf8);
        assert_eq!(info(b"caf\xe9").encoding, Encoding::Unknown);
        assert_eq!(info(b"\xEF\xBB\xBFhi\n").encoding, Encoding::Utf8Bom);
        let bin = info(b"ab\x00cd");
        assert!(bin.is_binary);
        assert_eq!(bin.encoding, Encoding::Binary);
        let le = info(b"\xFF\xFEa\x00\r\x00\n\x00b\x00");
        assert_eq!(le.encoding, Encoding::Utf16Le);
        assert!(!le.is_binary);
        assert_eq!((le.line_ending, le.line_count), (LineEnding::Crlf, 2));
        let be = info(b"\xFE\xFF\x00a\x00\n");
        assert_eq!((be.encoding, be.line_count), (Encoding::Utf16Be, 1));
    }

    #[test]
    fn multibyte_char_split_across_chunks_is_valid() {
        let mut content = vec![b'x'; CHUNK - 1];
        content.extend_from_slice("é€😀".as_bytes());
        assert_eq!(info(&content).encoding, Encoding::Utf8);
        let mut bad = vec![b'x'; CHUNK - 1];
        bad.extend_from_slice(b"\xc3(");
        assert_eq!(info(&bad).encoding, Encoding::Unknown);
    }

    #[test]
    fn directory_and_missing() {
        let t = TempDir::new("inspect-dir");
        assert!(matches!(
            inspect_file(t.path()),
            Err(Error::IsADirectory(_))
        ));
        assert!(matches!(
            inspect_file(&t.path().join("nope")),
            Err(Error::Io { .. })
        ));
    }
}
