//! Known CLIP models (`assets/models/*.toml` manifests), the user's model cache, pulling
//! (HTTP with resume and sha256 verification) and importing local exports.
//!
//! The cache is `$REWARDSMITH_CACHE` if set, else `<user cache dir>/rewardsmith`
//! (`~/.cache/rewardsmith` on Linux). Pulled models live in `models/<name>/`; imported
//! ones are registered by path in `models/index.toml`; text embeddings are cached in
//! `text-embeds/`.

use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::ClipError;
use super::model::{ClipModel, LoadOptions};
use super::precision::{self, Precision};

/// The sha256 value of a manifest entry whose digest is not known (pull warns and skips
/// verification for it).
pub const UNVERIFIED: &str = "unverified";

/// One file of a model manifest.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ManifestFile {
    /// Path inside the model directory (e.g. `onnx/vision_model.onnx`).
    pub path: String,
    /// Where to download it.
    pub url: String,
    /// Size in bytes, when known.
    #[serde(default)]
    pub size: Option<u64>,
    /// Lower-case hex sha256, or `"unverified"`.
    pub sha256: String,
}

impl ManifestFile {
    /// The precision of the image encoder this file is (`onnx/vision_model_fp16.onnx` is
    /// fp16, ...); `None` for the files every precision needs (text encoder, tokenizer,
    /// preprocessing).
    pub fn precision(&self) -> Option<Precision> {
        Precision::ALL.into_iter().find(|p| {
            p.vision_files()
                .iter()
                .any(|v| self.path.strip_prefix("onnx/") == Some(v))
        })
    }
}

/// A known model: `assets/models/<name>.toml`.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The name `--model` takes.
    pub name: String,
    /// One line about the model.
    #[serde(default)]
    pub description: String,
    /// Where the export is published.
    pub source: String,
    /// The weights' license.
    #[serde(default)]
    pub license: Option<String>,
    /// The files.
    pub files: Vec<ManifestFile>,
}

impl Manifest {
    /// The files a model of precision `p` needs: the shared ones and those of `p`.
    pub fn files_for(&self, p: Precision) -> impl Iterator<Item = &ManifestFile> {
        self.files
            .iter()
            .filter(move |f| f.precision().is_none_or(|q| q == p))
    }

    /// The precisions the manifest has an image encoder for.
    pub fn precisions(&self) -> Vec<Precision> {
        Precision::ALL
            .into_iter()
            .filter(|p| self.files.iter().any(|f| f.precision() == Some(*p)))
            .collect()
    }

    /// Fails when the manifest lists image encoders and none of precision `p`.
    pub fn check_precision(&self, p: Precision) -> Result<(), ClipError> {
        let has = self.precisions();
        if has.is_empty() || has.contains(&p) {
            return Ok(());
        }
        let names: Vec<&str> = has.iter().map(|q| q.name()).collect();
        Err(ClipError::UnknownModel(format!(
            "model `{}` has no {p} image encoder; its manifest lists {} (--precision)",
            self.name,
            names.join(", ")
        )))
    }

    /// Reads and checks a manifest file.
    pub fn from_file(file: &Path) -> Result<Self, ClipError> {
        let cfg = |message: String| ClipError::Config {
            file: file.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(file).map_err(ClipError::io(file))?;
        let m: Manifest = toml::from_str(&text).map_err(|e| cfg(e.to_string()))?;
        for f in &m.files {
            let p = Path::new(&f.path);
            if f.path.is_empty()
                || p.is_absolute()
                || p.components()
                    .any(|c| !matches!(c, std::path::Component::Normal(_)))
            {
                return Err(cfg(format!(
                    "file path `{}` must be relative, without `..`",
                    f.path
                )));
            }
            let hex = f.sha256.len() == 64 && f.sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex && f.sha256 != UNVERIFIED {
                return Err(cfg(format!(
                    "sha256 of `{}` must be 64 hex digits or \"{UNVERIFIED}\", got \"{}\"",
                    f.path, f.sha256
                )));
            }
        }
        if m.files.is_empty() {
            return Err(cfg("no [[files]]".into()));
        }
        Ok(m)
    }
}

pub use crate::builtin::cache_root;

/// Directory of the manifests: the built-in ones (or `$REWARDSMITH_HOME/assets/models`).
pub fn manifests_dir() -> PathBuf {
    crate::env::AssetRoots::discover().models_dir()
}

/// All manifests in `dir`, sorted by name.
pub fn manifests(dir: &Path) -> Result<Vec<Manifest>, ClipError> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(out);
    };
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    paths.sort();
    for p in paths {
        out.push(Manifest::from_file(&p)?);
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

#[derive(Debug, Default, Deserialize, Serialize)]
struct Index {
    #[serde(default)]
    models: BTreeMap<String, PathBuf>,
}

fn index_path(cache: &Path) -> PathBuf {
    cache.join("models").join("index.toml")
}

fn read_index(cache: &Path) -> Result<Index, ClipError> {
    let p = index_path(cache);
    match std::fs::read_to_string(&p) {
        Ok(t) => toml::from_str(&t).map_err(|e| ClipError::Config {
            file: p,
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Index::default()),
        Err(e) => Err(ClipError::Io { path: p, cause: e }),
    }
}

/// Imported models: name → directory.
pub fn imported(cache: &Path) -> Result<BTreeMap<String, PathBuf>, ClipError> {
    Ok(read_index(cache)?.models)
}

/// Where a pulled model lives in the cache.
pub fn pulled_dir(cache: &Path, name: &str) -> PathBuf {
    cache.join("models").join(name)
}

/// The first file of `m` that precision `p` needs and `dir` lacks, if any.
pub fn first_missing(m: &Manifest, dir: &Path, p: Precision) -> Option<String> {
    m.files_for(p)
        .find(|f| !dir.join(&f.path).is_file())
        .map(|f| f.path.clone())
}

/// Resolves `--model` for an image encoder of `precision`: a directory path, an
/// imported name, or a pulled known model.
pub fn resolve(
    model: &str,
    cache: &Path,
    manifests_dir: &Path,
    precision: Precision,
) -> Result<PathBuf, ClipError> {
    let p = Path::new(model);
    if p.is_dir() {
        return Ok(p.to_path_buf());
    }
    if model.contains(std::path::MAIN_SEPARATOR) || model.starts_with('.') || p.exists() {
        return Err(ClipError::MissingFile {
            file: p.to_path_buf(),
            what: "--model: not a model directory (a path to a Hugging Face ONNX export of CLIP, or a known model name)".into(),
        });
    }
    let index = read_index(cache)?;
    if let Some(dir) = index.models.get(model) {
        return Ok(dir.clone());
    }
    let ms = manifests(manifests_dir)?;
    if let Some(m) = ms.iter().find(|m| m.name == model) {
        m.check_precision(precision)?;
        let dir = pulled_dir(cache, model);
        if let Some(missing) = first_missing(m, &dir, precision) {
            return Err(ClipError::NotPulled {
                name: model.into(),
                precision,
                dir,
                missing,
            });
        }
        return Ok(dir);
    }
    let mut known: Vec<String> = ms.iter().map(|m| m.name.clone()).collect();
    known.extend(index.models.keys().cloned());
    Err(ClipError::UnknownModel(format!(
        "{}; --model takes a known name (`rewardsmith models list`) or the path of a model directory",
        crate::reward::unknown_name_message("model", model, &known)
    )))
}

/// Validates the export in `dir` by loading it with each image encoder it has (fp32,
/// fp16, int8), then registers it as `name` (default: the directory's name) in the cache
/// index. Returns the name and the model loaded with each precision.
pub fn import(
    dir: &Path,
    name: Option<&str>,
    cache: &Path,
) -> Result<(String, Vec<(Precision, ClipModel)>), ClipError> {
    let dir = std::fs::canonicalize(dir).map_err(|e| ClipError::MissingFile {
        file: dir.to_path_buf(),
        what: format!("the model directory to import ({e})"),
    })?;
    let variants = precision::available(&dir);
    if variants.is_empty() {
        // reports the missing fp32 encoder and what an export must have
        ClipModel::load(&dir, LoadOptions::default())?;
    }
    let mut models = Vec::new();
    for (p, _) in variants {
        let opts = LoadOptions {
            precision: p,
            ..LoadOptions::default()
        };
        models.push((p, ClipModel::load(&dir, opts)?));
    }
    let name = match name {
        Some(n) => n.to_string(),
        None => dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "imported".into()),
    };
    if name.is_empty() || name.contains(['/', '\\']) {
        return Err(ClipError::UnknownModel(format!(
            "model name `{name}` must be non-empty, without slashes"
        )));
    }
    let mut index = read_index(cache)?;
    index.models.insert(name.clone(), dir);
    let p = index_path(cache);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).map_err(ClipError::io(d))?;
    }
    let text = toml::to_string(&index).expect("index serializes");
    crate::fs::write_atomic(&p, text.as_bytes()).map_err(|e| ClipError::io(&p)(e.source))?;
    Ok((name, models))
}

/// Lower-case hex sha256 of a file.
pub fn sha256_file(p: &Path) -> Result<String, ClipError> {
    let mut f = std::fs::File::open(p).map_err(ClipError::io(p))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(ClipError::io(p))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// What `pull` did with one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pulled {
    /// Already present and verified (or of the right size when unverified).
    UpToDate,
    /// Downloaded (`resumed_from` bytes were already there from an earlier try).
    Downloaded {
        /// Bytes of a partial download that were kept.
        resumed_from: u64,
    },
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .build()
        .into()
}

fn bar(len: Option<u64>, pos: u64, label: &str) -> ProgressBar {
    let b = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::no_length(),
    };
    b.set_style(
        ProgressStyle::with_template(
            "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    b.set_message(label.to_string());
    b.set_position(pos);
    b
}

/// Downloads `url` into `part`, resuming from its current length with a Range request.
/// Returns the bytes that were kept from before.
fn download(url: &str, part: &Path, size: Option<u64>, label: &str) -> Result<u64, ClipError> {
    let dl = |message: String| ClipError::Download {
        url: url.to_string(),
        message,
    };
    let have = std::fs::metadata(part).map_or(0, |m| m.len());
    if size.is_some_and(|s| have == s) {
        return Ok(have);
    }
    let mut req = agent().get(url);
    if have > 0 {
        req = req.header("Range", format!("bytes={have}-"));
    }
    let resp = req.call().map_err(|e| dl(e.to_string()))?;
    let status = resp.status().as_u16();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(part)
        .map_err(ClipError::io(part))?;
    let kept = match status {
        206 => {
            let start = resp
                .headers()
                .get("content-range")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("bytes "))
                .and_then(|v| v.split('-').next())
                .and_then(|v| v.parse::<u64>().ok());
            if start.is_some_and(|s| s != have) {
                return Err(dl(format!(
                    "asked for bytes from {have}, the server sent a range starting at {}",
                    start.unwrap_or(0)
                )));
            }
            file.seek(SeekFrom::Start(have))
                .map_err(ClipError::io(part))?;
            have
        }
        200 => {
            file.set_len(0).map_err(ClipError::io(part))?;
            0
        }
        416 if have > 0 => return Ok(have), // the partial file is already complete
        s => return Err(dl(format!("HTTP status {s}"))),
    };
    let len = resp
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .map(|n| n + kept)
        .or(size);
    let pb = bar(len, kept, label);
    let mut body = resp.into_body();
    let mut reader = body.as_reader();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|e| {
            dl(format!(
                "{e} (the partial download is kept; pull again to resume)"
            ))
        })?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(ClipError::io(part))?;
        pb.inc(n as u64);
    }
    file.flush().map_err(ClipError::io(part))?;
    pb.finish_and_clear();
    Ok(kept)
}

/// Downloads the files of `m` that precision `p` needs into `dir` (created), resuming
/// partial downloads (`<file>.part`) and verifying sha256 digests. A file whose sha256 is
/// "unverified" is checked by size only, with a warning on stderr.
pub fn pull(m: &Manifest, dir: &Path, p: Precision) -> Result<Vec<(String, Pulled)>, ClipError> {
    m.check_precision(p)?;
    let mut report = Vec::new();
    for f in m.files_for(p) {
        let target = dir.join(&f.path);
        let verified = f.sha256 != UNVERIFIED;
        let size_ok =
            |p: &Path| std::fs::metadata(p).is_ok_and(|md| f.size.is_none_or(|s| md.len() == s));
        if target.is_file() && size_ok(&target) && (!verified || sha256_file(&target)? == f.sha256)
        {
            report.push((f.path.clone(), Pulled::UpToDate));
            continue;
        }
        if let Some(d) = target.parent() {
            std::fs::create_dir_all(d).map_err(ClipError::io(d))?;
        }
        let part = target.with_file_name(format!(
            "{}.part",
            target.file_name().unwrap_or_default().to_string_lossy()
        ));
        let kept = download(&f.url, &part, f.size, &f.path)?;
        let got = std::fs::metadata(&part).map_or(0, |md| md.len());
        if let Some(s) = f.size.filter(|&s| s != got) {
            if got > s {
                let _ = std::fs::remove_file(&part);
            }
            return Err(ClipError::Download {
                url: f.url.clone(),
                message: format!("got {got} bytes, the manifest says {s}"),
            });
        }
        if verified {
            let actual = sha256_file(&part)?;
            if actual != f.sha256.to_ascii_lowercase() {
                let _ = std::fs::remove_file(&part);
                return Err(ClipError::Checksum {
                    file: target,
                    expected: f.sha256.clone(),
                    actual,
                });
            }
        } else {
            eprintln!(
                "warning: {}: the manifest of `{}` has no sha256 (\"{UNVERIFIED}\"); the download is not verified",
                f.path, m.name
            );
        }
        std::fs::rename(&part, &target).map_err(ClipError::io(&target))?;
        report.push((f.path.clone(), Pulled::Downloaded { resumed_from: kept }));
    }
    Ok(report)
}
