//! Finding and initialising the ONNX Runtime shared library, once per process.
//!
//! The library is loaded at run time (`ort`'s `load-dynamic`), so the binary builds and its
//! pure parts test without it. Search order, first hit wins:
//! 1. the path passed in (the `ort_library` setting),
//! 2. the `ORT_DYLIB_PATH` environment variable,
//! 3. `.cache/onnxruntime/libonnxruntime.so` under the current directory (where
//!    `scripts/setup.sh` puts it),
//! 4. `libonnxruntime.so` next to the executable,
//! 5. plain `libonnxruntime.so` through the system loader (`LD_LIBRARY_PATH`, ldconfig).
//!
//! A path given explicitly (1 or 2) that does not exist is an error rather than a reason to
//! keep looking: silently loading another copy would hide a configuration mistake.
//!
//! ONNX Runtime can be loaded only once per process; later calls return the first
//! [`Runtime`] whatever path they pass (with a warning when it differs).

use std::env;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ort::environment::Environment;
use ort::logging::LogLevel;

use crate::error::DetectError;

/// Environment variable naming the library file (the `ort` crate's convention).
pub const ORT_DYLIB_ENV: &str = "ORT_DYLIB_PATH";

/// Where `scripts/setup.sh` installs the library, relative to the project directory.
pub const PROJECT_LIBRARY_DIR: &str = ".cache/onnxruntime";

/// Where a library candidate came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LibrarySource {
    /// Passed in by the caller (the `ort_library` setting).
    Explicit,
    /// The `ORT_DYLIB_PATH` environment variable.
    EnvVar,
    /// `.cache/onnxruntime/` under the current directory.
    ProjectCache,
    /// The executable's directory.
    NextToExecutable,
    /// The bare file name, resolved by the system's dynamic loader.
    SystemLoader,
}

impl LibrarySource {
    fn describe(self) -> &'static str {
        match self {
            LibrarySource::Explicit => "ort_library setting",
            LibrarySource::EnvVar => ORT_DYLIB_ENV,
            LibrarySource::ProjectCache => "project cache",
            LibrarySource::NextToExecutable => "next to the executable",
            LibrarySource::SystemLoader => "system loader",
        }
    }

    /// Whether the user named this path, so that a miss is an error.
    fn is_explicit(self) -> bool {
        matches!(self, LibrarySource::Explicit | LibrarySource::EnvVar)
    }
}

/// One place the library may be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LibraryCandidate {
    pub source: LibrarySource,
    pub path: PathBuf,
}

/// The loaded ONNX Runtime: which file, which version, and the process-wide environment
/// sessions are created in.
pub struct Runtime {
    library: PathBuf,
    source: LibrarySource,
    version: Option<String>,
    environment: Environment,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("library", &self.library)
            .field("source", &self.source)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// The library file loaded (a bare file name when the system loader resolved it).
    pub fn library(&self) -> &Path {
        &self.library
    }

    /// Where the library path came from.
    pub fn source(&self) -> LibrarySource {
        self.source
    }

    /// ONNX Runtime's version, e.g. `1.22.0`, when the build reports it.
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    pub(crate) fn environment(&self) -> &Environment {
        &self.environment
    }
}

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
/// Serialises first-time loading; `RUNTIME` alone cannot hold a fallible initialiser.
static LOADING: Mutex<()> = Mutex::new(());

/// The bare library file name of this platform (`libonnxruntime.so` on Linux).
pub fn library_file_name() -> String {
    format!(
        "{}onnxruntime{}",
        env::consts::DLL_PREFIX,
        env::consts::DLL_SUFFIX
    )
}

/// The places searched, in order, for an `explicit` path (which may be `None`). Only the
/// first explicit entry (setting or environment variable) is listed when present, since
/// the search stops there.
pub fn library_candidates(explicit: Option<&Path>) -> Vec<LibraryCandidate> {
    let candidate = |source, path| LibraryCandidate { source, path };
    if let Some(path) = explicit {
        return vec![candidate(LibrarySource::Explicit, path.to_path_buf())];
    }
    if let Some(path) = env::var_os(ORT_DYLIB_ENV).filter(|p| !p.is_empty()) {
        return vec![candidate(LibrarySource::EnvVar, PathBuf::from(path))];
    }
    let name = library_file_name();
    let mut out = Vec::with_capacity(3);
    if let Ok(cwd) = env::current_dir() {
        out.push(candidate(
            LibrarySource::ProjectCache,
            cwd.join(PROJECT_LIBRARY_DIR).join(&name),
        ));
    }
    if let Some(dir) = env::current_exe().ok().as_deref().and_then(Path::parent) {
        out.push(candidate(LibrarySource::NextToExecutable, dir.join(&name)));
    }
    out.push(candidate(LibrarySource::SystemLoader, PathBuf::from(name)));
    out
}

/// The runtime if it is already loaded.
pub fn runtime() -> Option<&'static Runtime> {
    RUNTIME.get()
}

/// Loads ONNX Runtime (see the module docs for the search order) and creates the
/// process-wide environment. Returns the already loaded runtime on later calls.
pub fn init_runtime(library: Option<&Path>) -> Result<&'static Runtime, DetectError> {
    if let Some(rt) = RUNTIME.get() {
        warn_if_other(rt, library);
        return Ok(rt);
    }
    let _loading = LOADING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(rt) = RUNTIME.get() {
        warn_if_other(rt, library);
        return Ok(rt);
    }
    let runtime = load(library)?;
    tracing::info!(
        library = %runtime.library.display(),
        source = runtime.source.describe(),
        version = runtime.version.as_deref().unwrap_or("unknown"),
        "loaded ONNX Runtime"
    );
    Ok(RUNTIME.get_or_init(|| runtime))
}

fn warn_if_other(rt: &Runtime, requested: Option<&Path>) {
    if let Some(path) = requested
        && path != rt.library
    {
        tracing::warn!(
            requested = %path.display(),
            loaded = %rt.library.display(),
            "ONNX Runtime is already loaded from another file; it can be loaded only once per process"
        );
    }
}

fn load(explicit: Option<&Path>) -> Result<Runtime, DetectError> {
    let candidates = library_candidates(explicit);
    let tried = || {
        candidates
            .iter()
            .map(|c| format!("{} ({})", c.path.display(), c.source.describe()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for candidate in &candidates {
        let is_file = candidate.path.is_file();
        if candidate.source.is_explicit() && !is_file {
            return Err(DetectError::RuntimeNotFound { tried: tried() });
        }
        if !is_file && candidate.source != LibrarySource::SystemLoader {
            tracing::debug!(path = %candidate.path.display(), "no ONNX Runtime library here");
            continue;
        }
        return match ort::init_from(&candidate.path) {
            Ok(builder) => build_runtime(builder, candidate),
            // The bare name failing to resolve means it is not installed anywhere we looked.
            Err(ort::LoadDynamicError::Dlopen { .. }) if !is_file => {
                Err(DetectError::RuntimeNotFound { tried: tried() })
            }
            Err(e) => Err(DetectError::RuntimeLoad {
                path: candidate.path.clone(),
                reason: e.to_string(),
                min_minor: ort::MINOR_VERSION,
            }),
        };
    }
    Err(DetectError::RuntimeNotFound { tried: tried() })
}

fn build_runtime(
    builder: ort::environment::EnvironmentBuilder,
    candidate: &LibraryCandidate,
) -> Result<Runtime, DetectError> {
    let environment = builder
        .with_name("footfall")
        .with_logger(Arc::new(forward_ort_log))
        .build()
        .map_err(DetectError::RuntimeInit)?;
    // ONNX Runtime starts the custom logger at verbose; only warnings and worse are wanted.
    environment.set_log_level(LogLevel::Warning);
    Ok(Runtime {
        library: candidate.path.clone(),
        source: candidate.source,
        version: version(&candidate.path),
        environment,
    })
}

/// Routes ONNX Runtime's own log lines into `tracing` instead of its default stderr printer.
fn forward_ort_log(level: LogLevel, category: &str, id: &str, location: &str, message: &str) {
    match level {
        LogLevel::Verbose => {
            tracing::trace!(target: "onnxruntime", category, id, location, "{message}")
        }
        LogLevel::Info => {
            tracing::debug!(target: "onnxruntime", category, id, location, "{message}")
        }
        LogLevel::Warning => {
            tracing::warn!(target: "onnxruntime", category, id, location, "{message}")
        }
        LogLevel::Error | LogLevel::Fatal => {
            tracing::error!(target: "onnxruntime", category, id, location, "{message}")
        }
    }
}

/// The version from the build info (`git-branch=rel-1.22.0`), else from a versioned file name
/// (`libonnxruntime.so.1.22.0`, following symlinks).
fn version(library: &Path) -> Option<String> {
    version_from_build_info(ort::info()).or_else(|| {
        let resolved = std::fs::canonicalize(library).unwrap_or_else(|_| library.to_path_buf());
        version_from_file_name(resolved.file_name()?.to_str()?)
    })
}

fn version_from_build_info(info: &str) -> Option<String> {
    let branch = info
        .split([',', ' '])
        .find_map(|field| field.trim().strip_prefix("git-branch="))?;
    let v = branch.strip_prefix("rel-").unwrap_or(branch);
    is_version(v).then(|| v.to_string())
}

fn version_from_file_name(name: &str) -> Option<String> {
    let (_, v) = name
        .split_once(".so.")
        .or_else(|| name.strip_suffix(".dylib")?.split_once('.'))?;
    is_version(v).then(|| v.to_string())
}

fn is_version(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() >= 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_build_info_and_file_names() {
        let info = "ORT Build Info: git-branch=rel-1.22.0, git-commit-id=abc, build type=Release";
        assert_eq!(version_from_build_info(info).as_deref(), Some("1.22.0"));
        assert_eq!(version_from_build_info("git-branch=main, x"), None);
        assert_eq!(
            version_from_file_name("libonnxruntime.so.1.32.0").as_deref(),
            Some("1.32.0")
        );
        assert_eq!(
            version_from_file_name("libonnxruntime.1.20.1.dylib").as_deref(),
            Some("1.20.1")
        );
        assert_eq!(version_from_file_name("libonnxruntime.so"), None);
    }

    #[test]
    fn explicit_path_is_the_only_candidate() {
        let c = library_candidates(Some(Path::new("/opt/ort/libonnxruntime.so")));
        assert_eq!(
            c,
            [LibraryCandidate {
                source: LibrarySource::Explicit,
                path: "/opt/ort/libonnxruntime.so".into()
            }]
        );
    }

    #[test]
    fn search_ends_with_the_system_loader() {
        // Without an explicit path the list depends on ORT_DYLIB_PATH; either way the last
        // entry is where loading is attempted last.
        let c = library_candidates(None);
        let last = c.last().unwrap();
        if env::var_os(ORT_DYLIB_ENV).is_some_and(|v| !v.is_empty()) {
            assert_eq!(last.source, LibrarySource::EnvVar);
        } else {
            assert_eq!(last.source, LibrarySource::SystemLoader);
            assert_eq!(last.path, PathBuf::from(library_file_name()));
            assert_eq!(c[0].source, LibrarySource::ProjectCache);
            assert!(c[0].path.ends_with(".cache/onnxruntime/libonnxruntime.so"));
        }
    }

    #[test]
    fn missing_explicit_library_is_not_found_with_setup_advice() {
        // Does not touch the process-wide runtime: the miss is detected before loading.
        let err = load(Some(Path::new("/nonexistent/libonnxruntime.so"))).unwrap_err();
        assert!(
            matches!(err, DetectError::RuntimeNotFound { .. }),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.contains("/nonexistent/libonnxruntime.so"), "{msg}");
        assert!(
            msg.contains("scripts/setup.sh") && msg.contains("pip install onnxruntime"),
            "{msg}"
        );
        assert!(msg.contains("ORT_DYLIB_PATH"), "{msg}");
    }
}
