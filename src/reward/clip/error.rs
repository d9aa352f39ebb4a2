//! Errors of the CLIP reward: each names the file (or setting) at fault.

use std::path::PathBuf;

/// An error of loading or running a CLIP model, or of managing model files.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// No ONNX Runtime shared library could be found.
    #[error("ONNX Runtime not found: {0}")]
    RuntimeNotFound(String),
    /// The ONNX Runtime library was found but could not be loaded.
    #[error("loading ONNX Runtime from {path}: {message}")]
    RuntimeLoad {
        /// The library file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `--device gpu` asked, and the loaded ONNX Runtime has no GPU execution provider.
    #[error("{0}")]
    GpuUnavailable(String),
    /// A file the model directory must have is absent.
    #[error("{file}: missing ({what})")]
    MissingFile {
        /// The missing file.
        file: PathBuf,
        /// What it is, and how to get it.
        what: String,
    },
    /// A configuration file (preprocessor config, tokenizer, manifest, index) is wrong.
    #[error("{file}: {message}")]
    Config {
        /// The file.
        file: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An ONNX file could not be loaded (not ONNX, truncated, unsupported operators).
    #[error("{file}: not a loadable ONNX model: {message}")]
    Model {
        /// The file.
        file: PathBuf,
        /// ONNX Runtime's message.
        message: String,
    },
    /// A model's inputs or outputs are not the ones of a CLIP export.
    #[error("{file}: {message}")]
    WrongSignature {
        /// The file.
        file: PathBuf,
        /// What is expected and what the file has.
        message: String,
    },
    /// The image and text embeddings differ in size.
    #[error("embedding sizes differ: {message}")]
    WrongEmbeddingSize {
        /// Both sizes, with their files.
        message: String,
    },
    /// Running a model failed.
    #[error("{file}: inference failed: {message}")]
    Inference {
        /// The file.
        file: PathBuf,
        /// ONNX Runtime's message.
        message: String,
    },
    /// The score cannot be computed (bad alpha, missing prompts, zero embedding).
    #[error("CLIP score: {0}")]
    Score(String),
    /// A frame file could not be read.
    #[error("{file}: {message}")]
    Image {
        /// The image file.
        file: PathBuf,
        /// The decoder's message.
        message: String,
    },
    /// A model name that is neither a directory, an imported model nor a manifest.
    #[error("{0}")]
    UnknownModel(String),
    /// A known model that has not been pulled yet.
    #[error(
        "model `{name}` ({precision}) is not downloaded ({dir} is incomplete: {missing}); run `rewardsmith models pull {name} --precision {precision}` on a machine with internet, or `rewardsmith models import DIR` for a local export"
    )]
    NotPulled {
        /// The model name.
        name: String,
        /// The image-encoder precision asked for.
        precision: super::precision::Precision,
        /// Where it would be.
        dir: PathBuf,
        /// The first missing file.
        missing: String,
    },
    /// An HTTP download failed.
    #[error("downloading {url}: {message}")]
    Download {
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// A downloaded file's sha256 differs from its manifest's.
    #[error(
        "{file}: sha256 mismatch: the manifest says {expected}, the download is {actual} (the partial file was removed; pull again, or fix the manifest)"
    )]
    Checksum {
        /// The file.
        file: PathBuf,
        /// The manifest's digest.
        expected: String,
        /// The downloaded file's digest.
        actual: String,
    },
    /// A file-system error.
    #[error("{path}: {cause}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause (in the message, so not also a `source()`).
        cause: std::io::Error,
    },
}

impl ClipError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |cause| Self::Io { path, cause }
    }
}
