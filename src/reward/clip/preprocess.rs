//! CLIP image preprocessing as the Hugging Face `CLIPImageProcessor` does it: resize the
//! shortest side to `size` (bicubic), centre-crop to `crop_size`, scale to [0, 1],
//! normalize by `image_mean` / `image_std`, lay out channels first.

use std::path::Path;

use image::RgbImage;
use image::imageops::{self, FilterType};
use serde_json::Value;

use super::ClipError;

/// The preprocessing of one model (`preprocessor_config.json`).
#[derive(Debug, Clone, PartialEq)]
pub struct Preprocess {
    /// Target length of the shortest side after resizing.
    pub size: u32,
    /// Crop (height, width).
    pub crop: (u32, u32),
    /// Per-channel mean (of values in [0, 1]).
    pub mean: [f32; 3],
    /// Per-channel standard deviation.
    pub std: [f32; 3],
}

impl Default for Preprocess {
    /// OpenAI CLIP's ViT-B/32 preprocessing.
    fn default() -> Self {
        Self {
            size: 224,
            crop: (224, 224),
            mean: [0.481_454_66, 0.457_827_5, 0.408_210_73],
            std: [0.268_629_54, 0.261_302_6, 0.275_777_1],
        }
    }
}

fn side(v: &Value, keys: &[&str]) -> Option<u32> {
    if let Some(n) = v.as_u64() {
        return u32::try_from(n).ok();
    }
    keys.iter()
        .find_map(|k| v.get(k).and_then(Value::as_u64))
        .and_then(|n| u32::try_from(n).ok())
}

impl Preprocess {
    /// Reads `preprocessor_config.json`.
    pub fn from_file(file: &Path) -> Result<Self, ClipError> {
        let text = std::fs::read_to_string(file).map_err(ClipError::io(file))?;
        Self::from_json(&text).map_err(|message| ClipError::Config {
            file: file.to_path_buf(),
            message,
        })
    }

    /// Parses the JSON of a `preprocessor_config.json`.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
        let size = v.get("size").ok_or("missing key `size`")?;
        let size = side(size, &["shortest_edge", "height"])
            .filter(|&s| s > 0)
            .ok_or("`size` must be a positive integer or {\"shortest_edge\": N}")?;
        let crop = match v.get("crop_size") {
            None => (size, size),
            Some(c) => {
                let h = side(c, &["height", "shortest_edge"]);
                let w = side(c, &["width", "shortest_edge"]);
                match (h, w) {
                    (Some(h), Some(w)) if h > 0 && w > 0 => (h, w),
                    _ => {
                        return Err(
                            "`crop_size` must be a positive integer or {\"height\": H, \"width\": W}"
                                .into(),
                        );
                    }
                }
            }
        };
        let triple = |key: &str| -> Result<[f32; 3], String> {
            let a = v
                .get(key)
                .and_then(Value::as_array)
                .ok_or(format!("missing key `{key}` (three numbers)"))?;
            let xs: Vec<f32> = a
                .iter()
                .filter_map(Value::as_f64)
                .map(|x| x as f32)
                .collect();
            match xs[..] {
                [a, b, c] if a.is_finite() && b.is_finite() && c.is_finite() => Ok([a, b, c]),
                _ => Err(format!("`{key}` must be three numbers")),
            }
        };
        // `do_normalize: false` (MobileCLIP's exports): pixels stay in [0, 1]
        let normalize = v.get("do_normalize").and_then(Value::as_bool) != Some(false);
        let (mean, std) = if normalize {
            (triple("image_mean")?, triple("image_std")?)
        } else {
            ([0.0; 3], [1.0; 3])
        };
        if std.iter().any(|&s| s <= 0.0) {
            return Err("`image_std` must be positive".into());
        }
        Ok(Self {
            size,
            crop,
            mean,
            std,
        })
    }

    /// The resized size of a `w`×`h` image: shortest side `size`, the other scaled and
    /// truncated (as `transformers` does).
    pub fn resized_size(&self, w: u32, h: u32) -> (u32, u32) {
        let s = u64::from(self.size);
        if w <= h {
            (self.size, ((s * u64::from(h)) / u64::from(w)).max(1) as u32)
        } else {
            (((s * u64::from(w)) / u64::from(h)).max(1) as u32, self.size)
        }
    }

    /// Number of floats one image takes (3 × crop height × crop width).
    pub fn len(&self) -> usize {
        3 * self.crop.0 as usize * self.crop.1 as usize
    }

    /// Always false (a crop is at least 1×1).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the model input of `img` into `out` (length [`Self::len`]), channels first.
    pub fn apply_into(&self, img: &RgbImage, out: &mut [f32]) {
        let (w, h) = img.dimensions();
        let (rw, rh) = self.resized_size(w, h);
        let resized;
        let src = if (rw, rh) == (w, h) {
            img
        } else {
            resized = imageops::resize(img, rw, rh, FilterType::CatmullRom);
            &resized
        };
        let (ch, cw) = self.crop;
        // centre crop; an image smaller than the crop is padded with zeros (as HF does)
        let top = (i64::from(rh) - i64::from(ch)) / 2;
        let left = (i64::from(rw) - i64::from(cw)) / 2;
        let plane = ch as usize * cw as usize;
        let scale = [
            1.0 / (255.0 * self.std[0]),
            1.0 / (255.0 * self.std[1]),
            1.0 / (255.0 * self.std[2]),
        ];
        let shift = [
            self.mean[0] / self.std[0],
            self.mean[1] / self.std[1],
            self.mean[2] / self.std[2],
        ];
        for y in 0..ch as usize {
            let sy = top + y as i64;
            for x in 0..cw as usize {
                let sx = left + x as i64;
                let px = if sy >= 0 && sx >= 0 && sy < i64::from(rh) && sx < i64::from(rw) {
                    src.get_pixel(sx as u32, sy as u32).0
                } else {
                    [0, 0, 0]
                };
                let i = y * cw as usize + x;
                for c in 0..3 {
                    out[c * plane + i] = f32::from(px[c]) * scale[c] - shift[c];
                }
            }
        }
    }

    /// The model input of `img` as a new vector.
    pub fn apply(&self, img: &RgbImage) -> Vec<f32> {
        let mut out = vec![0.0; self.len()];
        self.apply_into(img, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hf_configs() {
        let p = Preprocess::from_json(
            r#"{"size": {"shortest_edge": 224}, "crop_size": {"height": 224, "width": 224},
                "image_mean": [0.48145466, 0.4578275, 0.40821073],
                "image_std": [0.26862954, 0.26130258, 0.27577711]}"#,
        )
        .unwrap();
        assert_eq!(p.size, 224);
        assert_eq!(p.crop, (224, 224));
        let old = Preprocess::from_json(
            r#"{"size": 224, "crop_size": 224, "image_mean": [0.5,0.5,0.5], "image_std": [0.5,0.5,0.5]}"#,
        )
        .unwrap();
        assert_eq!((old.size, old.crop), (224, (224, 224)));
        let p = Preprocess::from_json(r#"{"size": 256, "do_normalize": false}"#).unwrap();
        assert_eq!((p.mean, p.std), ([0.0; 3], [1.0; 3]));
        let e = Preprocess::from_json(r#"{"size": 224, "image_mean": [0.5,0.5]}"#).unwrap_err();
        assert!(e.contains("image_mean"), "{e}");
        let e = Preprocess::from_json(r#"{"crop_size": 224}"#).unwrap_err();
        assert!(e.contains("size"), "{e}");
    }

    #[test]
    fn resized_size_truncates_like_transformers() {
        let p = Preprocess {
            size: 224,
            ..Preprocess::default()
        };
        assert_eq!(p.resized_size(640, 480), (298, 224)); // 224·640/480 = 298.67
        assert_eq!(p.resized_size(100, 300), (224, 672));
        assert_eq!(p.resized_size(224, 224), (224, 224));
    }

    // Crop and normalize of an image that needs no resize, by hand: a 4×2 image
    // (width 4) with size 2, crop 2×2 → resized to 4×2 (already), columns 1..3 kept.
    #[test]
    fn crop_and_normalize_by_hand() {
        let mut img = RgbImage::new(4, 2);
        for (x, y, p) in img.enumerate_pixels_mut() {
            *p = image::Rgb([(10 * x + y) as u8, 255, 0]);
        }
        let p = Preprocess {
            size: 2,
            crop: (2, 2),
            mean: [0.5, 0.25, 0.0],
            std: [0.5, 0.25, 1.0],
        };
        let v = p.apply(&img);
        // R plane (row-major 2×2 of columns 1, 2): values 10, 20, 11, 21 → (v/255 − 0.5)/0.5
        let r = |v: f32| (v / 255.0 - 0.5) / 0.5;
        let want_r = [r(10.0), r(20.0), r(11.0), r(21.0)];
        for (a, b) in v[..4].iter().zip(want_r) {
            assert!((a - b).abs() < 1e-6, "{a} vs {b}");
        }
        // G = 255 → (1 − 0.25)/0.25 = 3; B = 0 → 0
        assert!(v[4..8].iter().all(|&g| (g - 3.0).abs() < 1e-6));
        assert!(v[8..].iter().all(|&b| b.abs() < 1e-6));
    }

    // Resize then crop: a 90×30 image of three 30-px vertical bands (red, green, blue) →
    // size 12 → 36×12 → centre crop 12×12 = columns 12..24, inside the green band (which
    // spans columns 12..24 after resizing); bicubic keeps a constant band constant away
    // from its edges, so the crop's centre columns are pure green.
    #[test]
    fn resize_and_centre_crop() {
        let img = RgbImage::from_fn(90, 30, |x, _| match x / 30 {
            0 => image::Rgb([255, 0, 0]),
            1 => image::Rgb([0, 255, 0]),
            _ => image::Rgb([0, 0, 255]),
        });
        let p = Preprocess {
            size: 12,
            crop: (12, 12),
            mean: [0.0; 3],
            std: [1.0; 3],
        };
        let v = p.apply(&img);
        let at = |c: usize, y: usize, x: usize| v[c * 144 + y * 12 + x];
        for y in 0..12 {
            for x in 3..9 {
                assert!(
                    (at(1, y, x) - 1.0).abs() < 1e-6,
                    "G at {x},{y}: {}",
                    at(1, y, x)
                );
                assert!(at(0, y, x).abs() < 1e-6 && at(2, y, x).abs() < 1e-6);
            }
        }
    }
}
