//! On-disk cache of text embeddings, keyed by the text model (path, size, mtime of
//! `text_model.onnx` and `tokenizer.json`) and the prompt.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{ClipError, ClipModel};

fn file_key(p: &Path) -> String {
    match std::fs::metadata(p) {
        Ok(m) => {
            let mtime = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{} {} {mtime}", p.display(), m.len())
        }
        Err(_) => format!("{} absent", p.display()),
    }
}

fn entry(dir: &Path, model: &ClipModel, prompt: &str) -> PathBuf {
    let f = model.files();
    let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let mut h = Sha256::new();
    h.update(file_key(&canon(&f.text)));
    h.update("\n");
    h.update(file_key(&canon(&f.tokenizer)));
    h.update("\n");
    h.update(prompt);
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    dir.join("text-embeds").join(format!("{hex}.f32"))
}

fn read(p: &Path, dim: usize) -> Option<Vec<f32>> {
    let bytes = std::fs::read(p).ok()?;
    if bytes.len() != dim * 4 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

fn write(p: &Path, v: &[f32]) -> Result<(), crate::error::FileError> {
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).map_err(crate::error::io_error("creating", d))?;
    }
    let bytes: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    crate::fs::write_atomic(p, &bytes)
}

/// Embeds `prompts`, reading and writing the cache under `dir` when given (a cache that
/// cannot be written is skipped silently: it only saves time).
pub(crate) fn embed_texts_cached(
    model: &mut ClipModel,
    prompts: &[String],
    dir: Option<&Path>,
) -> Result<Vec<Vec<f32>>, ClipError> {
    let Some(dir) = dir else {
        return model.embed_texts(prompts);
    };
    let dim = model.dim();
    let mut out: Vec<Option<Vec<f32>>> = prompts
        .iter()
        .map(|p| read(&entry(dir, model, p), dim))
        .collect();
    let missing: Vec<String> = prompts
        .iter()
        .zip(&out)
        .filter(|(_, o)| o.is_none())
        .map(|(p, _)| p.clone())
        .collect();
    if !missing.is_empty() {
        let fresh = model.embed_texts(&missing)?;
        let mut it = fresh.into_iter();
        for (p, o) in prompts.iter().zip(out.iter_mut()) {
            if o.is_none() {
                let v = it.next().expect("one embedding per missing prompt");
                let _ = write(&entry(dir, model, p), &v);
                *o = Some(v);
            }
        }
    }
    Ok(out.into_iter().map(|o| o.expect("filled above")).collect())
}
