//! Reward synthesis: an LLM writes K reward programs per round, rewardsmith checks and
//! evaluates each, and feeds fitness, reward statistics and errors back (Eureka,
//! Text2Reward).

pub mod config;
pub mod extract;
pub mod llm;
pub mod plot;
pub mod prompts;
pub mod round;
pub mod train_trainer;
pub mod trainer;
