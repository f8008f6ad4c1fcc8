//! Parallel content search with ripgrep's engine (grep-searcher + grep-regex).

use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

use grep_regex::{RegexMatcher, RegexMatcherBuilder};
use grep_searcher::{BinaryDetection, MmapChoice, Searcher, SearcherBuilder};
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkState};

mod sink;
mod text;

use crate::error::{Error, Result};
use crate::walk::{is_file, relative, small_walk, walk_builder, WalkOptions};
use sink::{search_one, Shared};

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
mod tests;
