//! Finding and loading ONNX Runtime (`ort` with `load-dynamic`), and creating sessions.
//!
//! The shared library is looked for in this order:
//! 1. `ORT_DYLIB_PATH` (the library file, or a directory holding it);
//! 2. the `onnxruntime` package of the `python3` on PATH (`pip install onnxruntime`):
//!    `<package>/capi/libonnxruntime.so*`.
//!
//! The `api-30` feature of `ort` is used, so ONNX Runtime 1.30 and newer load.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use ort::environment::Environment;
use ort::ep::ExecutionProvider;
use ort::session::Session;

use super::ClipError;

/// Where CLIP models run (the crate-wide [`Device`](crate::device::Device)).
pub use crate::device::Device;

const INSTALL_HINT: &str = "install ONNX Runtime 1.30 or newer with `pip install onnxruntime` (CPU) or `pip install onnxruntime-gpu` (CUDA) for the `python3` on PATH, or set ORT_DYLIB_PATH to the libonnxruntime shared library";

fn lib_names() -> (&'static str, &'static str) {
    (std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX)
}

/// The ONNX Runtime library in a directory: `libonnxruntime.so`, or the highest
/// `libonnxruntime.so.1.*` (`.dylib`/`.dll` elsewhere).
fn library_in(dir: &Path) -> Option<PathBuf> {
    let (prefix, suffix) = lib_names();
    let stem = format!("{prefix}onnxruntime");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n == format!("{stem}{suffix}")
                    || n.starts_with(&format!("{stem}{suffix}."))
                    || (n.starts_with(&format!("{stem}.")) && n.ends_with(suffix))
            })
        })
        .collect();
    found.sort();
    found.pop()
}

/// Locates the ONNX Runtime library (see the module docs).
pub fn find_library() -> Result<PathBuf, ClipError> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        if p.is_dir() {
            return library_in(&p).ok_or_else(|| {
                ClipError::RuntimeNotFound(format!(
                    "ORT_DYLIB_PATH is the directory {} which holds no onnxruntime library; {INSTALL_HINT}",
                    p.display()
                ))
            });
        }
        if !p.is_file() {
            return Err(ClipError::RuntimeNotFound(format!(
                "ORT_DYLIB_PATH is {}, which does not exist; {INSTALL_HINT}",
                p.display()
            )));
        }
        return Ok(p);
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import onnxruntime, os; print(os.path.dirname(onnxruntime.__file__))",
        ])
        .output();
    let why = match out {
        Err(e) => format!("ORT_DYLIB_PATH is not set and `python3` could not be run ({e})"),
        Ok(o) if !o.status.success() => {
            let err = String::from_utf8_lossy(&o.stderr);
            let last = err.lines().last().unwrap_or("").trim().to_string();
            format!("ORT_DYLIB_PATH is not set and `python3` has no `onnxruntime` package ({last})")
        }
        Ok(o) => {
            let dir = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()).join("capi");
            match library_in(&dir) {
                Some(lib) => return Ok(lib),
                None => format!(
                    "the `onnxruntime` package of `python3` has no shared library in {}",
                    dir.display()
                ),
            }
        }
    };
    Err(ClipError::RuntimeNotFound(format!("{why}; {INSTALL_HINT}")))
}

struct Runtime {
    env: Environment,
    lib: PathBuf,
}

static RUNTIME: Mutex<Option<Runtime>> = Mutex::new(None);

fn with_runtime<T>(f: impl FnOnce(&Runtime) -> Result<T, ClipError>) -> Result<T, ClipError> {
    let mut guard = RUNTIME.lock().unwrap_or_else(|e| e.into_inner());
    if guard.is_none() {
        let lib = find_library()?;
        let builder = ort::init_from(&lib).map_err(|e| ClipError::RuntimeLoad {
            path: lib.clone(),
            message: format!("{e}; {INSTALL_HINT}"),
        })?;
        let env = builder
            .with_name("rewardsmith")
            .build()
            .map_err(|e| ClipError::RuntimeLoad {
                path: lib.clone(),
                message: e.to_string(),
            })?;
        *guard = Some(Runtime { env, lib });
    }
    f(guard.as_ref().expect("initialized above"))
}

/// Loads ONNX Runtime (once per process) and returns the library's path.
pub fn load() -> Result<PathBuf, ClipError> {
    with_runtime(|rt| Ok(rt.lib.clone()))
}

/// Session options: the number of intra-op threads (0: ONNX Runtime's default).
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionOptions {
    /// Device.
    pub device: Device,
    /// Intra-op threads (0: ONNX Runtime's default, one per core).
    pub threads: usize,
}

/// Loads an ONNX file into a session on the requested device.
pub fn session(file: &Path, opts: SessionOptions) -> Result<Session, ClipError> {
    with_runtime(|rt| {
        let model_err = |e: ort::Error| ClipError::Model {
            file: file.to_path_buf(),
            message: e.to_string(),
        };
        let mut b = Session::builder(&rt.env).map_err(model_err)?;
        if opts.threads > 0 {
            b = b
                .with_intra_threads(opts.threads)
                .map_err(|e| model_err(e.into()))?;
        }
        if opts.device == Device::Gpu {
            let has = |r: ort::Result<bool>| r.unwrap_or(false);
            let trt = has(ort::ep::TensorRT::is_available());
            let cuda = has(ort::ep::CUDA::is_available());
            if !trt && !cuda {
                return Err(ClipError::GpuUnavailable(format!(
                    "--device gpu: the ONNX Runtime at {} has neither the CUDA nor the TensorRT execution provider; install `onnxruntime-gpu` (pip install onnxruntime-gpu) and point ORT_DYLIB_PATH at its library, or use --device cpu",
                    rt.lib.display()
                )));
            }
            let mut eps = Vec::new();
            if trt {
                eps.push(ort::ep::TensorRT::default().build().fail_silently());
            }
            if cuda {
                eps.push(ort::ep::CUDA::default().build().error_on_failure());
            }
            b = b.with_execution_providers(eps).map_err(|e| {
                ClipError::GpuUnavailable(format!(
                    "--device gpu: registering the CUDA execution provider of {} failed: {e}",
                    rt.lib.display()
                ))
            })?;
        }
        b.commit_from_file(file).map_err(model_err)
    })
}
