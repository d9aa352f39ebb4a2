//! Reward synthesis: an LLM writes K reward programs per round, rewardsmith checks and
//! evaluates each, and feeds fitness, reward statistics and errors back (Eureka,
//! Text2Reward), or a person's ranking of the candidates' rollouts (ICPL).

mod ask;
mod candidate;
pub mod config;
mod conversation;
pub mod error;
pub mod extract;
pub mod llm;
pub mod plot;
pub mod prompts;
pub mod ranking;
pub mod record;
mod report;
pub mod round;
pub mod train_trainer;
pub mod trainer;

pub use conversation::samples_text;
pub use error::SynthError;
