//! Numeric precision of a CLIP export's image encoder: which file of the Hugging Face
//! ONNX layout runs (`vision_model.onnx`, `vision_model_fp16.onnx`,
//! `vision_model_quantized.onnx` / `_int8`, as Transformers.js-style exports ship them).
//!
//! Only the image encoder changes: it runs on every scored frame, while the text encoder
//! runs once per prompt (its embeddings are cached), so it stays fp32.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ClipError;

/// Precision of the image encoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats, `vision_model.onnx` (the default and the reference).
    #[default]
    Fp32,
    /// 16-bit floats, `vision_model_fp16.onnx` (pays on GPUs; most CPU kernels are fp32).
    Fp16,
    /// 8-bit integer weights with dynamic activation quantization,
    /// `vision_model_quantized.onnx` or `vision_model_int8.onnx`.
    Int8,
}

impl Precision {
    /// Every precision, in the order listings show them.
    pub const ALL: [Precision; 3] = [Precision::Fp32, Precision::Fp16, Precision::Int8];

    /// The name flags and config files use.
    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::Fp16 => "fp16",
            Precision::Int8 => "int8",
        }
    }

    /// The image-encoder file names of this precision under `onnx/`, most usual first.
    pub fn vision_files(self) -> &'static [&'static str] {
        match self {
            Precision::Fp32 => &["vision_model.onnx"],
            Precision::Fp16 => &["vision_model_fp16.onnx"],
            Precision::Int8 => &["vision_model_quantized.onnx", "vision_model_int8.onnx"],
        }
    }
}

impl std::fmt::Display for Precision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The image encoders an export in `dir` has: each precision with its first file present.
pub fn available(dir: &Path) -> Vec<(Precision, PathBuf)> {
    Precision::ALL
        .iter()
        .filter_map(|&p| {
            p.vision_files()
                .iter()
                .map(|f| dir.join("onnx").join(f))
                .find(|f| f.is_file())
                .map(|f| (p, f))
        })
        .collect()
}

/// The image encoder of precision `p` in the export `dir`; when it has none, an error
/// that lists what it has.
pub fn vision_file(dir: &Path, p: Precision) -> Result<PathBuf, ClipError> {
    if let Some((_, f)) = available(dir).into_iter().find(|(q, _)| *q == p) {
        return Ok(f);
    }
    let has = available(dir)
        .iter()
        .map(|(q, f)| {
            format!(
                "{q} ({})",
                f.file_name().unwrap_or_default().to_string_lossy()
            )
        })
        .collect::<Vec<_>>();
    let has = if has.is_empty() {
        "no image encoder at all".to_string()
    } else {
        format!("only {}", has.join(", "))
    };
    let looked = p
        .vision_files()
        .iter()
        .map(|f| format!("onnx/{f}"))
        .collect::<Vec<_>>()
        .join(" or ");
    Err(ClipError::MissingFile {
        file: dir.join("onnx").join(p.vision_files()[0]),
        what: format!(
            "the {p} image encoder ({looked}); this export has {has}. Choose one of those with --precision/--clip-precision, or make an int8 variant with onnxruntime.quantization.quantize_dynamic"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_the_first_file_present_and_lists_the_others() {
        let dir = tempfile::tempdir().unwrap();
        let onnx = dir.path().join("onnx");
        std::fs::create_dir_all(&onnx).unwrap();
        std::fs::write(onnx.join("vision_model.onnx"), b"x").unwrap();
        std::fs::write(onnx.join("vision_model_int8.onnx"), b"x").unwrap();
        assert_eq!(
            vision_file(dir.path(), Precision::Int8).unwrap(),
            onnx.join("vision_model_int8.onnx")
        );
        std::fs::write(onnx.join("vision_model_quantized.onnx"), b"x").unwrap();
        assert_eq!(
            vision_file(dir.path(), Precision::Int8).unwrap(),
            onnx.join("vision_model_quantized.onnx")
        );
        let e = vision_file(dir.path(), Precision::Fp16)
            .unwrap_err()
            .to_string();
        assert!(e.contains("vision_model_fp16.onnx"), "{e}");
        assert!(
            e.contains("only fp32 (vision_model.onnx), int8 (vision_model_quantized.onnx)"),
            "{e}"
        );
    }
}
