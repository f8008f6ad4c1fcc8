//! A workspace's file list kept in memory for fuzzy finding as the user types.
//!
//! Walking the tree and converting every path for each keystroke costs ~100 ms on a 78k-file
//! repository; PERFORMANCE.md wants ≤10 ms per keystroke. The index converts the paths once, and
//! when a query only extends the previous one (the user typed another character), it rescores just
//! the paths the previous query matched: a fuzzy match of `abc` is also a match of `ab`.

use std::ffi::OsString;
use std::path::Path;
use std::sync::Mutex;

use crate::fuzzy::{per_byte_lossy, rank_among, FuzzyHit};
use crate::walk::{walk, WalkOptions};

/// Characters of nucleo's pattern syntax (negation, anchors, exact match, escapes) after which a
/// longer query can match paths a shorter one did not, so narrowing would drop real matches.
const NON_NARROWING: &[char] = &['!', '^', '$', '\'', '\\'];

/// Sorted paths with their match text, and the last query's matches to narrow from.
pub struct PathIndex {
    paths: Vec<OsString>,
    texts: Vec<String>,
    last: Mutex<Option<LastQuery>>,
}

struct LastQuery {
    query: String,
    matched: Vec<u32>,
}

impl PathIndex {
    /// An index over `paths` (kept in sorted order, duplicates removed).
    pub fn new(mut paths: Vec<OsString>) -> Self {
        paths.sort_unstable();
        paths.dedup();
        let texts = paths
            .iter()
            .map(|p| per_byte_lossy(p.as_encoded_bytes()))
            .collect();
        PathIndex {
            paths,
            texts,
            last: Mutex::new(None),
        }
    }

    /// An index of the files under `root`, gitignore-aware, as [`walk`] lists them.
    pub fn from_root(root: &Path) -> crate::Result<Self> {
        Ok(Self::new(walk(root, &WalkOptions::new())?))
    }

    pub fn len(&self) -> usize {
        self.paths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    pub fn path(&self, index: usize) -> &OsString {
        &self.paths[index]
    }

    /// The best `limit` paths for `query`, ranked exactly as [`crate::fuzzy::fuzzy_rank`] would
    /// rank the whole list.
    pub fn find(&self, query: &str, limit: usize) -> Vec<FuzzyHit> {
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let candidates = match last.as_ref() {
            Some(prev) if narrows(&prev.query, query) => Some(prev.matched.as_slice()),
            _ => None,
        };
        // Rank with at least one hit requested so `matched` is filled even for `limit == 0`.
        let ranked = rank_among(&self.texts, candidates, query, limit.max(1));
        let blank = query.trim().is_empty();
        *last = (!blank).then(|| LastQuery {
            query: query.to_owned(),
            matched: ranked.matched,
        });
        let mut hits = ranked.hits;
        hits.truncate(limit);
        hits
    }
}

/// Whether every match of `next` is a match of `prev`, so only `prev`'s matches need scoring.
fn narrows(prev: &str, next: &str) -> bool {
    !prev.trim().is_empty() && next.starts_with(prev) && !next.contains(NON_NARROWING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzzy::fuzzy_rank;

    fn index(items: &[&str]) -> PathIndex {
        PathIndex::new(items.iter().map(OsString::from).collect())
    }

    fn names(idx: &PathIndex, hits: &[FuzzyHit]) -> Vec<String> {
        hits.iter()
            .map(|h| idx.path(h.index).to_string_lossy().into_owned())
            .collect()
    }

    fn corpus() -> Vec<String> {
        (0..6_000)
            .map(|i| format!("src/mod{}/Item{i}_file.rs", i % 53))
            .chain(["README.md", "docs/a$b.md", "x/!neg.txt"].map(String::from))
            .collect()
    }

    #[test]
    fn typing_gives_the_same_ranking_as_a_fresh_search() {
        let items = corpus();
        let idx = PathIndex::new(items.iter().map(OsString::from).collect());
        let mut sorted = items.clone();
        sorted.sort();
        for query in ["mod1/item12", "src Item4", "Item", "readme"] {
            for end in 1..=query.len() {
                let q = &query[..end];
                let typed = idx.find(q, 20);
                let fresh = fuzzy_rank(&sorted, q, 20);
                let fresh_names: Vec<&str> =
                    fresh.iter().map(|h| sorted[h.index].as_str()).collect();
                assert_eq!(names(&idx, &typed), fresh_names, "query {q:?}");
            }
        }
    }

    #[test]
    fn special_syntax_never_narrows() {
        // `!neg` excludes, so "!n" -> "!ne" may match paths "!n" did not; `$` anchors.
        assert!(!narrows("a", "a$"));
        assert!(!narrows("!n", "!ne"));
        assert!(!narrows("", "a"));
        assert!(narrows("ab", "abc"));
        assert!(narrows("ab", "ab c"));
        assert!(!narrows("abc", "ab"));
        let idx = index(&["a$b.md", "ab.md", "x.md"]);
        assert_eq!(idx.find("a", 10).len(), 2);
        assert_eq!(names(&idx, &idx.find("!a", 10)), ["x.md"]);
    }

    #[test]
    fn backspace_searches_everything_again() {
        let idx = index(&["alpha.rs", "beta.rs", "alphabet.rs"]);
        assert_eq!(idx.find("alphab", 10).len(), 1);
        assert_eq!(idx.find("alpha", 10).len(), 2);
        assert_eq!(idx.find("", 10).len(), 3);
        assert_eq!(names(&idx, &idx.find("", 2)), ["alpha.rs", "alphabet.rs"]);
    }

    #[test]
    fn duplicates_and_limit_zero() {
        let idx = index(&["b", "a", "b"]);
        assert_eq!(idx.len(), 2);
        assert!(idx.find("a", 0).is_empty());
        assert_eq!(idx.find("b", 5).len(), 1);
    }

    #[test]
    fn from_root_lists_files_gitignore_aware() {
        let dir = std::env::temp_dir().join(format!("codesm-pathindex-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src")).unwrap();
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        std::fs::write(dir.join(".gitignore"), "ignored.txt\n").unwrap();
        std::fs::write(dir.join("src/main.rs"), "").unwrap();
        std::fs::write(dir.join("ignored.txt"), "").unwrap();
        let idx = PathIndex::from_root(&dir).unwrap();
        let found = names(&idx, &idx.find("main", 10));
        assert_eq!(found, ["src/main.rs"]);
        assert!(idx.find("ignored", 10).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
