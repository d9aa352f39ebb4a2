//! Small fully connected networks on plain f32 buffers for the CPU: forward, backward
//! and Adam written out by hand over the `gemm` crate's matrix kernels, with every
//! buffer kept between steps.
//!
//! SAC's gradient step is a few dozen 256-row matrix products on 256 × 256 layers; on
//! burn's `flex` backend the same step spent as much time in autodiff bookkeeping,
//! per-op allocation and parameter-gradient work nobody reads (the critic's weight
//! gradients in the actor loss) as in the products themselves (benches/README.md,
//! "SAC gradient step"). Here a network is one parameter vector, its optimizer two more
//! of the same length, and a backward pass computes exactly the gradients asked for.

pub mod adam;
pub mod gemm;
pub mod mlp;

pub use adam::Adam;
pub use mlp::{Mlp, MlpCache, MlpScratch};
