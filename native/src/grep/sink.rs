//! Collecting one file's matches and context lines as grep-searcher reports them.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use grep_matcher::Matcher;
use grep_regex::RegexMatcher;
use grep_searcher::{Searcher, Sink, SinkContext, SinkMatch};

use super::text::{cut, decode, remap, strip_terminator, to_string};
use super::{FileMatches, GrepOptions, LineMatch};

/// Shared state of one search across worker threads.
pub(super) struct Shared {
    pub(super) opts: GrepOptions,
    pub(super) stop: AtomicBool,
    pub(super) truncated: AtomicBool,
    pub(super) tickets: AtomicUsize,
    pub(super) files_searched: AtomicU64,
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

pub(super) struct FileSink<'a> {
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
pub(super) fn search_one(
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
