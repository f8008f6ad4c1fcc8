//! Turning a searched line's bytes into the text and offsets handed to Python.

/// Strips a trailing `\n` and then `\r`.
pub(super) fn strip_terminator(mut bytes: &[u8]) -> &[u8] {
    if let [rest @ .., b'\n'] = bytes {
        bytes = rest;
    }
    if let [rest @ .., b'\r'] = bytes {
        bytes = rest;
    }
    bytes
}

/// Cuts `bytes` to at most `max` bytes (0 = no cut) without splitting a UTF-8 sequence.
pub(super) fn cut(bytes: &[u8], max: usize) -> (&[u8], bool) {
    if max == 0 || bytes.len() <= max {
        return (bytes, false);
    }
    let mut end = max;
    while end > 0 && (bytes[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    (&bytes[..end], true)
}

/// Decodes a line, replacing invalid UTF-8 with U+FFFD. When anything was replaced, also returns
/// the map from raw byte offsets to offsets in the decoded string (one entry per raw offset).
pub(super) fn decode(bytes: &[u8]) -> (String, Option<Vec<usize>>) {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_owned(), None);
    }
    let mut out = String::with_capacity(bytes.len() + 8);
    let mut map = Vec::with_capacity(bytes.len() + 1);
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid();
        for i in 0..valid.len() {
            map.push(out.len() + i);
        }
        out.push_str(valid);
        let invalid = chunk.invalid();
        if !invalid.is_empty() {
            map.extend(std::iter::repeat_n(out.len(), invalid.len()));
            out.push('\u{fffd}');
        }
    }
    map.push(out.len());
    (out, Some(map))
}

/// Maps a raw byte offset through `decode`'s map.
pub(super) fn remap(map: &Option<Vec<usize>>, offset: usize) -> usize {
    match map {
        Some(map) => map[offset.min(map.len() - 1)],
        None => offset,
    }
}

pub(super) fn to_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}
