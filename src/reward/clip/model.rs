//! A CLIP model in the Hugging Face ONNX layout: loading, validation, embedding.

use std::path::{Path, PathBuf};

use image::RgbImage;
use ort::session::Session;
use ort::value::{TensorElementType, TensorRef, ValueType};
use rayon::prelude::*;

use super::ClipError;
use super::precision::{self, Precision};
use super::preprocess::Preprocess;
use super::runtime::{self, SessionOptions};
use super::tokenize::{CONTEXT, ClipTokenizer};

/// The files of a model directory (the Hugging Face ONNX export of CLIP).
#[derive(Debug, Clone)]
pub struct ModelFiles {
    /// The directory.
    pub dir: PathBuf,
    /// The image encoder of the chosen precision (`onnx/vision_model.onnx` for fp32):
    /// `pixel_values` [B,3,H,W] → `image_embeds` [B,D].
    pub vision: PathBuf,
    /// The image encoder's precision.
    pub precision: Precision,
    /// `onnx/text_model.onnx`: `input_ids` [B,77] int64 → `text_embeds` [B,D].
    pub text: PathBuf,
    /// `tokenizer.json` (optional: OpenAI CLIP's BPE is used without it).
    pub tokenizer: PathBuf,
    /// `preprocessor_config.json`.
    pub preprocessor: PathBuf,
}

impl ModelFiles {
    /// The files of the export in `dir`, with the image encoder of `precision`.
    pub fn in_dir(dir: &Path, precision: Precision) -> Self {
        let vision = precision::available(dir)
            .into_iter()
            .find(|(p, _)| *p == precision)
            .map_or_else(
                || dir.join("onnx").join(precision.vision_files()[0]),
                |(_, f)| f,
            );
        Self {
            dir: dir.to_path_buf(),
            vision,
            precision,
            text: dir.join("onnx").join("text_model.onnx"),
            tokenizer: dir.join("tokenizer.json"),
            preprocessor: dir.join("preprocessor_config.json"),
        }
    }

    /// Fails on the first required file that is missing.
    pub fn check(&self) -> Result<(), ClipError> {
        if !self.dir.is_dir() {
            return Err(ClipError::MissingFile {
                file: self.dir.clone(),
                what: "the model directory".into(),
            });
        }
        precision::vision_file(&self.dir, self.precision)?;
        let need = [
            (
                &self.text,
                "the text encoder; a Hugging Face ONNX export of CLIP has onnx/text_model.onnx",
            ),
            (
                &self.preprocessor,
                "the image preprocessing: size, crop_size, image_mean, image_std",
            ),
        ];
        for (file, what) in need {
            if !file.is_file() {
                return Err(ClipError::MissingFile {
                    file: file.clone(),
                    what: what.into(),
                });
            }
        }
        Ok(())
    }
}

/// Options of loading a model.
#[derive(Debug, Clone, Copy)]
pub struct LoadOptions {
    /// Device and threads.
    pub session: SessionOptions,
    /// Which image encoder of the export runs.
    pub precision: Precision,
    /// Largest image batch given to the vision model at once.
    pub batch: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            session: SessionOptions::default(),
            precision: Precision::Fp32,
            batch: 64,
        }
    }
}

/// A loaded CLIP model.
pub struct ClipModel {
    files: ModelFiles,
    vision: Session,
    text: Session,
    text_mask: bool,
    half_pixels: bool,
    tokenizer: ClipTokenizer,
    pre: Preprocess,
    ctx: usize,
    dim: usize,
    batch: usize,
}

impl std::fmt::Debug for ClipModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClipModel")
            .field("dir", &self.files.dir)
            .field("dim", &self.dim)
            .field("pre", &self.pre)
            .finish_non_exhaustive()
    }
}

fn signature(s: &Session) -> String {
    let list = |o: &[ort::value::Outlet]| {
        o.iter()
            .map(|o| format!("`{}` {}", o.name(), o.dtype()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("inputs {}; outputs {}", list(s.inputs()), list(s.outputs()))
}

/// The shape and element type of the tensor input/output `name`, which must have rank
/// `rank` and one of the element types `types`.
fn outlet_shape(
    s: &Session,
    file: &Path,
    name: &str,
    input: bool,
    types: &[TensorElementType],
    rank: usize,
) -> Result<(Vec<i64>, TensorElementType), ClipError> {
    let outlets = if input { s.inputs() } else { s.outputs() };
    let kind = if input { "input" } else { "output" };
    let wrong = |message: String| ClipError::WrongSignature {
        file: file.to_path_buf(),
        message,
    };
    let o = outlets.iter().find(|o| o.name() == name).ok_or_else(|| {
        wrong(format!(
            "no {kind} named `{name}` — not a Hugging Face CLIP export? The file has {}",
            signature(s)
        ))
    })?;
    match o.dtype() {
        ValueType::Tensor { ty, shape, .. } if types.contains(ty) && shape.len() == rank => {
            Ok((shape.to_vec(), *ty))
        }
        other => Err(wrong(format!(
            "{kind} `{name}` is {other}; expected a rank-{rank} {} tensor",
            types
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(" or ")
        ))),
    }
}

fn run_err(file: &Path) -> impl Fn(ort::Error) -> ClipError + '_ {
    move |e| ClipError::Inference {
        file: file.to_path_buf(),
        message: e.to_string(),
    }
}

impl ClipModel {
    /// Loads and validates the model in `dir` (files, names, shapes, embedding sizes).
    pub fn load(dir: &Path, opts: LoadOptions) -> Result<Self, ClipError> {
        let files = ModelFiles::in_dir(dir, opts.precision);
        files.check()?;
        let pre = Preprocess::from_file(&files.preprocessor)?;
        let tokenizer = if files.tokenizer.is_file() {
            ClipTokenizer::from_file(&files.tokenizer)?
        } else {
            ClipTokenizer::openai()
        };
        let vision = runtime::session(&files.vision, opts.session)?;
        let text = runtime::session(&files.text, opts.session)?;

        // fp16 exports may keep float32 inputs and outputs or take and give float16
        const FLOATS: [TensorElementType; 2] =
            [TensorElementType::Float32, TensorElementType::Float16];
        let (px, px_ty) = outlet_shape(&vision, &files.vision, "pixel_values", true, &FLOATS, 4)?;
        let (img, _) = outlet_shape(&vision, &files.vision, "image_embeds", false, &FLOATS, 2)?;
        let (ids, _) = outlet_shape(
            &text,
            &files.text,
            "input_ids",
            true,
            &[TensorElementType::Int64],
            2,
        )?;
        let (txt, _) = outlet_shape(
            &text,
            &files.text,
            "text_embeds",
            false,
            &[TensorElementType::Float32],
            2,
        )?;
        let text_mask = text.inputs().iter().any(|o| o.name() == "attention_mask");
        if let Some(o) = vision.inputs().iter().find(|o| o.name() != "pixel_values") {
            return Err(ClipError::WrongSignature {
                file: files.vision.clone(),
                message: format!(
                    "unexpected extra input `{}`; {}",
                    o.name(),
                    signature(&vision)
                ),
            });
        }
        if let Some(o) = text
            .inputs()
            .iter()
            .find(|o| o.name() != "input_ids" && o.name() != "attention_mask")
        {
            return Err(ClipError::WrongSignature {
                file: files.text.clone(),
                message: format!(
                    "unexpected extra input `{}`; {}",
                    o.name(),
                    signature(&text)
                ),
            });
        }
        if px[1] >= 0 && px[1] != 3 {
            return Err(ClipError::WrongSignature {
                file: files.vision.clone(),
                message: format!("`pixel_values` has {} channels; expected 3 (RGB)", px[1]),
            });
        }
        let (ch, cw) = pre.crop;
        if (px[2] >= 0 && px[2] != i64::from(ch)) || (px[3] >= 0 && px[3] != i64::from(cw)) {
            return Err(ClipError::Config {
                file: files.preprocessor.clone(),
                message: format!(
                    "crop_size {ch}×{cw} (height×width) does not fit the image encoder's input {}×{} ({})",
                    px[2],
                    px[3],
                    files.vision.display()
                ),
            });
        }
        let ctx = if ids[1] > 0 { ids[1] as usize } else { CONTEXT };
        let mut model = Self {
            files,
            vision,
            text,
            text_mask,
            half_pixels: px_ty == TensorElementType::Float16,
            tokenizer,
            pre,
            ctx,
            dim: 0,
            batch: opts.batch.max(1),
        };
        // Embedding sizes: from the declared shapes when fixed, else from a probe run.
        let text_dim = if txt[1] > 0 {
            txt[1] as usize
        } else {
            model.run_text(&[String::new()])?.1
        };
        let img_dim = if img[1] > 0 {
            img[1] as usize
        } else {
            let probe = RgbImage::new(cw, ch);
            model.run_vision(&[&probe])?.1
        };
        if img_dim != text_dim {
            return Err(ClipError::WrongEmbeddingSize {
                message: format!(
                    "{} gives `image_embeds` of size {img_dim}, {} gives `text_embeds` of size {text_dim}; both encoders must embed into the same space",
                    model.files.vision.display(),
                    model.files.text.display()
                ),
            });
        }
        model.dim = img_dim;
        Ok(model)
    }

    /// The model's files.
    pub fn files(&self) -> &ModelFiles {
        &self.files
    }

    /// The embedding size.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The image preprocessing.
    pub fn preprocess(&self) -> &Preprocess {
        &self.pre
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &ClipTokenizer {
        &self.tokenizer
    }

    /// The text context length.
    pub fn context(&self) -> usize {
        self.ctx
    }

    /// Token ids of `texts`, `[texts.len(), context]` row-major.
    pub fn token_ids(&self, texts: &[String]) -> Result<Vec<i64>, ClipError> {
        let mut ids = Vec::with_capacity(texts.len() * self.ctx);
        for t in texts {
            ids.extend(
                self.tokenizer
                    .encode(t, self.ctx)
                    .map_err(|e| ClipError::Config {
                        file: self.files.tokenizer.clone(),
                        message: format!("tokenizing {t:?}: {e}"),
                    })?,
            );
        }
        Ok(ids)
    }

    fn run_text(&mut self, texts: &[String]) -> Result<(Vec<f32>, usize), ClipError> {
        let ids = self.token_ids(texts)?;
        let shape = [texts.len(), self.ctx];
        let err = run_err(&self.files.text);
        let ids_t = TensorRef::from_array_view((shape, &ids[..])).map_err(&err)?;
        let outputs = if self.text_mask {
            let mask = attention_mask(&ids, self.ctx, self.tokenizer.eos_id());
            let mask_t = TensorRef::from_array_view((shape, &mask[..])).map_err(&err)?;
            self.text
                .run(ort::inputs!["input_ids" => ids_t, "attention_mask" => mask_t])
                .map_err(&err)?
        } else {
            self.text
                .run(ort::inputs!["input_ids" => ids_t])
                .map_err(&err)?
        };
        let (shape, data) = outputs["text_embeds"]
            .try_extract_tensor::<f32>()
            .map_err(&err)?;
        let d = shape.get(1).copied().unwrap_or(0).max(0) as usize;
        if shape.len() != 2 || shape[0] as usize != texts.len() {
            return Err(ClipError::Inference {
                file: self.files.text.clone(),
                message: format!(
                    "`text_embeds` has shape {shape}; expected [{}, D]",
                    texts.len()
                ),
            });
        }
        Ok((data.to_vec(), d))
    }

    fn run_vision(&mut self, frames: &[&RgbImage]) -> Result<(Vec<f32>, usize), ClipError> {
        let per = self.pre.len();
        let mut buf = vec![0f32; frames.len() * per];
        let pre = &self.pre;
        buf.par_chunks_mut(per)
            .zip(frames.par_iter())
            .for_each(|(out, img)| pre.apply_into(img, out));
        self.run_pixels(&buf, frames.len())
    }

    /// Runs the image encoder on `n` preprocessed images (`pixel_values`, channels first,
    /// [`Preprocess::len`] floats each).
    fn run_pixels(&mut self, buf: &[f32], n: usize) -> Result<(Vec<f32>, usize), ClipError> {
        let (ch, cw) = self.pre.crop;
        let shape = [n, 3, ch as usize, cw as usize];
        let err = run_err(&self.files.vision);
        let outputs = if self.half_pixels {
            let half: Vec<half::f16> = buf.iter().map(|&x| half::f16::from_f32(x)).collect();
            let t = TensorRef::from_array_view((shape, &half[..])).map_err(&err)?;
            self.vision.run(ort::inputs!["pixel_values" => t])
        } else {
            let t = TensorRef::from_array_view((shape, buf)).map_err(&err)?;
            self.vision.run(ort::inputs!["pixel_values" => t])
        }
        .map_err(&err)?;
        let embeds = &outputs["image_embeds"];
        let (shape, data) = match embeds.try_extract_tensor::<f32>() {
            Ok((shape, data)) => (shape.clone(), data.to_vec()),
            Err(_) => {
                let (shape, data) = embeds.try_extract_tensor::<half::f16>().map_err(&err)?;
                (shape.clone(), data.iter().map(|x| x.to_f32()).collect())
            }
        };
        if shape.len() != 2 || shape[0] as usize != n {
            return Err(ClipError::Inference {
                file: self.files.vision.clone(),
                message: format!("`image_embeds` has shape {shape}; expected [{}, D]", n),
            });
        }
        Ok((data, shape[1].max(0) as usize))
    }

    /// Embeds texts (one batch), unnormalized.
    pub fn embed_texts(&mut self, texts: &[String]) -> Result<Vec<Vec<f32>>, ClipError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let (data, d) = self.run_text(texts)?;
        self.check_dim(d, true)?;
        Ok(data.chunks(d).map(<[f32]>::to_vec).collect())
    }

    /// Embeds frames in batches of at most the load option's `batch`, unnormalized.
    pub fn embed_images(&mut self, frames: &[&RgbImage]) -> Result<Vec<Vec<f32>>, ClipError> {
        let mut out = Vec::with_capacity(frames.len());
        for chunk in frames.chunks(self.batch) {
            let (data, d) = self.run_vision(chunk)?;
            self.check_dim(d, false)?;
            out.extend(data.chunks(d).map(<[f32]>::to_vec));
        }
        Ok(out)
    }

    /// Embeds `n` already preprocessed images (channels first, [`Preprocess::len`]
    /// floats each, as [`Preprocess::apply_into`] writes them) in one batch, unnormalized.
    pub fn embed_pixels(&mut self, pixels: &[f32], n: usize) -> Result<Vec<Vec<f32>>, ClipError> {
        if pixels.len() != n * self.pre.len() {
            return Err(ClipError::Inference {
                file: self.files.vision.clone(),
                message: format!(
                    "{} floats for {n} images of {} each",
                    pixels.len(),
                    self.pre.len()
                ),
            });
        }
        let (data, d) = self.run_pixels(pixels, n)?;
        self.check_dim(d, false)?;
        Ok(data.chunks(d).map(<[f32]>::to_vec).collect())
    }

    fn check_dim(&self, d: usize, text: bool) -> Result<(), ClipError> {
        if d == self.dim || self.dim == 0 {
            return Ok(());
        }
        let (file, what) = if text {
            (&self.files.text, "text_embeds")
        } else {
            (&self.files.vision, "image_embeds")
        };
        Err(ClipError::WrongEmbeddingSize {
            message: format!(
                "{} gave `{what}` of size {d}; the model's embedding size is {}",
                file.display(),
                self.dim
            ),
        })
    }
}

/// The attention mask of padded id rows: 1 up to and including each row's first end
/// token (after the start token), 0 on the padding after it.
pub fn attention_mask(ids: &[i64], ctx: usize, eos: i64) -> Vec<i64> {
    let mut mask = vec![0i64; ids.len()];
    for (row, m) in ids.chunks(ctx).zip(mask.chunks_mut(ctx)) {
        let n = row
            .iter()
            .skip(1)
            .position(|&i| i == eos)
            .map_or(row.len(), |p| p + 2);
        m[..n].fill(1);
    }
    mask
}

/// Reads a PNG (or any format the `image` crate was built with) as an RGB frame.
pub fn read_frame(path: &Path) -> Result<RgbImage, ClipError> {
    image::open(path)
        .map(|i| i.to_rgb8())
        .map_err(|e| ClipError::Image {
            file: path.to_path_buf(),
            message: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::attention_mask;

    #[test]
    fn mask_covers_tokens_through_the_first_end_token() {
        // Hugging Face style: padded with the end token (9)
        let ids = [8, 1, 2, 9, 9, 9, 8, 9, 9, 9, 9, 9];
        assert_eq!(
            attention_mask(&ids, 6, 9),
            [1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0]
        );
        // open_clip style: padded with 0; a full row without an end token is all ones
        assert_eq!(
            attention_mask(&[8, 5, 9, 0, 8, 5, 5, 5], 4, 9),
            [1, 1, 1, 0, 1, 1, 1, 1]
        );
    }
}
