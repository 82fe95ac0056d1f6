//! Opening an ONNX model as a session, and describing its inputs and outputs (for
//! `footfall doctor`).

use std::path::{Path, PathBuf};

use ort::ErrorCode;
use ort::session::Session;
use ort::value::{Outlet, ValueType};

use crate::error::DetectError;
use crate::layout::{OutputLayout, detect_layout};
use crate::runtime::{Runtime, init_runtime};

/// Fails with [`DetectError::ModelNotFound`] unless `path` is an existing file. Checked before
/// the runtime is loaded, so the cheaper mistake is reported first.
pub(crate) fn check_model_file(path: &Path) -> Result<(), DetectError> {
    if path.is_file() {
        return Ok(());
    }
    if path.exists() {
        return Err(DetectError::InvalidModel {
            path: path.to_path_buf(),
            reason: "it is a directory".into(),
        });
    }
    Err(DetectError::ModelNotFound {
        path: path.to_path_buf(),
    })
}

/// Creates a session for `path` with `intra_threads` threads per operator (0: ONNX
/// Runtime's default, one per core).
pub(crate) fn open_session(
    runtime: &Runtime,
    path: &Path,
    intra_threads: usize,
) -> Result<Session, DetectError> {
    check_model_file(path)?;
    let session_error = |source: ort::Error| DetectError::Session {
        path: path.to_path_buf(),
        source,
    };
    let builder = Session::builder(runtime.environment()).map_err(session_error)?;
    let mut builder = builder
        .with_intra_threads(intra_threads)
        .map_err(|e| session_error(e.into()))?;
    builder.commit_from_file(path).map_err(|e| match e.code() {
        ErrorCode::InvalidProtobuf | ErrorCode::InvalidGraph | ErrorCode::NoModel => {
            DetectError::InvalidModel {
                path: path.to_path_buf(),
                reason: e.message().to_string(),
            }
        }
        ErrorCode::NoSuchFile => DetectError::ModelNotFound {
            path: path.to_path_buf(),
        },
        _ => session_error(e),
    })
}

/// Name, element type and shape of one model input or output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// Element type as ONNX Runtime names it (`f32`, `i64`, ...), or the value kind for
    /// non-tensors.
    pub element_type: String,
    /// Dimensions; -1 where the model leaves one dynamic. Empty for non-tensors.
    pub shape: Vec<i64>,
}

impl TensorInfo {
    pub(crate) fn from_outlet(outlet: &Outlet) -> Self {
        let (element_type, shape) = match outlet.dtype() {
            ValueType::Tensor { ty, shape, .. } => (ty.to_string(), shape.to_vec()),
            other => (other.to_string(), Vec::new()),
        };
        TensorInfo {
            name: outlet.name().to_string(),
            element_type,
            shape,
        }
    }

    /// Whether every dimension is known.
    pub fn is_static(&self) -> bool {
        self.shape.iter().all(|&d| d >= 0)
    }
}

/// What `footfall doctor` shows about a model.
#[derive(Clone, Debug, PartialEq)]
pub struct ModelInfo {
    pub path: PathBuf,
    pub inputs: Vec<TensorInfo>,
    pub outputs: Vec<TensorInfo>,
    /// The layout [`crate::Layout::Auto`] recognises, when input and first output have
    /// static shapes of a known family.
    pub layout: Option<OutputLayout>,
    /// The ONNX Runtime library used to open it.
    pub runtime_library: PathBuf,
    pub runtime_version: Option<String>,
}

/// Opens `model` (loading ONNX Runtime from `library` or the default search, see
/// [`crate::runtime`]) and describes its inputs and outputs.
pub fn model_info(model: &Path, library: Option<&Path>) -> Result<ModelInfo, DetectError> {
    check_model_file(model)?;
    let runtime = init_runtime(library)?;
    let session = open_session(runtime, model, 1)?;
    let inputs: Vec<TensorInfo> = session
        .inputs()
        .iter()
        .map(TensorInfo::from_outlet)
        .collect();
    let outputs: Vec<TensorInfo> = session
        .outputs()
        .iter()
        .map(TensorInfo::from_outlet)
        .collect();
    let layout = match (inputs.first(), outputs.first()) {
        (Some(input), Some(output)) if input.is_static() && output.is_static() => {
            match input.shape[..] {
                [_, _, h, w] => detect_layout(&output.shape, (w as u32, h as u32)).ok(),
                _ => None,
            }
        }
        _ => None,
    };
    Ok(ModelInfo {
        path: model.to_path_buf(),
        inputs,
        outputs,
        layout,
        runtime_library: runtime.library().to_path_buf(),
        runtime_version: runtime.version().map(str::to_string),
    })
}
