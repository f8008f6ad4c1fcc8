//! The thin pyo3 layer: argument conversion, GIL release, result classes, error mapping.

use std::borrow::Cow;
use std::ffi::OsString;
use std::path::PathBuf;

use pyo3::exceptions::{
    PyFileNotFoundError, PyIsADirectoryError, PyNotADirectoryError, PyOSError, PyPermissionError,
    PyValueError,
};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};

use crate::error::Error;
use crate::glob::{GlobOptions, GlobSort};
use crate::grep::GrepOptions;
use crate::path_index::PathIndex as CorePathIndex;
use crate::walk::WalkOptions;
use crate::{
    diff as core_diff, fuzzy, glob as core_glob, grep as core_grep, inspect, walk as core_walk,
};

/// Maps a core error to the matching Python builtin; the one place where this happens.
fn to_py_err(err: Error) -> PyErr {
    use std::io::ErrorKind;
    let filename = err.path().map(|p| p.as_os_str().to_os_string());
    match err {
        Error::Io { source, .. } => {
            let strerror = strerror(&source);
            macro_rules! raise {
                ($exc:ty) => {
                    match source.raw_os_error() {
                        Some(errno) => <$exc>::new_err((errno, strerror, filename)),
                        None => <$exc>::new_err(match filename {
                            Some(f) => format!("{}: {}", f.to_string_lossy(), strerror),
                            None => strerror,
                        }),
                    }
                };
            }
            match source.kind() {
                ErrorKind::NotFound => raise!(PyFileNotFoundError),
                ErrorKind::PermissionDenied => raise!(PyPermissionError),
                ErrorKind::NotADirectory => raise!(PyNotADirectoryError),
                ErrorKind::IsADirectory => raise!(PyIsADirectoryError),
                _ => raise!(PyOSError),
            }
        }
        Error::NotADirectory(_) => {
            PyNotADirectoryError::new_err((ENOTDIR, "Not a directory", filename))
        }
        Error::IsADirectory(_) => {
            PyIsADirectoryError::new_err((EISDIR, "Is a directory", filename))
        }
        Error::InvalidPattern(msg) | Error::InvalidArgument(msg) => PyValueError::new_err(msg),
    }
}

#[cfg(unix)]
const ENOTDIR: i32 = 20;
#[cfg(unix)]
const EISDIR: i32 = 21;
#[cfg(not(unix))]
const ENOTDIR: i32 = 267; // ERROR_DIRECTORY
#[cfg(not(unix))]
const EISDIR: i32 = 5; // ERROR_ACCESS_DENIED, what Windows reports

/// The OS message without Rust's " (os error N)" suffix.
fn strerror(err: &std::io::Error) -> String {
    let text = err.to_string();
    match text.rfind(" (os error ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[pyclass(frozen, get_all, module = "codesm._native")]
pub struct GrepMatch {
    path: Py<PyString>,
    line_number: u64,
    column: u64,
    line: String,
    line_truncated: bool,
    spans: Vec<(usize, usize)>,
    before: Vec<(u64, String)>,
    after: Vec<(u64, String)>,
}

#[pymethods]
impl GrepMatch {
    fn __repr__(&self) -> String {
        format!(
            "GrepMatch(path={:?}, line_number={}, line={:?})",
            self.path.to_string(),
            self.line_number,
            self.line
        )
    }
}

#[pyclass(frozen, get_all, module = "codesm._native")]
pub struct GrepResult {
    matches: Py<PyList>,
    files: Py<PyList>,
    truncated: bool,
    files_searched: u64,
}

#[pymethods]
impl GrepResult {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "GrepResult(matches=<{}>, files=<{}>, truncated={}, files_searched={})",
            self.matches.bind(py).len(),
            self.files.bind(py).len(),
            if self.truncated { "True" } else { "False" },
            self.files_searched
        )
    }
}

#[pyclass(frozen, get_all, module = "codesm._native")]
pub struct FuzzyMatch {
    path: Py<PyString>,
    score: u32,
    positions: Vec<u32>,
}

#[pymethods]
impl FuzzyMatch {
    fn __repr__(&self) -> String {
        format!(
            "FuzzyMatch(path={:?}, score={}, positions={:?})",
            self.path.to_string(),
            self.score,
            self.positions
        )
    }
}

#[pyclass(frozen, get_all, module = "codesm._native")]
pub struct DiffLine {
    tag: &'static str,
    text: String,
    old_lineno: Option<usize>,
    new_lineno: Option<usize>,
}

#[pyclass(frozen, get_all, module = "codesm._native")]
pub struct Hunk {
    old_start: usize,
    old_len: usize,
    new_start: usize,
    new_len: usize,
    lines: Py<PyList>,
    header: String,
}

#[pyclass(frozen, get_all, module = "codesm._native")]
pub struct Diff {
    unified: String,
    hunks: Py<PyList>,
    added: usize,
    removed: usize,
}

#[pyclass(frozen, get_all, module = "codesm._native")]
pub struct FileInfo {
    size: u64,
    is_binary: bool,
    encoding: &'static str,
    line_ending: &'static str,
    line_count: u64,
}

#[pymethods]
impl FileInfo {
    fn __repr__(&self) -> String {
        format!(
            "FileInfo(size={}, is_binary={}, encoding={:?}, line_ending={:?}, line_count={})",
            self.size,
            if self.is_binary { "True" } else { "False" },
            self.encoding,
            self.line_ending,
            self.line_count
        )
    }
}

#[pyfunction]
#[pyo3(signature = (root, *, hidden=false, gitignore=true, max_depth=None, follow_links=false, globs=None))]
fn walk(
    py: Python<'_>,
    root: PathBuf,
    hidden: bool,
    gitignore: bool,
    max_depth: Option<usize>,
    follow_links: bool,
    globs: Option<Vec<String>>,
) -> PyResult<Vec<OsString>> {
    let opts = WalkOptions {
        hidden,
        gitignore,
        max_depth,
        follow_links,
        globs: globs.unwrap_or_default(),
        threads: 0,
    };
    py.detach(|| core_walk::walk(&root, &opts))
        .map_err(to_py_err)
}

#[pyfunction]
#[pyo3(signature = (root, *, hidden=false, gitignore=true, follow_links=false))]
fn list_level(
    py: Python<'_>,
    root: PathBuf,
    hidden: bool,
    gitignore: bool,
    follow_links: bool,
) -> PyResult<(Vec<OsString>, Vec<OsString>)> {
    let opts = WalkOptions {
        hidden,
        gitignore,
        follow_links,
        ..WalkOptions::default()
    };
    py.detach(|| core_walk::list_level(&root, &opts))
        .map_err(to_py_err)
}

#[pyfunction]
#[pyo3(signature = (
    pattern, root, *, fixed=false, ignore_case=false, smart_case=false, word=false, globs=None,
    hidden=false, gitignore=true, max_count=None, before=0, after=0, files_with_matches=false,
    max_results=None, max_line_len=2000, threads=0,
))]
#[allow(clippy::too_many_arguments)]
fn grep(
    py: Python<'_>,
    pattern: &str,
    root: PathBuf,
    fixed: bool,
    ignore_case: bool,
    smart_case: bool,
    word: bool,
    globs: Option<Vec<String>>,
    hidden: bool,
    gitignore: bool,
    max_count: Option<u64>,
    before: usize,
    after: usize,
    files_with_matches: bool,
    max_results: Option<usize>,
    max_line_len: usize,
    threads: usize,
) -> PyResult<GrepResult> {
    let opts = GrepOptions {
        fixed,
        ignore_case,
        smart_case,
        word,
        walk: WalkOptions {
            hidden,
            gitignore,
            globs: globs.unwrap_or_default(),
            threads,
            ..WalkOptions::default()
        },
        max_count,
        before,
        after,
        files_with_matches,
        max_results,
        max_line_len,
    };
    let out = py
        .detach(|| core_grep::grep(pattern, &root, &opts))
        .map_err(to_py_err)?;
    let mut matches = Vec::with_capacity(out.match_count());
    let mut files = Vec::with_capacity(out.files.len());
    for file in out.files {
        let path = file.path.into_pyobject(py)?.unbind();
        for m in file.matches {
            matches.push(Py::new(
                py,
                GrepMatch {
                    path: path.clone_ref(py),
                    line_number: m.line_number,
                    column: m.column,
                    line: m.line,
                    line_truncated: m.line_truncated,
                    spans: m.spans,
                    before: m.before,
                    after: m.after,
                },
            )?);
        }
        files.push(path);
    }
    Ok(GrepResult {
        matches: PyList::new(py, matches)?.unbind(),
        files: PyList::new(py, files)?.unbind(),
        truncated: out.truncated,
        files_searched: out.files_searched,
    })
}

/// `str | Sequence[str]` as a list of strings.
fn one_or_many(obj: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(vec![s.to_str()?.to_owned()]);
    }
    obj.extract()
}

#[pyfunction]
#[pyo3(signature = (patterns, root, *, gitignore=true, hidden=false, sort="path", limit=None))]
fn glob(
    py: Python<'_>,
    patterns: &Bound<'_, PyAny>,
    root: PathBuf,
    gitignore: bool,
    hidden: bool,
    sort: &str,
    limit: Option<usize>,
) -> PyResult<Vec<OsString>> {
    let patterns = one_or_many(patterns)?;
    let opts = GlobOptions {
        gitignore,
        hidden,
        sort: sort.parse::<GlobSort>().map_err(to_py_err)?,
        limit,
    };
    py.detach(|| core_glob::glob(&patterns, &root, &opts))
        .map_err(to_py_err)
}

#[pyfunction]
#[pyo3(signature = (query, root_or_paths, *, limit=50))]
fn fuzzy_find(
    py: Python<'_>,
    query: &str,
    root_or_paths: &Bound<'_, PyAny>,
    limit: usize,
) -> PyResult<Vec<FuzzyMatch>> {
    let hits;
    let mut paths: Vec<Py<PyString>> = Vec::new();
    if let Ok(root) = root_or_paths.cast::<PyString>() {
        let root: PathBuf = root.extract()?;
        let (walked, found) = py
            .detach(|| -> crate::Result<_> {
                let walked = core_walk::walk(&root, &WalkOptions::new())?;
                let texts: Vec<String> = walked
                    .iter()
                    .map(|p| fuzzy::per_byte_lossy(p.as_encoded_bytes()))
                    .collect();
                let hits = fuzzy::fuzzy_rank(&texts, query, limit);
                Ok((walked, hits))
            })
            .map_err(to_py_err)?;
        hits = found;
        for hit in &hits {
            paths.push(walked[hit.index].as_os_str().into_pyobject(py)?.unbind());
        }
    } else {
        let items: Vec<Bound<'_, PyString>> = root_or_paths.extract()?;
        // Borrow the UTF-8 of each str (kept alive by `items`); only names with surrogate
        // escapes are copied.
        let mut texts: Vec<Cow<'_, str>> = Vec::with_capacity(items.len());
        for item in &items {
            texts.push(match item.to_str() {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => {
                    let raw: OsString = item.extract()?;
                    Cow::Owned(fuzzy::per_byte_lossy(raw.as_encoded_bytes()))
                }
            });
        }
        hits = py.detach(|| fuzzy::fuzzy_rank(&texts, query, limit));
        for hit in &hits {
            paths.push(items[hit.index].clone().unbind());
        }
    }
    Ok(hits
        .into_iter()
        .zip(paths)
        .map(|(hit, path)| FuzzyMatch {
            path,
            score: hit.score,
            positions: hit.positions,
        })
        .collect())
}

/// A workspace's paths held in Rust for fuzzy finding per keystroke (see `path_index`).
#[pyclass(frozen, name = "PathIndex", module = "codesm._native")]
pub struct PyPathIndex {
    inner: CorePathIndex,
}

#[pymethods]
impl PyPathIndex {
    #[new]
    fn new(py: Python<'_>, paths: Vec<OsString>) -> Self {
        PyPathIndex {
            inner: py.detach(|| CorePathIndex::new(paths)),
        }
    }

    #[staticmethod]
    fn from_root(py: Python<'_>, root: PathBuf) -> PyResult<Self> {
        let inner = py
            .detach(|| CorePathIndex::from_root(&root))
            .map_err(to_py_err)?;
        Ok(PyPathIndex { inner })
    }

    #[pyo3(signature = (query, *, limit=50))]
    fn find(&self, py: Python<'_>, query: &str, limit: usize) -> PyResult<Vec<FuzzyMatch>> {
        let hits = py.detach(|| self.inner.find(query, limit));
        hits.into_iter()
            .map(|hit| {
                let path = self.inner.path(hit.index).into_pyobject(py)?.unbind();
                Ok(FuzzyMatch {
                    path,
                    score: hit.score,
                    positions: hit.positions,
                })
            })
            .collect()
    }

    fn __len__(&self) -> usize {
        self.inner.len()
    }

    fn __repr__(&self) -> String {
        format!("PathIndex(<{} paths>)", self.inner.len())
    }
}

#[pyfunction]
#[pyo3(signature = (old, new, *, context=3, old_label="a", new_label="b"))]
fn diff(
    py: Python<'_>,
    old: &str,
    new: &str,
    context: usize,
    old_label: &str,
    new_label: &str,
) -> PyResult<Diff> {
    let d = py.detach(|| core_diff::diff(old, new, context, old_label, new_label));
    let mut hunks = Vec::with_capacity(d.hunks.len());
    for h in d.hunks {
        let mut lines = Vec::with_capacity(h.lines.len());
        for l in h.lines {
            lines.push(Py::new(
                py,
                DiffLine {
                    tag: l.tag.as_str(),
                    text: l.text,
                    old_lineno: l.old_lineno,
                    new_lineno: l.new_lineno,
                },
            )?);
        }
        hunks.push(Py::new(
            py,
            Hunk {
                old_start: h.old_start,
                old_len: h.old_len,
                new_start: h.new_start,
                new_len: h.new_len,
                lines: PyList::new(py, lines)?.unbind(),
                header: h.header,
            },
        )?);
    }
    Ok(Diff {
        unified: d.unified,
        hunks: PyList::new(py, hunks)?.unbind(),
        added: d.added,
        removed: d.removed,
    })
}

#[pyfunction]
fn inspect_file(py: Python<'_>, path: PathBuf) -> PyResult<FileInfo> {
    let info = py
        .detach(|| inspect::inspect_file(&path))
        .map_err(to_py_err)?;
    Ok(FileInfo {
        size: info.size,
        is_binary: info.is_binary,
        encoding: info.encoding.as_str(),
        line_ending: info.line_ending.as_str(),
        line_count: info.line_count,
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.setattr("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<GrepMatch>()?;
    m.add_class::<GrepResult>()?;
    m.add_class::<FuzzyMatch>()?;
    m.add_class::<PyPathIndex>()?;
    m.add_class::<DiffLine>()?;
    m.add_class::<Hunk>()?;
    m.add_class::<Diff>()?;
    m.add_class::<FileInfo>()?;
    m.add_function(wrap_pyfunction!(walk, m)?)?;
    m.add_function(wrap_pyfunction!(list_level, m)?)?;
    m.add_function(wrap_pyfunction!(grep, m)?)?;
    m.add_function(wrap_pyfunction!(glob, m)?)?;
    m.add_function(wrap_pyfunction!(fuzzy_find, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(inspect_file, m)?)?;
    Ok(())
}
