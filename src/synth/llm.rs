//! An OpenAI-compatible chat-completions client (OpenAI, vLLM, Ollama, llama.cpp's
//! server, LM Studio): retries with exponential backoff on 429/5xx, timeouts, dropped
//! connections and invalid JSON, honouring `Retry-After`; token usage recorded.
//!
//! The API key is read from the environment variable the settings name, kept in memory
//! only, sent only in the `Authorization` header, and never printed (`Debug` redacts it).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use thiserror::Error;

use super::config::LlmSettings;

/// One chat message.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user` or `assistant`.
    pub role: String,
    /// The text.
    pub content: String,
}

impl Message {
    /// A message with `role`.
    pub fn new(role: &str, content: impl Into<String>) -> Self {
        Self {
            role: role.to_string(),
            content: content.into(),
        }
    }
}

/// One reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The reply text.
    pub content: String,
    /// `stop`, `length`, ... as the server said.
    pub finish_reason: Option<String>,
}

/// Tokens used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub prompt_tokens: u64,
    /// Completion tokens.
    pub completion_tokens: u64,
}

impl Usage {
    /// Add another usage.
    pub fn add(&mut self, o: Usage) {
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
    }
}

/// A successful request.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    /// The replies (up to `n`).
    pub choices: Vec<Choice>,
    /// Tokens used by the request.
    pub usage: Usage,
    /// Attempts it took (1 = no retry).
    pub attempts: u32,
}

/// Why a request failed for good.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum LlmError {
    /// A status that is not retried (e.g. 400, 401, 404), or a retried one after the
    /// last attempt.
    #[error("HTTP {status} from the LLM endpoint after {attempts} attempt(s): {body}")]
    Status {
        /// HTTP status.
        status: u16,
        /// Start of the response body.
        body: String,
        /// Attempts made.
        attempts: u32,
    },
    /// Timeout, refused or dropped connection, after the last attempt.
    #[error("the LLM endpoint failed after {attempts} attempt(s): {message}")]
    Transport {
        /// What happened.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The body was not a chat-completions response, after the last attempt.
    #[error("the LLM endpoint sent an invalid response after {attempts} attempt(s): {message}")]
    Invalid {
        /// What is wrong.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
}

enum Attempt {
    Done(Completion),
    Retry(LlmError, Option<f64>),
    Fatal(LlmError),
}

/// The HTTP client.
pub struct LlmClient {
    settings: LlmSettings,
    key: Option<String>,
    agent: ureq::Agent,
}

impl std::fmt::Debug for LlmClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmClient")
            .field("url", &self.settings.url)
            .field("model", &self.settings.model)
            .field("key", &self.key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

fn snippet(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(300) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

impl LlmClient {
    /// A client; reads the key from the environment variable `settings.key_env`.
    pub fn new(settings: &LlmSettings) -> Self {
        let key = if settings.key_env.is_empty() {
            None
        } else {
            std::env::var(&settings.key_env)
                .ok()
                .filter(|k| !k.is_empty())
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs_f64(settings.timeout_s)))
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            settings: settings.clone(),
            key,
            agent,
        }
    }

    /// The endpoint requests go to.
    pub fn endpoint(&self) -> String {
        format!(
            "{}/chat/completions",
            self.settings.url.trim_end_matches('/')
        )
    }

    /// Ask for `n` replies to `messages`, retrying as the settings say.
    pub fn complete(&self, messages: &[Message], n: usize) -> Result<Completion, LlmError> {
        let s = &self.settings;
        let mut body = json!({
            "model": s.model,
            "messages": messages,
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
        });
        if n > 1 {
            body["n"] = json!(n);
        }
        let body = body.to_string();
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            match self.attempt(&body, attempt) {
                Attempt::Done(c) => return Ok(c),
                Attempt::Fatal(e) => return Err(e),
                Attempt::Retry(e, retry_after) => {
                    if attempt > s.retries {
                        return Err(e);
                    }
                    let backoff = s.backoff_s * 2f64.powi(attempt as i32 - 1);
                    let wait = retry_after.unwrap_or(backoff).clamp(0.0, s.max_backoff_s);
                    std::thread::sleep(Duration::from_secs_f64(wait));
                }
            }
        }
    }

    fn attempt(&self, body: &str, attempts: u32) -> Attempt {
        let mut req = self
            .agent
            .post(self.endpoint())
            .header("Content-Type", "application/json");
        if let Some(k) = &self.key {
            req = req.header("Authorization", format!("Bearer {k}"));
        }
        let transport = |e: ureq::Error| LlmError::Transport {
            message: e.to_string(),
            attempts,
        };
        let mut resp = match req.send(body) {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(transport(e), None),
        };
        let status = resp.status().as_u16();
        let retry_after = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        let text = match resp.body_mut().read_to_string() {
            Ok(t) => t,
            Err(e) => return Attempt::Retry(transport(e), None),
        };
        if status != 200 {
            let e = LlmError::Status {
                status,
                body: snippet(&text),
                attempts,
            };
            return if status == 429 || status >= 500 || status == 408 {
                Attempt::Retry(e, retry_after)
            } else {
                Attempt::Fatal(e)
            };
        }
        match parse_completion(&text) {
            Ok((choices, usage)) => Attempt::Done(Completion {
                choices,
                usage,
                attempts,
            }),
            Err(message) => Attempt::Retry(LlmError::Invalid { message, attempts }, None),
        }
    }
}

/// Parse a chat-completions response body.
pub fn parse_completion(text: &str) -> Result<(Vec<Choice>, Usage), String> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| format!("not JSON ({e}): {}", snippet(text)))?;
    if let Some(err) = v.get("error") {
        return Err(format!("error object: {}", snippet(&err.to_string())));
    }
    let choices = v
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("no `choices` array: {}", snippet(text)))?;
    let mut out = Vec::new();
    for c in choices {
        let content = c
            .pointer("/message/content")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                format!(
                    "a choice has no message.content: {}",
                    snippet(&c.to_string())
                )
            })?;
        out.push(Choice {
            content: content.to_string(),
            finish_reason: c
                .get("finish_reason")
                .and_then(Value::as_str)
                .map(str::to_string),
        });
    }
    if out.is_empty() {
        return Err("`choices` is empty".into());
    }
    let num = |k: &str| {
        v.pointer(&format!("/usage/{k}"))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    Ok((
        out,
        Usage {
            prompt_tokens: num("prompt_tokens"),
            completion_tokens: num("completion_tokens"),
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_choices_usage_and_rejects_bad_bodies() {
        let body = r#"{"choices":[{"message":{"role":"assistant","content":"a"},"finish_reason":"stop"},
            {"message":{"content":"b"},"finish_reason":"length"}],"usage":{"prompt_tokens":7,"completion_tokens":3}}"#;
        let (c, u) = parse_completion(body).unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].finish_reason.as_deref(), Some("length"));
        assert_eq!((u.prompt_tokens, u.completion_tokens), (7, 3));
        assert!(
            parse_completion("{\"choices\": [tru")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            parse_completion("{\"choices\": []}")
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            parse_completion("{\"error\": {\"message\": \"quota\"}}")
                .unwrap_err()
                .contains("quota")
        );
    }

    #[test]
    fn debug_never_shows_the_key() {
        let s = LlmSettings {
            key_env: "RS_LLM_UNIT_KEY_UNSET".into(),
            ..LlmSettings::default()
        };
        let c = LlmClient::new(&s);
        assert!(!format!("{c:?}").contains("Bearer"));
    }
}
