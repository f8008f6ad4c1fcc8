//! Line diffs in `diff -u` / git format, computed with `similar` over interned lines.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};

use std::time::{Duration, Instant};

use similar::{capture_diff_slices_deadline, group_diff_ops, Algorithm, DiffOp, DiffTag};

/// Myers (similar's variant with bounded work on hard inputs) gives git-like hunks and handles
/// 100k-line disjoint pairs in tens of ms; past this budget it returns a coarser, still correct
/// diff instead of running on (dup-heavy, heavily rewritten inputs).
const DEADLINE: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    Equal,
    Delete,
    Insert,
}

impl Tag {
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::Equal => " ",
            Tag::Delete => "-",
            Tag::Insert => "+",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub tag: Tag,
    /// Without the line terminator (`\n` or `\r\n`).
    pub text: String,
    /// 1-based; `None` for inserted lines.
    pub old_lineno: Option<usize>,
    /// 1-based; `None` for deleted lines.
    pub new_lineno: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    /// 1-based, or the line before the hunk (0 at the top) when `old_len` is 0, as in git.
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<DiffLine>,
    /// The `@@ -a,b +c,d @@` line (`,1` omitted like `diff -u`).
    pub header: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    /// Empty when the texts are equal.
    pub unified: String,
    pub hunks: Vec<Hunk>,
    pub added: usize,
    pub removed: usize,
}

/// FNV-1a, enough for interning lines (no adversarial inputs, and much faster than SipHash).
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            h ^= u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = h.wrapping_mul(0x0000_0100_0000_01b3).rotate_left(23);
        }
        for &b in chunks.remainder() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

type Interner<'a> = HashMap<&'a str, u32, BuildHasherDefault<Fnv>>;

/// Maps each line to a small id shared by equal lines.
fn intern<'a>(ids: &mut Interner<'a>, lines: &[&'a str]) -> Vec<u32> {
    lines
        .iter()
        .map(|&l| {
            let next = ids.len() as u32;
            *ids.entry(l).or_insert(next)
        })
        .collect()
}

/// Splits `text` into lines, each keeping its `\n` (the last may lack one).
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(&text[start..=nl]);
        start = nl + 1;
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

fn strip_terminator(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

fn range_header(start: usize, len: usize) -> String {
    // `diff -u`: a one-line range drops `,1`; an empty range names the line before it.
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// Diffs `old` and `new` line by line with `context` lines around each change.
pub fn diff(old: &str, new: &str, context: usize, old_label: &str, new_label: &str) -> Diff {
    let old_lines = split_lines(old);
    let new_lines = split_lines(new);

    // Intern lines into ids so the diff compares integers.
    let mut ids: Interner<'_> = HashMap::with_capacity_and_hasher(
        old_lines.len() + new_lines.len(),
        BuildHasherDefault::default(),
    );
    let old_ids = intern(&mut ids, &old_lines);
    let new_ids = intern(&mut ids, &new_lines);

    let deadline = Instant::now() + DEADLINE;
    let ops = capture_diff_slices_deadline(Algorithm::Myers, &old_ids, &new_ids, Some(deadline));

    let mut out = Diff::default();
    for op in &ops {
        match op.tag() {
            DiffTag::Delete => out.removed += op.old_range().len(),
            DiffTag::Insert => out.added += op.new_range().len(),
            DiffTag::Replace => {
                out.removed += op.old_range().len();
                out.added += op.new_range().len();
            }
            DiffTag::Equal => {}
        }
    }
    if out.added == 0 && out.removed == 0 {
        return out;
    }

    let groups = group_diff_ops(ops, context);
    let mut unified = String::with_capacity(64 + old.len().min(1 << 20));
    let _ = write!(unified, "--- {old_label}\n+++ {new_label}\n");
    for group in groups {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old_start = first.old_range().start;
        let new_start = first.new_range().start;
        let old_len = last.old_range().end - old_start;
        let new_len = last.new_range().end - new_start;
        let header = format!(
            "@@ -{} +{} @@",
            range_header(old_start, old_len),
            range_header(new_start, new_len)
        );
        unified.push_str(&header);
        unified.push('\n');
        let mut lines = Vec::with_capacity(old_len + new_len);
        let mut emit = |tag: Tag, raw: &str, o: Option<usize>, n: Option<usize>| {
            unified.push_str(tag.as_str());
            unified.push_str(raw);
            if !raw.ends_with('\n') {
                unified.push_str("\n\\ No newline at end of file\n");
            }
            lines.push(DiffLine {
                tag,
                text: strip_terminator(raw).to_owned(),
                old_lineno: o,
                new_lineno: n,
            });
        };
        for op in &group {
            let (or, nr) = (op.old_range(), op.new_range());
            match op {
                DiffOp::Equal { .. } => {
                    for (i, j) in or.zip(nr) {
                        emit(Tag::Equal, old_lines[i], Some(i + 1), Some(j + 1));
                    }
                }
                _ => {
                    for i in or {
                        emit(Tag::Delete, old_lines[i], Some(i + 1), None);
                    }
                    for j in nr {
                        emit(Tag::Insert, new_lines[j], None, Some(j + 1));
                    }
                }
            }
        }
        out.hunks.push(Hunk {
            old_start: if old_len == 0 {
                old_start
            } else {
                old_start + 1
            },
            old_len,
            new_start: if new_len == 0 {
                new_start
            } else {
                new_start + 1
            },
            new_len,
            lines,
            header,
        });
    }
    out.unified = unified;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_is_empty() {
        let d = diff("a\nb\n", "a\nb\n", 3, "a", "b");
        assert_eq!(d, Diff::default());
    }

    #[test]
    fn simple_change_matches_diff_u() {
        let d = diff("a\nb\nc\n", "a\nB\nc\nd\n", 3, "a", "b");
        assert_eq!(
            d.unified,
            "--- a\n+++ b\n@@ -1,3 +1,4 @@\n a\n-b\n+B\n c\n+d\n"
        );
        assert_eq!((d.added, d.removed), (2, 1));
        let h = &d.hunks[0];
        assert_eq!(
            (h.old_start, h.old_len, h.new_start, h.new_len),
            (1, 3, 1, 4)
        );
        assert_eq!(h.lines[1].tag, Tag::Delete);
        assert_eq!(h.lines[1].old_lineno, Some(2));
        assert_eq!(h.lines[2].new_lineno, Some(2));
        assert_eq!(h.lines[4].text, "d");
    }

    #[test]
    fn empty_sides_use_zero_start() {
        let d = diff("", "x\ny\n", 3, "a", "b");
        assert_eq!(d.unified, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
        assert_eq!((d.hunks[0].old_start, d.hunks[0].new_start), (0, 1));
        let d = diff("x\n", "", 3, "a", "b");
        assert_eq!(d.unified, "--- a\n+++ b\n@@ -1 +0,0 @@\n-x\n");
    }

    #[test]
    fn missing_newline_marker() {
        let d = diff("a\nb", "a\nc", 3, "old", "new");
        assert_eq!(
            d.unified,
            "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
        let d = diff("a\n", "a", 3, "a", "b");
        assert_eq!(
            d.unified,
            "--- a\n+++ b\n@@ -1 +1 @@\n-a\n+a\n\\ No newline at end of file\n"
        );
    }

    #[test]
    fn separate_hunks_and_context() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let new = old
            .replace("line 3\n", "three\n")
            .replace("line 18\n", "eighteen\n");
        let d = diff(&old, &new, 2, "a", "b");
        assert_eq!(d.hunks.len(), 2);
        assert_eq!(d.hunks[0].header, "@@ -1,5 +1,5 @@");
        assert_eq!(d.hunks[1].header, "@@ -16,5 +16,5 @@");
        let d0 = diff(&old, &new, 0, "a", "b");
        assert_eq!(d0.hunks[0].header, "@@ -3 +3 @@");
        let ins = diff("a\nb\n", "a\nx\nb\n", 0, "a", "b");
        assert_eq!(ins.hunks[0].header, "@@ -1,0 +2 @@");
        assert_eq!(ins.hunks[0].old_start, 1);
    }

    #[test]
    fn diff_applied_reproduces_new() {
        let mut x: u64 = 7;
        let mut rnd = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let old: Vec<String> = (0..2000).map(|_| format!("{}", rnd() % 20)).collect();
        let new: Vec<String> = old
            .iter()
            .filter_map(|l| match rnd() % 10 {
                0 => None,
                1 => Some(format!("new {l}")),
                _ => Some(l.clone()),
            })
            .collect();
        let (o, n) = (old.join("\n") + "\n", new.join("\n") + "\n");
        let d = diff(&o, &n, 3, "a", "b");
        // Apply the hunks to `old` and compare with `new`.
        let mut out: Vec<String> = Vec::new();
        let mut next = 0;
        for h in &d.hunks {
            let start = if h.old_len == 0 {
                h.old_start
            } else {
                h.old_start - 1
            };
            out.extend(old[next..start].iter().cloned());
            for l in &h.lines {
                if l.tag != Tag::Delete {
                    out.push(l.text.clone());
                }
            }
            next = start + h.old_len;
        }
        out.extend(old[next..].iter().cloned());
        assert_eq!(out, new);
    }

    #[test]
    fn crlf_text_stripped_but_unified_raw() {
        let d = diff("a\r\nb\r\n", "a\r\nc\r\n", 3, "a", "b");
        assert_eq!(d.hunks[0].lines[1].text, "b");
        assert!(d.unified.contains("-b\r\n"));
    }

    #[test]
    fn big_disjoint_is_fast() {
        let old: String = (0..100_000).map(|i| format!("old line {i}\n")).collect();
        let new: String = (0..100_000).map(|i| format!("new line {i}\n")).collect();
        let t = std::time::Instant::now();
        let d = diff(&old, &new, 3, "a", "b");
        assert_eq!((d.added, d.removed), (100_000, 100_000));
        // Generous bound for debug builds on a loaded machine.
        assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
    }
}
