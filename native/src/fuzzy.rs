//! Fuzzy path ranking with nucleo (the matcher behind helix; fzf-like scores).

use std::cmp::Ordering;

use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use rayon::prelude::*;

/// Below this many paths, scoring runs on the calling thread.
const PARALLEL_MIN: usize = 4096;

/// One ranked path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuzzyHit {
    /// Index into the haystack slice.
    pub index: usize,
    pub score: u32,
    /// Character indices that matched, ascending and unique.
    pub positions: Vec<u32>,
}

/// Text for matching from raw path bytes: valid UTF-8 as is, every invalid byte one U+FFFD, so
/// character indices line up with the `surrogateescape` decoding Python shows for the same bytes.
pub fn per_byte_lossy(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let mut rest = bytes;
    loop {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (valid, tail) = rest.split_at(e.valid_up_to());
                // SAFETY-free: `valid` is valid UTF-8 by `valid_up_to`.
                out.push_str(std::str::from_utf8(valid).unwrap_or_default());
                let bad = e.error_len().unwrap_or(tail.len());
                out.extend(std::iter::repeat_n('\u{fffd}', bad));
                rest = &tail[bad..];
            }
        }
    }
}

fn config() -> Config {
    Config::DEFAULT.match_paths()
}

fn rank_cmp<S: AsRef<str>>(haystacks: &[S], a: &(usize, u32), b: &(usize, u32)) -> Ordering {
    let (ha, hb) = (haystacks[a.0].as_ref(), haystacks[b.0].as_ref());
    b.1.cmp(&a.1)
        .then_with(|| ha.len().cmp(&hb.len()))
        .then_with(|| ha.cmp(hb))
        .then_with(|| a.0.cmp(&b.0))
}

/// Ranks `haystacks` against `query`: best score first, then shorter path, then path order.
/// An empty (or all-blank) query returns the first `limit` paths in sorted order with score 0.
pub fn fuzzy_rank<S: AsRef<str> + Sync>(
    haystacks: &[S],
    query: &str,
    limit: usize,
) -> Vec<FuzzyHit> {
    rank_among(haystacks, None, query, limit).hits
}

/// The outcome of one ranking: the best `limit` hits and every index that matched at all (what a
/// longer query can narrow down from, see [`crate::path_index`]).
#[derive(Debug, Default)]
pub struct Ranked {
    pub hits: Vec<FuzzyHit>,
    /// Every matching haystack index, ascending; empty for a blank query (which matches all).
    pub matched: Vec<u32>,
}

/// [`fuzzy_rank`] restricted to `candidates` (haystack indices) when given.
pub fn rank_among<S: AsRef<str> + Sync>(
    haystacks: &[S],
    candidates: Option<&[u32]>,
    query: &str,
    limit: usize,
) -> Ranked {
    if limit == 0 || haystacks.is_empty() {
        return Ranked::default();
    }
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    if pattern.atoms.is_empty() {
        let mut order: Vec<usize> = match candidates {
            Some(c) => c.iter().map(|&i| i as usize).collect(),
            None => (0..haystacks.len()).collect(),
        };
        order.sort_unstable_by(|&a, &b| {
            haystacks[a]
                .as_ref()
                .cmp(haystacks[b].as_ref())
                .then(a.cmp(&b))
        });
        order.truncate(limit);
        let hits = order
            .into_iter()
            .map(|index| FuzzyHit {
                index,
                score: 0,
                positions: Vec::new(),
            })
            .collect();
        return Ranked {
            hits,
            matched: Vec::new(),
        };
    }

    let score_one = |state: &mut (Matcher, Vec<char>), i: usize| {
        let (matcher, buf) = state;
        pattern
            .score(Utf32Str::new(haystacks[i].as_ref(), buf), matcher)
            .map(|score| (i, score))
    };
    let count = candidates.map_or(haystacks.len(), <[u32]>::len);
    let index_at = |k: usize| candidates.map_or(k, |c| c[k] as usize);
    let mut scored: Vec<(usize, u32)> = if count >= PARALLEL_MIN {
        (0..count)
            .into_par_iter()
            .with_min_len(1024)
            .map_init(
                || (Matcher::new(config()), Vec::new()),
                |state, k| score_one(state, index_at(k)),
            )
            .flatten_iter()
            .collect()
    } else {
        let mut state = (Matcher::new(config()), Vec::new());
        (0..count)
            .filter_map(|k| score_one(&mut state, index_at(k)))
            .collect()
    };
    // Candidates are ascending and rayon's collect keeps order, so `matched` comes out sorted.
    let matched: Vec<u32> = scored.iter().map(|&(i, _)| i as u32).collect();

    if scored.len() > limit {
        scored.select_nth_unstable_by(limit - 1, |a, b| rank_cmp(haystacks, a, b));
        scored.truncate(limit);
    }
    scored.sort_unstable_by(|a, b| rank_cmp(haystacks, a, b));

    let mut matcher = Matcher::new(config());
    let mut buf = Vec::new();
    let hits = scored
        .into_iter()
        .map(|(index, score)| {
            let mut positions = Vec::new();
            pattern.indices(
                Utf32Str::new(haystacks[index].as_ref(), &mut buf),
                &mut matcher,
                &mut positions,
            );
            positions.sort_unstable();
            positions.dedup();
            FuzzyHit {
                index,
                score,
                positions,
            }
        })
        .collect();
    Ranked { hits, matched }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hs(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn ranks_best_first_with_positions() {
        let h = hs(&["src/main.rs", "docs/manual.md", "src/lib.rs", "README.md"]);
        let hits = fuzzy_rank(&h, "main", 10);
        assert_eq!(h[hits[0].index], "src/main.rs");
        assert_eq!(hits[0].positions, vec![4, 5, 6, 7]);
        assert!(hits.iter().all(|x| h[x.index] != "src/lib.rs"));
        for w in hits.windows(2) {
            assert!(w[0].score >= w[1].score);
        }
    }

    #[test]
    fn ties_prefer_shorter_then_path() {
        let h = hs(&["b/abc", "a/abc", "x/y/abc"]);
        let hits = fuzzy_rank(&h, "abc", 10);
        let order: Vec<&str> = hits.iter().map(|x| h[x.index].as_str()).collect();
        assert_eq!(order[..2], ["a/abc", "b/abc"]);
    }

    #[test]
    fn smart_case() {
        let h = hs(&["Foo.txt", "foo.txt"]);
        assert_eq!(fuzzy_rank(&h, "foo", 10).len(), 2);
        let hits = fuzzy_rank(&h, "Foo", 10);
        assert_eq!(hits.len(), 1);
        assert_eq!(h[hits[0].index], "Foo.txt");
    }

    #[test]
    fn empty_query_and_limit() {
        let h = hs(&["c", "a", "b"]);
        let hits = fuzzy_rank(&h, "", 2);
        let order: Vec<&str> = hits.iter().map(|x| h[x.index].as_str()).collect();
        assert_eq!(order, ["a", "b"]);
        assert!(hits.iter().all(|x| x.score == 0 && x.positions.is_empty()));
        assert!(fuzzy_rank(&h, "a", 0).is_empty());
    }

    #[test]
    fn parallel_path_matches_serial() {
        let h: Vec<String> = (0..10_000)
            .map(|i| format!("dir{}/file{i}.rs", i % 97))
            .collect();
        let hits = fuzzy_rank(&h, "d5f12", 20);
        assert_eq!(hits.len(), 20);
        let serial = fuzzy_rank(&h[..], "d5f12", 20);
        assert_eq!(hits, serial);
    }

    #[test]
    fn non_ascii_positions_are_char_indices() {
        let h = hs(&["é/ab"]);
        let hits = fuzzy_rank(&h, "ab", 5);
        assert_eq!(hits[0].positions, vec![2, 3]);
        assert_eq!(
            per_byte_lossy(b"a\xe9\xe2\x82b"),
            "a\u{fffd}\u{fffd}\u{fffd}b"
        );
    }
}
