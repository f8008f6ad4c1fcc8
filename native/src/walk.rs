//! Gitignore-aware parallel directory walking, with ripgrep's defaults.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::path::Path;
use std::sync::{Arc, Mutex};

use ignore::overrides::{Override, OverrideBuilder};
use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

use crate::error::{Error, Result};

/// How to walk a tree. `Default` matches `rg --files`.
#[derive(Debug, Clone, Default)]
pub struct WalkOptions {
    /// Include hidden files and directories (dot files).
    pub hidden: bool,
    /// Honour `.gitignore`, `.ignore`, `.rgignore`, `.git/info/exclude` and the global gitignore.
    /// `Default` gives `false`; use [`WalkOptions::new`] for ripgrep's defaults.
    pub gitignore: bool,
    /// Descend at most this many levels (the root's children are depth 1).
    pub max_depth: Option<usize>,
    /// Follow symbolic links.
    pub follow_links: bool,
    /// ripgrep `-g` globs; a leading `!` excludes.
    pub globs: Vec<String>,
    /// Worker threads; 0 picks a number from the CPU count.
    pub threads: usize,
}

impl WalkOptions {
    /// ripgrep's defaults: gitignore on, hidden files skipped.
    pub fn new() -> Self {
        WalkOptions {
            gitignore: true,
            ..Default::default()
        }
    }
}

/// Maps an I/O error on `path` into the core error.
fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::io(path, e)
}

/// Checks that `root` exists, is a directory and can be listed.
pub fn check_dir_root(root: &Path) -> Result<()> {
    let meta = fs::metadata(root).map_err(io_err(root))?;
    if !meta.is_dir() {
        return Err(Error::NotADirectory(root.to_path_buf()));
    }
    fs::read_dir(root).map_err(io_err(root))?;
    Ok(())
}

/// Builds ripgrep-style overrides (`-g` globs) rooted at `root`.
pub fn build_overrides(root: &Path, globs: &[String]) -> Result<Override> {
    let mut builder = OverrideBuilder::new(root);
    for glob in globs {
        builder
            .add(glob)
            .map_err(|e| Error::InvalidPattern(e.to_string()))?;
    }
    builder
        .build()
        .map_err(|e| Error::InvalidPattern(e.to_string()))
}

/// Whether `root` is in a git work tree (it or an ancestor holds `.git`).
fn inside_git_repo(root: &Path) -> bool {
    let Ok(abs) = root.canonicalize() else {
        return false;
    };
    abs.ancestors().any(|dir| dir.join(".git").exists())
}

/// A `WalkBuilder` configured like ripgrep for `opts`; `.git` directories are always skipped.
pub fn walk_builder(root: &Path, opts: &WalkOptions) -> Result<WalkBuilder> {
    walk_builder_filtered(root, opts, |_| true)
}

/// Like [`walk_builder`], with `keep` as an extra entry filter (return `false` to prune).
pub fn walk_builder_filtered<F>(root: &Path, opts: &WalkOptions, keep: F) -> Result<WalkBuilder>
where
    F: Fn(&DirEntry) -> bool + Send + Sync + 'static,
{
    let mut builder = WalkBuilder::new(root);
    let gi = opts.gitignore;
    // Inside a git repository, require git so that a nested repository's files are governed by
    // its own rules only (as git and ripgrep 13 do); outside one, still honour `.gitignore`.
    let require_git = gi && inside_git_repo(root);
    builder
        .hidden(!opts.hidden)
        .parents(gi)
        .ignore(gi)
        .git_ignore(gi)
        .git_global(gi)
        .git_exclude(gi)
        .require_git(require_git)
        .follow_links(opts.follow_links)
        .max_depth(opts.max_depth)
        .threads(opts.threads)
        .filter_entry(move |entry| {
            !(entry.file_name() == OsStr::new(".git")
                && entry.file_type().is_some_and(|ft| ft.is_dir()))
                && keep(entry)
        });
    if gi {
        builder.add_custom_ignore_filename(".rgignore");
    }
    if !opts.globs.is_empty() {
        builder.overrides(build_overrides(root, &opts.globs)?);
    }
    Ok(builder)
}

/// Whether a walked entry is a regular file (the target's type when links are followed).
pub fn is_file(entry: &DirEntry) -> bool {
    entry.file_type().is_some_and(|ft| ft.is_file())
}

/// The path of `path` relative to `root`, with `/` separators. A `path` equal to `root` (a file
/// given as root) yields its file name.
pub fn relative(root: &Path, path: &Path) -> OsString {
    let rel = match path.strip_prefix(root) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel,
        _ => return path.file_name().unwrap_or(path.as_os_str()).to_os_string(),
    };
    #[cfg(windows)]
    {
        let s = rel.to_string_lossy().replace('\\', "/");
        OsString::from(s)
    }
    #[cfg(not(windows))]
    {
        rel.as_os_str().to_os_string()
    }
}

/// Sorts paths by their bytes (ripgrep's `--sort path` order).
pub fn sort_paths(paths: &mut [OsString]) {
    paths.sort_unstable_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
}

struct Collector<T, F> {
    local: Vec<T>,
    sink: Arc<Mutex<Vec<Vec<T>>>>,
    map: Arc<F>,
}

impl<T: Send, F: Fn(DirEntry) -> Option<T> + Send + Sync> ParallelVisitor for Collector<T, F> {
    fn visit(&mut self, entry: std::result::Result<DirEntry, ignore::Error>) -> WalkState {
        // Errors on single entries (unreadable dirs, broken links, link loops) are skipped like
        // ripgrep does; they never abort the walk.
        if let Ok(entry) = entry {
            if let Some(item) = (self.map)(entry) {
                self.local.push(item);
            }
        }
        WalkState::Continue
    }
}

impl<T, F> Drop for Collector<T, F> {
    fn drop(&mut self) {
        let local = std::mem::take(&mut self.local);
        if !local.is_empty() {
            if let Ok(mut sink) = self.sink.lock() {
                sink.push(local);
            }
        }
    }
}

struct CollectorBuilder<T, F> {
    sink: Arc<Mutex<Vec<Vec<T>>>>,
    map: Arc<F>,
}

impl<'s, T: Send + 's, F: Fn(DirEntry) -> Option<T> + Send + Sync + 's> ParallelVisitorBuilder<'s>
    for CollectorBuilder<T, F>
{
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Collector {
            local: Vec::with_capacity(1024),
            sink: Arc::clone(&self.sink),
            map: Arc::clone(&self.map),
        })
    }
}

/// Trees with at most this many entries are walked on the calling thread: starting the parallel
/// walker's threads costs more than walking a small tree.
const SMALL_TREE: usize = 512;

/// The entries of a small tree, walked sequentially; `None` once the tree turns out bigger than
/// [`SMALL_TREE`] entries (the caller then walks in parallel; the probe costs well under 1 ms).
pub fn small_walk(builder: &WalkBuilder) -> Option<Vec<DirEntry>> {
    let mut out = Vec::new();
    for (i, entry) in builder.build().enumerate() {
        if i >= SMALL_TREE {
            return None;
        }
        if let Ok(entry) = entry {
            out.push(entry);
        }
    }
    Some(out)
}

/// Walks (in parallel unless the tree is small) and collects `map(entry)` for every entry where
/// it returns `Some`, in no particular order.
pub fn parallel_collect<T, F>(builder: &WalkBuilder, map: F) -> Vec<T>
where
    T: Send,
    F: Fn(DirEntry) -> Option<T> + Send + Sync,
{
    if let Some(entries) = small_walk(builder) {
        return entries.into_iter().filter_map(map).collect();
    }
    let sink = Arc::new(Mutex::new(Vec::new()));
    {
        let mut visitors = CollectorBuilder {
            sink: Arc::clone(&sink),
            map: Arc::new(map),
        };
        builder.build_parallel().visit(&mut visitors);
    }
    let chunks = match Arc::try_unwrap(sink) {
        Ok(mutex) => mutex.into_inner().unwrap_or_else(|e| e.into_inner()),
        Err(arc) => std::mem::take(&mut *arc.lock().unwrap_or_else(|e| e.into_inner())),
    };
    let total = chunks.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    for chunk in chunks {
        out.extend(chunk);
    }
    out
}

/// Files under `root` (not directories), relative to it and sorted by their bytes.
pub fn walk(root: &Path, opts: &WalkOptions) -> Result<Vec<OsString>> {
    check_dir_root(root)?;
    let builder = walk_builder(root, opts)?;
    let mut paths = parallel_collect(&builder, |entry| {
        if is_file(&entry) {
            Some(relative(root, entry.path()))
        } else {
            None
        }
    });
    sort_paths(&mut paths);
    Ok(paths)
}

/// The folders and files directly inside `root` (one level, not recursive), each relative to it
/// and sorted by their bytes. Ignore rules apply as in [`walk`], including `root`'s own and its
/// parents' ignore files; a folder is listed when it is not ignored itself, even if everything
/// inside it is. Symbolic links are listed only when `opts.follow_links` is set.
pub fn list_level(root: &Path, opts: &WalkOptions) -> Result<(Vec<OsString>, Vec<OsString>)> {
    check_dir_root(root)?;
    let level = WalkOptions {
        max_depth: Some(1),
        ..opts.clone()
    };
    let builder = walk_builder(root, &level)?;
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    // One level is a single directory read; the parallel walker's threads would only add cost.
    for entry in builder.build().flatten() {
        if entry.depth() == 0 {
            continue;
        }
        match entry.file_type() {
            Some(ft) if ft.is_dir() => dirs.push(relative(root, entry.path())),
            Some(ft) if ft.is_file() => files.push(relative(root, entry.path())),
            _ => {}
        }
    }
    sort_paths(&mut dirs);
    sort_paths(&mut files);
    Ok((dirs, files))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::path::PathBuf;

    /// A scratch directory removed on drop.
    pub struct TempDir(pub PathBuf);

    impl TempDir {
        pub fn new(tag: &str) -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "codesm-native-{}-{}-{}",
                tag,
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            TempDir(dir)
        }

        pub fn write(&self, rel: &str, content: &[u8]) -> PathBuf {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, content).unwrap();
            path
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn names(paths: Vec<OsString>) -> Vec<String> {
        paths
            .into_iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    fn tree() -> TempDir {
        let t = TempDir::new("walk");
        t.write("b.txt", b"b");
        t.write("a/x.rs", b"x");
        t.write("a/y.log", b"y");
        t.write(".hidden/h.txt", b"h");
        t.write(".dot", b"d");
        t.write(".gitignore", b"*.log\nignored/\n!keep.log\n");
        t.write("ignored/z.txt", b"z");
        t.write("keep.log", b"k");
        t.write(".git/config", b"c");
        t
    }

    #[test]
    fn default_honours_gitignore_and_skips_hidden() {
        let t = tree();
        let got = names(walk(t.path(), &WalkOptions::new()).unwrap());
        assert_eq!(got, vec!["a/x.rs", "b.txt", "keep.log"]);
    }

    #[test]
    fn hidden_includes_dotfiles_but_never_dot_git() {
        let t = tree();
        let opts = WalkOptions {
            hidden: true,
            ..WalkOptions::new()
        };
        let got = names(walk(t.path(), &opts).unwrap());
        assert_eq!(
            got,
            vec![
                ".dot",
                ".gitignore",
                ".hidden/h.txt",
                "a/x.rs",
                "b.txt",
                "keep.log"
            ]
        );
    }

    #[test]
    fn no_gitignore_lists_everything_visible() {
        let t = tree();
        let opts = WalkOptions::default();
        let got = names(walk(t.path(), &opts).unwrap());
        assert_eq!(
            got,
            vec!["a/x.rs", "a/y.log", "b.txt", "ignored/z.txt", "keep.log"]
        );
    }

    #[test]
    fn globs_include_and_exclude() {
        let t = tree();
        let opts = WalkOptions {
            globs: vec!["*.rs".into(), "*.txt".into(), "!b.txt".into()],
            ..WalkOptions::new()
        };
        assert_eq!(names(walk(t.path(), &opts).unwrap()), vec!["a/x.rs"]);
    }

    #[test]
    fn max_depth_limits() {
        let t = tree();
        let opts = WalkOptions {
            max_depth: Some(1),
            ..WalkOptions::new()
        };
        assert_eq!(
            names(walk(t.path(), &opts).unwrap()),
            vec!["b.txt", "keep.log"]
        );
    }

    #[test]
    fn list_level_lists_one_level_with_the_same_ignore_rules() {
        let t = tree();
        t.write("a/deep/er/f.txt", b"f");
        t.write("only_ignored/x.log", b"x");
        let (dirs, files) = list_level(t.path(), &WalkOptions::new()).unwrap();
        assert_eq!(names(dirs), vec!["a", "only_ignored"]);
        assert_eq!(names(files), vec!["b.txt", "keep.log"]);
        t.write("a/.gitignore", b"deep/\n");
        let (dirs, files) = list_level(&t.path().join("a"), &WalkOptions::new()).unwrap();
        assert!(dirs.is_empty());
        assert_eq!(names(files), vec!["x.rs"]);
    }

    #[test]
    fn errors() {
        let t = tree();
        let missing = t.path().join("nope");
        match walk(&missing, &WalkOptions::new()) {
            Err(Error::Io { source, .. }) => {
                assert_eq!(source.kind(), std::io::ErrorKind::NotFound)
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            walk(&t.path().join("b.txt"), &WalkOptions::new()),
            Err(Error::NotADirectory(_))
        ));
        let bad = WalkOptions {
            globs: vec!["a[".into()],
            ..WalkOptions::new()
        };
        assert!(matches!(
            walk(t.path(), &bad),
            Err(Error::InvalidPattern(_))
        ));
    }

    #[test]
    fn big_tree_takes_the_parallel_path() {
        let t = TempDir::new("walk-big");
        let mut want = Vec::new();
        for d in 0..30 {
            for f in 0..25 {
                let rel = format!("d{d:02}/f{f:02}.txt");
                t.write(&rel, b"x");
                want.push(rel);
            }
        }
        t.write(".gitignore", b"f13.txt\n");
        want.retain(|p| !p.ends_with("f13.txt"));
        want.sort();
        let builder = walk_builder(t.path(), &WalkOptions::new()).unwrap();
        assert!(small_walk(&builder).is_none());
        assert_eq!(names(walk(t.path(), &WalkOptions::new()).unwrap()), want);
    }

    #[test]
    fn nested_repository_is_not_governed_by_outer_rules() {
        let t = TempDir::new("walk-nested");
        t.write(".git/HEAD", b"ref: refs/heads/main\n");
        t.write(".gitignore", b"*.log\n");
        t.write("a.log", b"");
        t.write("inner/.git/HEAD", b"ref: refs/heads/main\n");
        t.write("inner/a.log", b"");
        let got = names(walk(t.path(), &WalkOptions::new()).unwrap());
        assert_eq!(got, vec!["inner/a.log"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loop_does_not_hang() {
        let t = tree();
        std::os::unix::fs::symlink(t.path(), t.path().join("a/loop")).unwrap();
        let opts = WalkOptions {
            follow_links: true,
            ..WalkOptions::new()
        };
        let got = names(walk(t.path(), &opts).unwrap());
        assert_eq!(got, vec!["a/x.rs", "b.txt", "keep.log"]);
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_names_survive() {
        use std::os::unix::ffi::OsStrExt;
        let t = TempDir::new("walk-bytes");
        let name = OsStr::from_bytes(b"caf\xe9.txt");
        fs::write(t.path().join(name), b"x").unwrap();
        let got = walk(t.path(), &WalkOptions::new()).unwrap();
        assert_eq!(got, vec![name.to_os_string()]);
    }
}
