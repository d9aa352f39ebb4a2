//! Writing frames: numbered PNGs, an animated GIF, and MP4 through `ffmpeg`.

use image::codecs::gif::{GifEncoder, Repeat};
use image::codecs::png::PngEncoder;
use image::{Delay, DynamicImage, ExtendedColorType, ImageEncoder};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{Frame, RenderError};
use crate::error::FileError;
use crate::fs::AtomicFile;

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> RenderError + '_ {
    move |cause| RenderError::Io {
        path: path.display().to_string(),
        cause,
    }
}

fn check_frames(frames: &[Frame]) -> Result<(u32, u32), RenderError> {
    let first = frames
        .first()
        .ok_or_else(|| RenderError::Frames("no frames".into()))?;
    let dims = first.dimensions();
    if let Some(i) = frames.iter().position(|f| f.dimensions() != dims) {
        return Err(RenderError::Frames(format!(
            "frame {i} is {:?}, frame 0 is {dims:?}",
            frames[i].dimensions()
        )));
    }
    Ok(dims)
}

/// Path of frame `i` in `dir`: `dir/frame_00042.png`.
pub fn frame_path(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("frame_{i:05}.png"))
}

/// Write `frames` as `dir/frame_00000.png`, ... (the directory must exist).
pub fn write_pngs(dir: &Path, frames: &[Frame]) -> Result<Vec<PathBuf>, RenderError> {
    frames
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let path = frame_path(dir, i);
            f.save(&path).map_err(|cause| RenderError::Image {
                path: path.display().to_string(),
                cause,
            })?;
            Ok(path)
        })
        .collect()
}

/// Write `frames` as a looping animated GIF at `fps` frames per second (GIF delays
/// are in 1/100 s, so the rate is rounded to that).
pub fn write_gif(path: &Path, frames: &[Frame], fps: f64) -> Result<(), RenderError> {
    check_frames(frames)?;
    let mut file = AtomicFile::create(path).map_err(file_err)?;
    let mut enc = GifEncoder::new_with_speed(std::io::BufWriter::new(&mut file), 10);
    let img_err = |cause| RenderError::Image {
        path: path.display().to_string(),
        cause,
    };
    enc.set_repeat(Repeat::Infinite).map_err(img_err)?;
    let ms = (1000.0 / fps.max(1e-3)).round().clamp(10.0, 65_000.0) as u32;
    let delay = Delay::from_numer_denom_ms(ms, 1);
    for f in frames {
        let rgba = DynamicImage::ImageRgb8(f.clone()).into_rgba8();
        enc.encode_frame(image::Frame::from_parts(rgba, 0, 0, delay))
            .map_err(img_err)?;
    }
    drop(enc);
    file.commit().map_err(file_err)
}

/// Write one image as a PNG, atomically (a plot someone may be looking at is replaced
/// whole).
pub fn write_png(path: &Path, img: &Frame) -> Result<(), RenderError> {
    let mut file = AtomicFile::create(path).map_err(file_err)?;
    let (w, h) = img.dimensions();
    PngEncoder::new(std::io::BufWriter::new(&mut file))
        .write_image(img.as_raw(), w, h, ExtendedColorType::Rgb8)
        .map_err(|cause| RenderError::Image {
            path: path.display().to_string(),
            cause,
        })?;
    file.commit().map_err(file_err)
}

fn file_err(e: FileError) -> RenderError {
    RenderError::Io {
        path: e.path.display().to_string(),
        cause: e.source,
    }
}

/// Whether `ffmpeg` can be run.
pub fn ffmpeg_available() -> bool {
    Command::new("ffmpeg")
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Write `frames` as an H.264 MP4 by piping raw RGB to `ffmpeg` (odd sizes are padded
/// to even ones for yuv420p). [`RenderError::NoFfmpeg`] when ffmpeg is not on PATH.
pub fn write_mp4(path: &Path, frames: &[Frame], fps: f64) -> Result<(), RenderError> {
    let (w, h) = check_frames(frames)?;
    let spawned = Command::new("ffmpeg")
        .args([
            "-y",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
        ])
        .args([
            "-s",
            &format!("{w}x{h}"),
            "-r",
            &format!("{fps}"),
            "-i",
            "-",
        ])
        .args([
            "-vf",
            "pad=ceil(iw/2)*2:ceil(ih/2)*2",
            "-pix_fmt",
            "yuv420p",
        ])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(RenderError::NoFfmpeg),
        Err(e) => return Err(io_err(path)(e)),
    };
    let mut stdin = child.stdin.take().expect("piped stdin");
    let mut write_err = None;
    for f in frames {
        if let Err(e) = stdin.write_all(f.as_raw()) {
            write_err = Some(e);
            break;
        }
    }
    drop(stdin);
    let out = child.wait_with_output().map_err(io_err(path))?;
    if !out.status.success() || write_err.is_some() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: String = err
            .chars()
            .rev()
            .take(500)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return Err(RenderError::Ffmpeg {
            path: path.display().to_string(),
            message: format!("{} {}", out.status, tail.trim()),
        });
    }
    Ok(())
}
