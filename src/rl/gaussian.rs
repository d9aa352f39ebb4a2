//! Diagonal Gaussian policy maths on the host, shared by PPO and SAC: log-densities,
//! entropy, the tanh squashing correction and SAC's bounded log-std.

/// `ln(2π)`.
pub const LN_2PI: f64 = 1.837_877_066_409_345_3;

/// Added inside `ln(1 - tanh(u)² + EPS)` so the squashing correction stays finite where
/// `tanh(u)` rounds to ±1 (SB3's and CleanRL's 1e-6).
pub const SQUASH_EPS: f64 = 1e-6;

/// `ln N(x; μ, σ²)` of one component, given the standardised `z = (x − μ)/σ` and `ln σ`.
pub fn log_density(z: f64, log_std: f64) -> f64 {
    -0.5 * z * z - log_std - 0.5 * LN_2PI
}

/// Entropy of one Gaussian component of log-std `log_std`: `ln σ + ½ + ½ ln 2π`.
pub fn entropy(log_std: f64) -> f64 {
    log_std + 0.5 + 0.5 * LN_2PI
}

/// The change-of-variables term of a tanh-squashed component: `ln(1 − y² + ε)` for
/// `y = tanh(u)`, subtracted from the Gaussian log-density of `u` (Haarnoja et al. 2018,
/// appendix C; ε as SB3).
pub fn squash_log_det(y: f64) -> f64 {
    (1.0 - y * y + SQUASH_EPS).ln()
}

/// Log-probability of a tanh-squashed sample `y = tanh(μ + σ z)` of one component.
pub fn squashed_log_prob(z: f64, log_std: f64, y: f64) -> f64 {
    log_density(z, log_std) - squash_log_det(y)
}

/// Bounds of SAC's log-std (CleanRL's `LOG_STD_MIN`, `LOG_STD_MAX`).
pub const LOG_STD_MIN: f64 = -5.0;
/// See [`LOG_STD_MIN`].
pub const LOG_STD_MAX: f64 = 2.0;

/// SAC's log-std from the actor's raw output: `raw` squashed by tanh into
/// [`LOG_STD_MIN`, `LOG_STD_MAX`] (CleanRL's `sac_continuous_action.py`).
pub fn bounded_log_std(raw: f64) -> f64 {
    LOG_STD_MIN + 0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (raw.tanh() + 1.0)
}

/// `d bounded_log_std / d raw`.
pub fn bounded_log_std_slope(raw: f64) -> f64 {
    let t = raw.tanh();
    0.5 * (LOG_STD_MAX - LOG_STD_MIN) * (1.0 - t * t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_density_matches_the_formula_at_hand_computed_points() {
        // Standard normal at 0: -½ ln 2π = -0.918938533.
        assert!((log_density(0.0, 0.0) + 0.918_938_533_204_672_7).abs() < 1e-12);
        // σ = e^{0.5}, x − μ = 2σ (z = 2): -2 - 0.5 - 0.918938533 = -3.418938533.
        assert!((log_density(2.0, 0.5) + 3.418_938_533_204_672_7).abs() < 1e-12);
        // Against a direct evaluation of the density: μ = 1, σ = 0.3, x = 1.45.
        let (mu, sigma, x) = (1.0f64, 0.3f64, 1.45f64);
        let p = (-(x - mu).powi(2) / (2.0 * sigma * sigma)).exp()
            / (sigma * (2.0 * std::f64::consts::PI).sqrt());
        assert!((log_density((x - mu) / sigma, sigma.ln()) - p.ln()).abs() < 1e-12);
    }

    #[test]
    fn entropy_is_the_closed_form_and_grows_with_log_std() {
        // ½ ln(2πe σ²) at σ = 1: 1.418938533.
        assert!((entropy(0.0) - 1.418_938_533_204_672_7).abs() < 1e-12);
        assert!((entropy(0.7) - entropy(0.0) - 0.7).abs() < 1e-12);
        // A Monte Carlo check of −E[ln p] for σ = 2 on a fine quadrature grid.
        let ls = 2f64.ln();
        let h = 1e-3;
        let mut neg_e = 0.0;
        let mut z = -10.0;
        while z < 10.0 {
            let lp = log_density(z, ls);
            // density of x = σ z is exp(lp), dx = σ dz
            neg_e -= lp.exp() * lp * 2.0 * h;
            z += h;
        }
        assert!(
            (neg_e - entropy(ls)).abs() < 1e-6,
            "{neg_e} vs {}",
            entropy(ls)
        );
    }

    #[test]
    fn tanh_correction_is_the_log_jacobian() {
        // y = tanh(u): dy/du = 1 − y², so ln p_Y(y) = ln p_U(u) − ln(1 − y²).
        let u: f64 = 0.8;
        let y = u.tanh();
        assert!((squash_log_det(y) - (1.0 - y * y + 1e-6).ln()).abs() < 1e-15);
        // Hand value: tanh 0.8 = 0.664036770, 1 − y² = 0.559055168, ln(· + 1e-6) = −0.581505.
        assert!(
            (squash_log_det(y) + 0.581_505_3).abs() < 1e-6,
            "{}",
            squash_log_det(y)
        );
        // The squashed density integrates to one over (−1, 1): μ = 0.3, σ = 0.5.
        let (mu, ls) = (0.3f64, 0.5f64.ln());
        let n = 200_000;
        let mut total = 0.0;
        for k in 0..n {
            let y = -1.0 + (k as f64 + 0.5) * 2.0 / n as f64;
            let u = y.atanh();
            let z = (u - mu) / ls.exp();
            total += squashed_log_prob(z, ls, y).exp() * 2.0 / n as f64;
        }
        assert!((total - 1.0).abs() < 1e-3, "{total}");
        // Far in the tail the ε keeps it finite.
        assert!(squash_log_det(1.0).is_finite());
    }

    #[test]
    fn bounded_log_std_spans_its_bounds_and_its_slope_is_the_derivative() {
        assert!((bounded_log_std(0.0) - (-1.5)).abs() < 1e-12);
        assert!((bounded_log_std(40.0) - LOG_STD_MAX).abs() < 1e-12);
        assert!((bounded_log_std(-40.0) - LOG_STD_MIN).abs() < 1e-12);
        for raw in [-2.0, -0.3, 0.0, 0.9, 3.0] {
            let h = 1e-6;
            let fd = (bounded_log_std(raw + h) - bounded_log_std(raw - h)) / (2.0 * h);
            assert!((fd - bounded_log_std_slope(raw)).abs() < 1e-7, "{raw}");
        }
    }
}
