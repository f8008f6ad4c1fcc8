//! File globbing with ripgrep `-g` semantics over a gitignore-aware walk.

use std::ffi::OsString;
use std::path::Path;
use std::time::SystemTime;

use crate::error::{Error, Result};
use crate::walk::{
    check_dir_root, is_file, parallel_collect, relative, sort_paths, walk_builder, WalkOptions,
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
    let builder = walk_builder(root, &walk_opts)?;
    if patterns.is_empty() || patterns.iter().all(|p| p.starts_with('!')) {
        // No whitelist glob: nothing is asked for.
        return Ok(Vec::new());
    }
    // As with `rg -g`, a glob naming a hidden file would list it; `hidden=false` means no
    // hidden files at all, so drop any path with a dot component.
    let visible = |rel: &OsString| {
        opts.hidden
            || !Path::new(rel)
                .components()
                .any(|c| c.as_os_str().as_encoded_bytes().first() == Some(&b'.'))
    };
    let mut paths = match opts.sort {
        GlobSort::Path => {
            let mut paths = parallel_collect(&builder, |entry| {
                is_file(&entry)
                    .then(|| relative(root, entry.path()))
                    .filter(|rel| visible(rel))
            });
            sort_paths(&mut paths);
            paths
        }
        GlobSort::Mtime => {
            let mut items = parallel_collect(&builder, |entry| {
                if !is_file(&entry) {
                    return None;
                }
                let mtime = entry
                    .metadata()
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .unwrap_or(SystemTime::UNIX_EPOCH);
                let rel = relative(root, entry.path());
                visible(&rel).then_some((mtime, rel))
            });
            items.sort_unstable_by(|a, b| {
                b.0.cmp(&a.0)
                    .then_with(|| a.1.as_encoded_bytes().cmp(b.1.as_encoded_bytes()))
            });
            items.into_iter().map(|(_, p)| p).collect()
        }
    };
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
