//! Parallel content search with ripgrep's engine (grep-searcher + grep-regex).

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use grep_matcher::Matcher;
use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{
    BinaryDetection, MmapChoice, Searcher, SearcherBuilder, Sink, SinkContext, SinkMatch,
};
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};

use crate::error::{Error, Result};
use crate::walk::{is_file, relative, small_walk, walk_builder, WalkOptions};

/// Search options; `Default` plus `walk: WalkOptions::new()` matches `rg`'s defaults.
#[derive(Debug, Clone)]
pub struct GrepOptions {
    pub fixed: bool,
    pub ignore_case: bool,
    pub smart_case: bool,
    pub word: bool,
    /// Which files to search (hidden, gitignore, globs, threads).
    pub walk: WalkOptions,
    /// At most this many matching lines per file.
    pub max_count: Option<u64>,
    pub before: usize,
    pub after: usize,
    /// Report only the files that match, not the lines.
    pub files_with_matches: bool,
    /// Stop after this many matching lines (or files, with `files_with_matches`) overall.
    pub max_results: Option<usize>,
    /// Cut reported lines to this many bytes (at a char boundary); 0 means no cut.
    pub max_line_len: usize,
}

impl Default for GrepOptions {
    fn default() -> Self {
        GrepOptions {
            fixed: false,
            ignore_case: false,
            smart_case: false,
            word: false,
            walk: WalkOptions::new(),
            max_count: None,
            before: 0,
            after: 0,
            files_with_matches: false,
            max_results: None,
            max_line_len: 2000,
        }
    }
}

/// One matching line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMatch {
    /// 1-based.
    pub line_number: u64,
    /// 1-based byte column of the first match.
    pub column: u64,
    /// The line without its terminator, cut to `max_line_len`; invalid UTF-8 replaced.
    pub line: String,
    pub line_truncated: bool,
    /// Byte offsets of every match within `line`.
    pub spans: Vec<(usize, usize)>,
    pub before: Vec<(u64, String)>,
    pub after: Vec<(u64, String)>,
}

/// The matches of one file, in line order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMatches {
    /// Relative to the root, `/`-separated (the file name when the root is a file).
    pub path: OsString,
    pub matches: Vec<LineMatch>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GrepOutput {
    /// Sorted by path bytes.
    pub files: Vec<FileMatches>,
    pub truncated: bool,
    pub files_searched: u64,
}

impl GrepOutput {
    /// Total matching lines.
    pub fn match_count(&self) -> usize {
        self.files.iter().map(|f| f.matches.len()).sum()
    }
}

/// Compiles `pattern` the way ripgrep does for its default (non-multiline) mode.
pub fn build_matcher(pattern: &str, opts: &GrepOptions) -> Result<RegexMatcher> {
    if !opts.fixed {
        // grep-regex wraps the pattern in `(?:...)` before parsing, so its errors point into the
        // wrapped text; parse the pattern as given first for a message with the right caret.
        regex_syntax::ParserBuilder::new()
            .case_insensitive(opts.ignore_case)
            .build()
            .parse(pattern)
            .map_err(|e| Error::InvalidPattern(e.to_string()))?;
    }
    RegexMatcherBuilder::new()
        .multi_line(true)
        .unicode(true)
        .octal(false)
        .case_insensitive(opts.ignore_case)
        .case_smart(opts.smart_case && !opts.ignore_case)
        .word(opts.word)
        .fixed_strings(opts.fixed)
        .line_terminator(Some(b'\n'))
        .build(pattern)
        .map_err(|e| Error::InvalidPattern(e.to_string()))
}

fn build_searcher(opts: &GrepOptions, mmap: bool) -> Searcher {
    let mut b = SearcherBuilder::new();
    b.line_number(true)
        .binary_detection(BinaryDetection::quit(b'\x00'))
        .before_context(if opts.files_with_matches {
            0
        } else {
            opts.before
        })
        .after_context(if opts.files_with_matches {
            0
        } else {
            opts.after
        })
        .max_matches(if opts.files_with_matches {
            Some(1)
        } else {
            opts.max_count
        });
    if mmap {
        // SAFETY: like ripgrep, we accept that a file truncated while mapped may SIGBUS; mmap is
        // only used for an explicitly given single file.
        b.memory_map(unsafe { MmapChoice::auto() });
    }
    b.build()
}

/// Strips a trailing `\n` and then `\r`.
fn strip_terminator(mut bytes: &[u8]) -> &[u8] {
    if let [rest @ .., b'\n'] = bytes {
        bytes = rest;
    }
    if let [rest @ .., b'\r'] = bytes {
        bytes = rest;
    }
    bytes
}

/// Cuts `bytes` to at most `max` bytes (0 = no cut) without splitting a UTF-8 sequence.
fn cut(bytes: &[u8], max: usize) -> (&[u8], bool) {
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
fn decode(bytes: &[u8]) -> (String, Option<Vec<usize>>) {
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
fn remap(map: &Option<Vec<usize>>, offset: usize) -> usize {
    match map {
        Some(map) => map[offset.min(map.len() - 1)],
        None => offset,
    }
}

fn to_string(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Shared state of one search across worker threads.
struct Shared {
    opts: GrepOptions,
    stop: AtomicBool,
    truncated: AtomicBool,
    tickets: AtomicUsize,
    files_searched: AtomicU64,
}

impl Shared {
    /// Takes a result slot; `false` when `max_results` is used up (and stops the search).
    fn take_ticket(&self) -> bool {
        let Some(max) = self.opts.max_results else {
            return true;
        };
        if self.tickets.fetch_add(1, Ordering::Relaxed) < max {
            true
        } else {
            self.truncated.store(true, Ordering::Relaxed);
            self.stop.store(true, Ordering::Relaxed);
            false
        }
    }
}

struct FileSink<'a> {
    matcher: &'a RegexMatcher,
    shared: &'a Shared,
    matches: Vec<LineMatch>,
    /// Recent context lines, for the `before` of the next match.
    ring: VecDeque<(u64, String)>,
    last_match: u64,
    matched_file: bool,
}

impl FileSink<'_> {
    fn record_line(&mut self, line_number: u64, raw: &[u8]) {
        let opts = &self.shared.opts;
        let (text, truncated) = cut(strip_terminator(raw), opts.max_line_len);
        let len = text.len();
        let mut spans = Vec::new();
        let mut first = None;
        // Only spans inside the kept part are needed; stop there (long minified lines).
        // `find_iter` cannot fail for a RegexMatcher.
        let _ = self.matcher.find_iter(raw, |m| {
            first.get_or_insert(m.start());
            if m.start() < len || (m.start() == len && m.is_empty()) {
                spans.push((m.start(), m.end().min(len)));
                true
            } else {
                false
            }
        });
        let (line, map) = decode(text);
        let column = first.map_or(1, |s| remap(&map, s) as u64 + 1);
        if map.is_some() {
            for span in &mut spans {
                *span = (remap(&map, span.0), remap(&map, span.1));
            }
        }
        let before = if opts.before > 0 {
            let low = line_number.saturating_sub(opts.before as u64);
            let last = self.last_match;
            self.ring
                .iter()
                .filter(|(n, _)| *n >= low && *n > last)
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        self.matches.push(LineMatch {
            line_number,
            column,
            line,
            line_truncated: truncated,
            spans,
            before,
            after: Vec::new(),
        });
        self.last_match = line_number;
    }
}

impl Sink for FileSink<'_> {
    type Error = io::Error;

    fn matched(&mut self, _: &Searcher, mat: &SinkMatch<'_>) -> io::Result<bool> {
        if self.shared.stop.load(Ordering::Relaxed) {
            return Ok(false);
        }
        if self.shared.opts.files_with_matches {
            if self.shared.take_ticket() {
                self.matched_file = true;
            }
            return Ok(false);
        }
        let first = mat.line_number().unwrap_or(0);
        for (n, raw) in (first..).zip(mat.lines()) {
            if self
                .shared
                .opts
                .max_count
                .is_some_and(|max| self.matches.len() as u64 >= max)
            {
                // Past `max_count`, the searcher still reports matches inside the last match's
                // after-context window; they are context, not matches (as in ripgrep 14).
                self.context_line(n, raw);
                continue;
            }
            if !self.shared.take_ticket() {
                return Ok(false);
            }
            self.matched_file = true;
            self.record_line(n, raw);
        }
        Ok(true)
    }

    fn context(&mut self, _: &Searcher, ctx: &SinkContext<'_>) -> io::Result<bool> {
        self.context_line(ctx.line_number().unwrap_or(0), ctx.bytes());
        Ok(!self.shared.stop.load(Ordering::Relaxed))
    }
}

impl FileSink<'_> {
    fn context_line(&mut self, n: u64, raw: &[u8]) {
        let opts = &self.shared.opts;
        let (text, _) = cut(strip_terminator(raw), opts.max_line_len);
        let text = to_string(text);
        if let Some(last) = self.matches.last_mut() {
            if n > last.line_number && n <= last.line_number + opts.after as u64 {
                last.after.push((n, text.clone()));
            }
        }
        if opts.before > 0 {
            if self.ring.len() == opts.before {
                self.ring.pop_front();
            }
            self.ring.push_back((n, text));
        }
    }
}

/// Searches one file; `None` when it has no (recorded) match or cannot be read.
fn search_one(
    searcher: &mut Searcher,
    matcher: &RegexMatcher,
    shared: &Shared,
    path: &Path,
    rel: impl FnOnce() -> OsString,
) -> Option<FileMatches> {
    shared.files_searched.fetch_add(1, Ordering::Relaxed);
    let mut sink = FileSink {
        matcher,
        shared,
        matches: Vec::new(),
        ring: VecDeque::with_capacity(shared.opts.before),
        last_match: 0,
        matched_file: false,
    };
    // Unreadable files are skipped, as ripgrep does (it only warns).
    if searcher.search_path(matcher, path, &mut sink).is_err() && !sink.matched_file {
        return None;
    }
    if !sink.matched_file {
        return None;
    }
    Some(FileMatches {
        path: rel(),
        matches: sink.matches,
    })
}

struct GrepVisitor<'s> {
    root: &'s Path,
    shared: &'s Shared,
    matcher: RegexMatcher,
    searcher: Searcher,
    local: Vec<FileMatches>,
    sink: &'s Mutex<Vec<Vec<FileMatches>>>,
}

impl ParallelVisitor for GrepVisitor<'_> {
    fn visit(&mut self, entry: std::result::Result<DirEntry, ignore::Error>) -> WalkState {
        if self.shared.stop.load(Ordering::Relaxed) {
            return WalkState::Quit;
        }
        let Ok(entry) = entry else {
            return WalkState::Continue;
        };
        if !is_file(&entry) {
            return WalkState::Continue;
        }
        let root = self.root;
        if let Some(found) = search_one(
            &mut self.searcher,
            &self.matcher,
            self.shared,
            entry.path(),
            || relative(root, entry.path()),
        ) {
            self.local.push(found);
        }
        if self.shared.stop.load(Ordering::Relaxed) {
            WalkState::Quit
        } else {
            WalkState::Continue
        }
    }
}

impl Drop for GrepVisitor<'_> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        if !local.is_empty() {
            if let Ok(mut sink) = self.sink.lock() {
                sink.push(local);
            }
        }
    }
}

struct GrepVisitorBuilder<'s> {
    root: &'s Path,
    shared: &'s Shared,
    matcher: &'s RegexMatcher,
    sink: &'s Mutex<Vec<Vec<FileMatches>>>,
}

impl<'s> ParallelVisitorBuilder<'s> for GrepVisitorBuilder<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(GrepVisitor {
            root: self.root,
            shared: self.shared,
            matcher: self.matcher.clone(),
            searcher: build_searcher(&self.shared.opts, false),
            local: Vec::new(),
            sink: self.sink,
        })
    }
}

/// Searches `root` (a directory, walked like ripgrep, or a single file) for `pattern`.
pub fn grep(pattern: &str, root: &Path, opts: &GrepOptions) -> Result<GrepOutput> {
    let matcher = build_matcher(pattern, opts)?;
    let meta = fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if opts.max_results == Some(0) {
        // Nothing may be returned; report truncation only if there is something to find.
        let probe = GrepOptions {
            max_results: None,
            files_with_matches: true,
            ..opts.clone()
        };
        let out = grep_inner(root, &meta, &matcher, &probe)?;
        return Ok(GrepOutput {
            files: Vec::new(),
            truncated: !out.files.is_empty(),
            files_searched: out.files_searched,
        });
    }
    grep_inner(root, &meta, &matcher, opts)
}

fn grep_inner(
    root: &Path,
    meta: &fs::Metadata,
    matcher: &RegexMatcher,
    opts: &GrepOptions,
) -> Result<GrepOutput> {
    let shared = Shared {
        opts: opts.clone(),
        stop: AtomicBool::new(false),
        truncated: AtomicBool::new(false),
        tickets: AtomicUsize::new(0),
        files_searched: AtomicU64::new(0),
    };
    let mut files = Vec::new();
    if !meta.is_dir() {
        let mut searcher = build_searcher(opts, true);
        if let Err(e) = fs::File::open(root) {
            return Err(Error::io(root, e));
        }
        if let Some(found) = search_one(&mut searcher, matcher, &shared, root, || {
            relative(root, root)
        }) {
            files.push(found);
        }
    } else {
        fs::read_dir(root).map_err(|e| Error::io(root, e))?;
        let builder = walk_builder(root, &opts.walk)?;
        let sink = Mutex::new(Vec::new());
        if let Some(entries) = small_walk(&builder) {
            let mut searcher = build_searcher(opts, false);
            for entry in entries.iter().filter(|e| is_file(e)) {
                if shared.stop.load(Ordering::Relaxed) {
                    break;
                }
                let path = entry.path();
                if let Some(found) = search_one(&mut searcher, matcher, &shared, path, || {
                    relative(root, path)
                }) {
                    files.push(found);
                }
            }
        } else {
            let mut visitors = GrepVisitorBuilder {
                root,
                shared: &shared,
                matcher,
                sink: &sink,
            };
            builder.build_parallel().visit(&mut visitors);
        }
        for chunk in sink.into_inner().unwrap_or_else(|e| e.into_inner()) {
            files.extend(chunk);
        }
        files.sort_unstable_by(|a, b| a.path.as_encoded_bytes().cmp(b.path.as_encoded_bytes()));
    }
    if opts.files_with_matches {
        for f in &mut files {
            f.matches.clear();
        }
    }
    Ok(GrepOutput {
        files,
        truncated: shared.truncated.load(Ordering::Relaxed),
        files_searched: shared.files_searched.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::tests::TempDir;

    fn tree() -> TempDir {
        let t = TempDir::new("grep");
        t.write("a.txt", b"hello world\nfoo\nHello again\nbar\n");
        t.write(
            "sub/b.txt",
            b"one\ntwo\nhello\nthree\nfour\nhello hello\nfive\n",
        );
        t.write("bin.dat", b"hello\x00binary\n");
        t.write(".gitignore", b"ignored.txt\n");
        t.write("ignored.txt", b"hello\n");
        t.write("crlf.txt", b"x hello\r\ny\r\n");
        t
    }

    fn lines(out: &GrepOutput) -> Vec<(String, u64)> {
        out.files
            .iter()
            .flat_map(|f| {
                f.matches
                    .iter()
                    .map(move |m| (f.path.to_string_lossy().into_owned(), m.line_number))
            })
            .collect()
    }

    #[test]
    fn basic_search_sorted_and_skips_binary_and_ignored() {
        let t = tree();
        let out = grep("hello", t.path(), &GrepOptions::default()).unwrap();
        assert_eq!(
            lines(&out),
            vec![
                ("a.txt".into(), 1),
                ("crlf.txt".into(), 1),
                ("sub/b.txt".into(), 3),
                ("sub/b.txt".into(), 6)
            ]
        );
        assert!(!out.truncated);
        let crlf = &out.files[1].matches[0];
        assert_eq!(crlf.line, "x hello");
        assert_eq!(crlf.column, 3);
        assert_eq!(crlf.spans, vec![(2, 7)]);
        let two = &out.files[2].matches[1];
        assert_eq!(two.spans, vec![(0, 5), (6, 11)]);
    }

    #[test]
    fn case_options() {
        let t = tree();
        let opts = GrepOptions {
            ignore_case: true,
            ..Default::default()
        };
        assert_eq!(grep("HELLO", t.path(), &opts).unwrap().match_count(), 5);
        let smart = GrepOptions {
            smart_case: true,
            ..Default::default()
        };
        assert_eq!(grep("hello", t.path(), &smart).unwrap().match_count(), 5);
        assert_eq!(grep("Hello", t.path(), &smart).unwrap().match_count(), 1);
    }

    #[test]
    fn fixed_and_word() {
        let t = TempDir::new("grep-fw");
        t.write("f.txt", b"a.b\naxb\nfoobar\nfoo bar\n");
        let fixed = GrepOptions {
            fixed: true,
            ..Default::default()
        };
        assert_eq!(grep("a.b", t.path(), &fixed).unwrap().match_count(), 1);
        assert_eq!(
            grep("a.b", t.path(), &GrepOptions::default())
                .unwrap()
                .match_count(),
            2
        );
        let word = GrepOptions {
            word: true,
            ..Default::default()
        };
        let out = grep("foo", t.path(), &word).unwrap();
        assert_eq!(lines(&out), vec![("f.txt".into(), 4)]);
    }

    #[test]
    fn context_lines() {
        let t = tree();
        let opts = GrepOptions {
            before: 2,
            after: 1,
            walk: WalkOptions {
                globs: vec!["b.txt".into()],
                ..WalkOptions::new()
            },
            ..Default::default()
        };
        let out = grep("hello", t.path(), &opts).unwrap();
        let m = &out.files[0].matches;
        assert_eq!(m[0].before, vec![(1, "one".into()), (2, "two".into())]);
        assert_eq!(m[0].after, vec![(4, "three".into())]);
        assert_eq!(m[1].before, vec![(4, "three".into()), (5, "four".into())]);
        assert_eq!(m[1].after, vec![(7, "five".into())]);
    }

    #[test]
    fn max_count_max_results_files_with_matches() {
        let t = tree();
        let opts = GrepOptions {
            max_count: Some(1),
            ..Default::default()
        };
        assert_eq!(grep("hello", t.path(), &opts).unwrap().match_count(), 3);
        let opts = GrepOptions {
            max_results: Some(2),
            ..Default::default()
        };
        let out = grep("hello", t.path(), &opts).unwrap();
        assert_eq!(out.match_count(), 2);
        assert!(out.truncated);
        let opts = GrepOptions {
            max_results: Some(4),
            ..Default::default()
        };
        let out = grep("hello", t.path(), &opts).unwrap();
        assert_eq!(out.match_count(), 4);
        assert!(!out.truncated);
        let opts = GrepOptions {
            files_with_matches: true,
            ..Default::default()
        };
        let out = grep("hello", t.path(), &opts).unwrap();
        let files: Vec<_> = out.files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(files, vec!["a.txt", "crlf.txt", "sub/b.txt"]);
        assert!(out.files.iter().all(|f| f.matches.is_empty()));
        let opts = GrepOptions {
            max_results: Some(0),
            ..Default::default()
        };
        let out = grep("hello", t.path(), &opts).unwrap();
        assert!(out.files.is_empty() && out.truncated);
    }

    #[test]
    fn max_count_with_after_context_keeps_later_matches_as_context() {
        let t = TempDir::new("grep-mc");
        t.write("f.txt", b"x\nhit 1\ny\nhit 2\nz\nhit 3\n");
        let opts = GrepOptions {
            max_count: Some(1),
            after: 3,
            ..Default::default()
        };
        let out = grep("hit", t.path(), &opts).unwrap();
        let m = &out.files[0].matches;
        assert_eq!(m.len(), 1);
        assert_eq!(
            m[0].after,
            vec![(3, "y".into()), (4, "hit 2".into()), (5, "z".into())]
        );
    }

    #[test]
    fn big_tree_parallel_search_and_max_results() {
        let t = TempDir::new("grep-big");
        for d in 0..30 {
            for f in 0..25 {
                t.write(&format!("d{d:02}/f{f:02}.txt"), b"a\nneedle here\nb\n");
            }
        }
        let out = grep("needle", t.path(), &GrepOptions::default()).unwrap();
        assert_eq!(out.match_count(), 750);
        assert_eq!(out.files_searched, 750);
        let paths: Vec<_> = out.files.iter().map(|f| f.path.clone()).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(paths, sorted);
        assert!(out.files.iter().all(|f| f.matches[0].line_number == 2));
        let capped = GrepOptions {
            max_results: Some(10),
            walk: WalkOptions {
                threads: 2,
                ..WalkOptions::new()
            },
            ..Default::default()
        };
        let out = grep("needle", t.path(), &capped).unwrap();
        assert_eq!(out.match_count(), 10);
        assert!(out.truncated);
        assert!(out.files_searched < 750);
    }

    #[test]
    fn single_file_root_and_line_cut() {
        let t = TempDir::new("grep-one");
        let p = t.write("one.txt", "ééé needle\n".as_bytes());
        let opts = GrepOptions {
            max_line_len: 3,
            ..Default::default()
        };
        let out = grep("é", &p, &opts).unwrap();
        assert_eq!(out.files[0].path, "one.txt");
        let m = &out.files[0].matches[0];
        assert_eq!(m.line, "é");
        assert!(m.line_truncated);
        assert_eq!(m.spans, vec![(0, 2)]);
    }

    #[test]
    fn errors() {
        let t = tree();
        match grep("a(b", t.path(), &GrepOptions::default()) {
            Err(Error::InvalidPattern(msg)) => {
                assert!(msg.contains("a(b\n     ^"), "{msg}");
                assert!(!msg.contains("(?:"), "{msg}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            grep("x", &t.path().join("missing"), &GrepOptions::default()),
            Err(Error::Io { .. })
        ));
    }

    #[test]
    fn invalid_utf8_is_lossy() {
        let t = TempDir::new("grep-lossy");
        t.write("l.txt", b"caf\xe9 ok\n");
        let out = grep("ok", t.path(), &GrepOptions::default()).unwrap();
        let m = &out.files[0].matches[0];
        assert_eq!(m.line, "caf\u{fffd} ok");
        assert_eq!(m.spans, vec![(7, 9)]);
        assert_eq!(m.column, 8);
    }
}
