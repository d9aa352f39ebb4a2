//! Text tokenization for CLIP: a model's `tokenizer.json` (the `tokenizers` crate), or,
//! without one, OpenAI CLIP's BPE vocabulary embedded in `instant-clip-tokenizer`.
//! Sequences are `<|startoftext|> … <|endoftext|>`, truncated to the context length
//! (keeping the end token) and padded.

use std::path::Path;

use super::ClipError;

/// CLIP's context length.
pub const CONTEXT: usize = 77;

/// A CLIP tokenizer.
pub enum ClipTokenizer {
    /// A `tokenizer.json` (Hugging Face `tokenizers`).
    Json {
        /// The tokenizer.
        tok: Box<tokenizers::Tokenizer>,
        /// The padding id.
        pad: i64,
        /// The end-of-text id (kept last when truncating).
        eos: i64,
    },
    /// OpenAI CLIP's BPE (`instant-clip-tokenizer`), padded with 0 as open_clip does.
    Openai(Box<instant_clip_tokenizer::Tokenizer>),
}

impl std::fmt::Debug for ClipTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Json { pad, eos, .. } => write!(f, "ClipTokenizer::Json(pad {pad}, eos {eos})"),
            Self::Openai(_) => write!(f, "ClipTokenizer::Openai"),
        }
    }
}

impl ClipTokenizer {
    /// Reads a `tokenizer.json`. The padding id is the file's padding setting, else
    /// `<|endoftext|>`'s id (as the Hugging Face CLIP tokenizer pads).
    pub fn from_file(file: &Path) -> Result<Self, ClipError> {
        let cfg = |message: String| ClipError::Config {
            file: file.to_path_buf(),
            message,
        };
        let tok = tokenizers::Tokenizer::from_file(file)
            .map_err(|e| cfg(format!("not a usable tokenizer.json: {e}")))?;
        let eos = ["<|endoftext|>", "</s>", "[SEP]"]
            .iter()
            .find_map(|t| tok.token_to_id(t))
            .ok_or_else(|| cfg("no end-of-text token `<|endoftext|>` in the vocabulary".into()))?;
        let pad = tok.get_padding().map_or(eos, |p| p.pad_id);
        Ok(Self::Json {
            tok: Box::new(tok),
            pad: i64::from(pad),
            eos: i64::from(eos),
        })
    }

    /// OpenAI CLIP's vocabulary (embedded; no file needed).
    pub fn openai() -> Self {
        Self::Openai(Box::new(instant_clip_tokenizer::Tokenizer::new()))
    }

    /// The ids of one text: start token, the text's tokens, end token, truncated to
    /// `ctx` (the end token kept) and padded to `ctx`.
    pub fn encode(&self, text: &str, ctx: usize) -> Result<Vec<i64>, String> {
        match self {
            Self::Json { tok, pad, eos } => {
                let enc = tok.encode(text, true).map_err(|e| e.to_string())?;
                let mut ids: Vec<i64> = enc.get_ids().iter().map(|&i| i64::from(i)).collect();
                if ids.len() > ctx {
                    ids.truncate(ctx);
                    ids[ctx - 1] = *eos;
                }
                ids.resize(ctx, *pad);
                Ok(ids)
            }
            Self::Openai(tok) => {
                let mut toks = vec![tok.start_of_text()];
                tok.encode(text, &mut toks);
                toks.truncate(ctx - 1);
                toks.push(tok.end_of_text());
                let mut ids: Vec<i64> = toks.iter().map(|t| i64::from(t.to_u16())).collect();
                ids.resize(ctx, 0);
                Ok(ids)
            }
        }
    }

    /// The padding id.
    pub fn pad_id(&self) -> i64 {
        match self {
            Self::Json { pad, .. } => *pad,
            Self::Openai(_) => 0,
        }
    }

    /// The end-of-text id.
    pub fn eos_id(&self) -> i64 {
        match self {
            Self::Json { eos, .. } => *eos,
            Self::Openai(t) => i64::from(t.end_of_text().to_u16()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference ids of OpenAI CLIP's BPE (open_clip's `tokenize`, and the
    // `openai/clip-vit-base-patch32` tokenizer): "a photo of a cat".
    #[test]
    fn openai_vocab_reference_ids() {
        let t = ClipTokenizer::openai();
        let ids = t.encode("a photo of a cat", CONTEXT).unwrap();
        assert_eq!(ids[..7], [49406, 320, 1125, 539, 320, 2368, 49407]);
        assert!(ids[7..].iter().all(|&i| i == 0));
        assert_eq!(ids.len(), CONTEXT);
        let ids = t.encode("Hi", 5).unwrap();
        assert_eq!(ids, [49406, 1883, 49407, 0, 0]);
        // truncation keeps the end token
        let long = "cat ".repeat(100);
        let ids = t.encode(&long, CONTEXT).unwrap();
        assert_eq!(ids.len(), CONTEXT);
        assert_eq!(ids[CONTEXT - 1], 49407);
    }
}
