//! Embeds the built-in files in the binary, so an installed `rewardsmith` needs no
//! checkout: writes `$OUT_DIR/builtin_files.rs`, a table of `include_bytes!` of every
//! env spec, reward program, prompt template, robot and model manifest, with a hash of
//! them all; cargo reruns this when any file in those directories changes.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The directories embedded, with their subdirectories (e.g. `prompts/l2r/`).
const DIRS: &[&str] = &[
    "envs",
    "rewards",
    "prompts",
    "assets/robots",
    "assets/models",
];

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for dir in DIRS {
        println!("cargo:rerun-if-changed={dir}");
        collect(&root, Path::new(dir), &mut files);
    }
    files.sort();
    // FNV-1a over names and contents: the cache directory the files are written to
    // changes whenever they do.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut table = String::new();
    for (name, path) in &files {
        let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {name}: {e}"));
        for b in name.bytes().chain([0]).chain(bytes) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        let _ = writeln!(table, "    ({name:?}, include_bytes!({:?})),", abs(path));
    }
    let out = format!(
        "/// Every built-in file: its path in the repository layout, and its bytes.\n\
         pub(crate) static FILES: &[(&str, &[u8])] = &[\n{table}];\n\n\
         /// A hash of every built-in file's name and bytes.\n\
         pub(crate) const HASH: &str = \"{hash:016x}\";\n"
    );
    let dst = PathBuf::from(std::env::var_os("OUT_DIR").expect("set by cargo"));
    std::fs::write(dst.join("builtin_files.rs"), out).expect("writing builtin_files.rs");
}

/// Every file under `root/dir`, named by its path relative to `root` (`/`-separated).
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let entries = std::fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("reading {}/ of the built-in files: {e}", dir.display()));
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let rel = dir.join(path.file_name().expect("a file name"));
        if path.is_dir() {
            collect(root, &rel, files);
        } else if path.is_file() {
            let name = rel.to_string_lossy().replace('\\', "/");
            files.push((name, path));
        }
    }
}

fn abs(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
