//! The one error type of the core. The pyo3 layer maps it to Python builtins in one place.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Everything the core can fail with.
#[derive(Debug)]
pub enum Error {
    /// An I/O error about `path`; the kind decides the Python exception.
    Io { path: PathBuf, source: io::Error },
    /// A root that must be a directory is something else.
    NotADirectory(PathBuf),
    /// A file was needed but `path` is a directory.
    IsADirectory(PathBuf),
    /// A regex or glob that does not compile; the message says where it is wrong.
    InvalidPattern(String),
    /// A bad argument value (e.g. an unknown sort key).
    InvalidArgument(String),
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn io(path: &Path, source: io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The path the error is about, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io { path, .. } | Error::NotADirectory(path) | Error::IsADirectory(path) => {
                Some(path)
            }
            Error::InvalidPattern(_) | Error::InvalidArgument(_) => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            Error::NotADirectory(path) => write!(f, "{}: Not a directory", path.display()),
            Error::IsADirectory(path) => write!(f, "{}: Is a directory", path.display()),
            Error::InvalidPattern(msg) | Error::InvalidArgument(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
