//! File globbing with ripgrep `-g` semantics over a gitignore-aware walk.

use std::ffi::OsString;
use std::path::Path;
use std::time::SystemTime;

use crate::error::{Error, Result};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::walk::{
    build_overrides, check_dir_root, is_file, parallel_collect, relative, walk_builder,
    walk_builder_filtered, WalkOptions,
};

/// Result order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GlobSort {
    /// By path bytes.
    #[default]
    Path,
    /// Newest modification time first, then by path.
    Mtime,
}

impl std::str::FromStr for GlobSort {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s {
            "path" => Ok(GlobSort::Path),
            "mtime" => Ok(GlobSort::Mtime),
            other => Err(Error::InvalidArgument(format!(
                "sort must be 'path' or 'mtime', not {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct GlobOptions {
    pub gitignore: bool,
    pub hidden: bool,
    pub sort: GlobSort,
    pub limit: Option<usize>,
}

impl Default for GlobOptions {
    fn default() -> Self {
        GlobOptions {
            gitignore: true,
            hidden: false,
            sort: GlobSort::Path,
            limit: None,
        }
    }
}

/// Files under `root` matching any of `patterns`.
///
/// Patterns are gitignore-style globs as ripgrep's `-g` takes them: one without `/` matches the
/// file name at any depth, one with `/` is anchored at the root, `*` does not cross `/`, `**`
/// does, `{a,b}` alternates, and a leading `!` excludes. As with `rg -g`, a matching glob wins
/// over ignore files for files in directories that are walked.
pub fn glob(patterns: &[String], root: &Path, opts: &GlobOptions) -> Result<Vec<OsString>> {
    check_dir_root(root)?;
    let walk_opts = WalkOptions {
        hidden: opts.hidden,
        gitignore: opts.gitignore,
        globs: patterns.to_vec(),
        ..WalkOptions::default()
    };
    // Compile first so a bad pattern is reported even when there is nothing to walk.
    let overrides = build_overrides(root, patterns)?;
    if patterns.is_empty() || patterns.iter().all(|p| p.starts_with('!')) {
        // No whitelist glob: nothing is asked for.
        return Ok(Vec::new());
    }
    // As with `rg -g`, a glob that matches a file wins over ignore files. Unlike `rg -g`, a glob
    // that matches a directory must not open an ignored or hidden directory: note when that may
    // have happened and then keep only files whose directory a plain walk reaches.
    let dir_whitelisted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&dir_whitelisted);
    let builder = walk_builder_filtered(root, &walk_opts, move |entry| {
        if entry.depth() > 0
            && entry.file_type().is_some_and(|ft| ft.is_dir())
            && overrides.matched(entry.path(), true).is_whitelist()
        {
            flag.store(true, Ordering::Relaxed);
        }
        true
    })?;
    // Hidden files named by a glob are still hidden: drop any path with a dot component.
    let visible = |rel: &OsString| {
        opts.hidden
            || !Path::new(rel)
                .components()
                .any(|c| c.as_os_str().as_encoded_bytes().first() == Some(&b'.'))
    };
    let mut items = parallel_collect(&builder, |entry| {
        if !is_file(&entry) {
            return None;
        }
        let rel = relative(root, entry.path());
        if !visible(&rel) {
            return None;
        }
        let mtime = match opts.sort {
            GlobSort::Path => SystemTime::UNIX_EPOCH,
            GlobSort::Mtime => entry
                .metadata()
                .ok()
                .and_then(|m| m.modified().ok())
                .unwrap_or(SystemTime::UNIX_EPOCH),
        };
        Some((mtime, rel))
    });
    if dir_whitelisted.load(Ordering::Relaxed) && opts.gitignore {
        let plain = WalkOptions {
            globs: Vec::new(),
            ..walk_opts
        };
        let dirs: HashSet<OsString> = parallel_collect(&walk_builder(root, &plain)?, |entry| {
            entry
                .file_type()
                .is_some_and(|ft| ft.is_dir())
                .then(|| relative(root, entry.path()))
        })
        .into_iter()
        .collect();
        items.retain(|(_, rel)| match Path::new(rel).parent() {
            Some(parent) if !parent.as_os_str().is_empty() => dirs.contains(parent.as_os_str()),
            _ => true,
        });
    }
    items.sort_unstable_by(|a, b| {
        b.0.cmp(&a.0)
            .then_with(|| a.1.as_encoded_bytes().cmp(b.1.as_encoded_bytes()))
    });
    let mut paths: Vec<OsString> = items.into_iter().map(|(_, p)| p).collect();
    if let Some(limit) = opts.limit {
        paths.truncate(limit);
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::tests::TempDir;

    fn run(patterns: &[&str], t: &TempDir, opts: &GlobOptions) -> Vec<String> {
        let patterns: Vec<String> = patterns.iter().map(|s| s.to_string()).collect();
        glob(&patterns, t.path(), opts)
            .unwrap()
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    fn tree() -> TempDir {
        let t = TempDir::new("glob");
        t.write("a.c", b"");
        t.write("b.h", b"");
        t.write("src/x.c", b"");
        t.write("src/deep/y.c", b"");
        t.write("src/Makefile", b"");
        t.write("docs/readme.md", b"");
        t.write(".gitignore", b"build/\n");
        t.write(".env", b"");
        t.write("build/out.c", b"");
        t
    }

    #[test]
    fn basename_patterns_match_at_any_depth() {
        let t = tree();
        let got = run(&["*.c"], &t, &GlobOptions::default());
        assert_eq!(got, vec!["a.c", "src/deep/y.c", "src/x.c"]);
    }

    #[test]
    fn anchored_and_alternation() {
        let t = tree();
        assert_eq!(
            run(&["src/*.c"], &t, &GlobOptions::default()),
            vec!["src/x.c"]
        );
        assert_eq!(
            run(&["src/**/*.c"], &t, &GlobOptions::default()),
            vec!["src/deep/y.c", "src/x.c"]
        );
        assert_eq!(
            run(&["**/*.{c,h}", "!src/**"], &t, &GlobOptions::default()),
            vec!["a.c", "b.h"]
        );
        assert_eq!(
            run(&["**/Makefile"], &t, &GlobOptions::default()),
            vec!["src/Makefile"]
        );
    }

    #[test]
    fn star_does_not_open_ignored_directories() {
        let t = TempDir::new("glob-star");
        t.write(".gitignore", b"node_modules/\n*.log\n");
        t.write("node_modules/x/i.js", b"");
        t.write("src/a.js", b"");
        t.write("src/b.log", b"");
        for pat in ["*", "**", "src"] {
            let got = run(&[pat], &t, &GlobOptions::default());
            assert!(
                !got.iter().any(|p| p.starts_with("node_modules")),
                "{pat}: {got:?}"
            );
        }
        assert_eq!(
            run(&["*.log"], &t, &GlobOptions::default()),
            vec!["src/b.log"]
        );
        let all = GlobOptions {
            gitignore: false,
            ..Default::default()
        };
        assert_eq!(
            run(&["*.js"], &t, &all),
            vec!["node_modules/x/i.js", "src/a.js"]
        );
    }

    #[test]
    fn hidden_files_need_hidden_even_when_named() {
        let t = tree();
        assert!(run(&[".env"], &t, &GlobOptions::default()).is_empty());
        let opts = GlobOptions {
            hidden: true,
            ..Default::default()
        };
        assert_eq!(run(&[".env"], &t, &opts), vec![".env"]);
    }

    #[test]
    fn gitignore_toggle_and_limit() {
        let t = tree();
        let opts = GlobOptions {
            gitignore: false,
            limit: Some(2),
            ..Default::default()
        };
        assert_eq!(run(&["*.c"], &t, &opts), vec!["a.c", "build/out.c"]);
    }

    #[test]
    fn mtime_sort_newest_first() {
        let t = tree();
        let f = std::fs::File::options()
            .write(true)
            .open(t.path().join("src/x.c"))
            .unwrap();
        f.set_modified(SystemTime::now() + std::time::Duration::from_secs(60))
            .unwrap();
        let opts = GlobOptions {
            sort: GlobSort::Mtime,
            ..Default::default()
        };
        assert_eq!(run(&["*.c"], &t, &opts)[0], "src/x.c");
    }

    #[test]
    fn bad_pattern_is_invalid() {
        let t = tree();
        let err = glob(&["a[".into()], t.path(), &GlobOptions::default()).unwrap_err();
        assert!(matches!(err, Error::InvalidPattern(_)), "{err}");
        assert!("size".parse::<GlobSort>().is_err());
    }
}
