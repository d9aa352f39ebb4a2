#!/usr/bin/env bash
# Cold `cargo build --release` of rewardsmith, headless (the default) and with the viewer
# (`--features viewer`), each into an empty target directory. Registry sources should be
# downloaded first (`cargo fetch`) so that only compiling is timed. Prints one line per
# build; README's "Build time" table comes from it.
#   bash benches/cold_build.sh [SCRATCH_DIR]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
scratch="${1:-$(mktemp -d)}"
cargo fetch --locked
for variant in headless viewer; do
    target="$scratch/target-$variant"
    rm -rf "$target"
    flags=()
    [ "$variant" = viewer ] && flags=(--features viewer)
    start=$(date +%s)
    CARGO_TARGET_DIR="$target" cargo build --release --locked "${flags[@]}" >"$scratch/$variant.log" 2>&1
    echo "$variant: $(($(date +%s) - start)) s (load average $(cut -d' ' -f1-3 /proc/loadavg))"
done
