//! Image embeddings per second of a CLIP image encoder at batch 1, 16 and 64 (plain
//! timing, no criterion).
//!
//! ```sh
//! CLIP_BENCH_MODEL=/path/to/export cargo bench --bench clip_embed
//! ```
//!
//! `CLIP_BENCH_MODEL` is a Hugging Face ONNX export of CLIP (ViT-B/32-shaped for the
//! numbers in the README; random weights are fine for timing). Without it, or without
//! ONNX Runtime, the bench prints why and exits successfully. `CLIP_BENCH_THREADS` sets
//! ONNX Runtime's intra-op threads (default: one per core); `CLIP_BENCH_SECONDS` the time
//! per batch size (default 10); `CLIP_BENCH_PRECISION` the image encoder (`fp32`, the
//! default, `fp16` or `int8`; `benches/peers/quantize_clip.py` makes the int8 file).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use image::{Rgb, RgbImage};
use rewardsmith::reward::clip::runtime::SessionOptions;
use rewardsmith::reward::clip::{ClipModel, LoadOptions, Precision};

fn env_num<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

fn main() {
    let Some(dir) = std::env::var_os("CLIP_BENCH_MODEL").map(PathBuf::from) else {
        println!("clip_embed: skipped (set CLIP_BENCH_MODEL to a CLIP ONNX export directory)");
        return;
    };
    let threads: usize = env_num("CLIP_BENCH_THREADS", 0);
    let secs: f64 = env_num("CLIP_BENCH_SECONDS", 10.0);
    let precision = match std::env::var("CLIP_BENCH_PRECISION").as_deref() {
        Ok("fp16") => Precision::Fp16,
        Ok("int8") => Precision::Int8,
        _ => Precision::Fp32,
    };
    let opts = LoadOptions {
        session: SessionOptions {
            threads,
            ..SessionOptions::default()
        },
        precision,
        batch: 64,
    };
    let mut model = match ClipModel::load(&dir, opts) {
        Ok(m) => m,
        Err(e) => {
            println!("clip_embed: skipped ({e})");
            return;
        }
    };
    let (h, w) = model.preprocess().crop;
    println!(
        "clip_embed: {} ({precision}, embedding size {}, input {w}×{h}), threads {}",
        model.files().vision.display(),
        model.dim(),
        if threads == 0 {
            "default".to_string()
        } else {
            threads.to_string()
        }
    );
    // frames as the renderer makes them (a different size than the model input, so
    // resize and crop are part of the timing)
    let frames: Vec<RgbImage> = (0..64)
        .map(|i| {
            RgbImage::from_fn(320, 240, |x, y| {
                Rgb([(x + i) as u8, (y * 2) as u8, ((x ^ y) + i) as u8])
            })
        })
        .collect();
    // preprocessing alone (resize, crop, normalize), one thread
    let pre = model.preprocess().clone();
    let mut buf = vec![0f32; pre.len()];
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < Duration::from_secs_f64(secs.min(2.0)) || n == 0 {
        pre.apply_into(&frames[n % frames.len()], &mut buf);
        n += 1;
    }
    println!(
        "preprocess (320×240 → {w}×{h}, 1 thread): {:8.0} images/s",
        n as f64 / start.elapsed().as_secs_f64()
    );
    for batch in [1usize, 16, 64] {
        let refs: Vec<&RgbImage> = frames[..batch].iter().collect();
        model.embed_images(&refs).expect("warm-up");
        let start = Instant::now();
        let mut n = 0usize;
        while start.elapsed() < Duration::from_secs_f64(secs) || n == 0 {
            model.embed_images(&refs).expect("embedding");
            n += batch;
        }
        let t = start.elapsed().as_secs_f64();
        println!(
            "batch {batch:>3}: {:8.2} images/s ({n} images in {t:.1} s)",
            n as f64 / t
        );
    }
    // the model alone on preprocessed input, as the torch and ONNX Runtime peers time it
    for batch in [1usize, 16, 64] {
        let mut pixels = vec![0f32; batch * pre.len()];
        for (out, img) in pixels.chunks_mut(pre.len()).zip(&frames) {
            pre.apply_into(img, out);
        }
        model.embed_pixels(&pixels, batch).expect("warm-up");
        let start = Instant::now();
        let mut n = 0usize;
        while start.elapsed() < Duration::from_secs_f64(secs) || n == 0 {
            model.embed_pixels(&pixels, batch).expect("embedding");
            n += batch;
        }
        let t = start.elapsed().as_secs_f64();
        println!(
            "model only, batch {batch:>3}: {:8.2} images/s ({n} images in {t:.1} s)",
            n as f64 / t
        );
    }
}
