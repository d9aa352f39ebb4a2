//! A control sequence as a spline: K knots (times and control vectors) with zero-order,
//! linear or cubic interpolation between them, clamped to the controls' ranges.
//!
//! The cubic is a Hermite curve whose knot slopes are finite differences (the mean of
//! the two neighbouring secants inside, the one secant at either end), as MJPC's
//! sampling policy interpolates (Howell et al. 2022, "Predictive Sampling: Real-time
//! Behaviour Synthesis with MuJoCo"; mujoco_mpc `CubicInterpolation`). Before the first
//! knot the first value holds, after the last the last.

use super::config::Interpolation;

/// A spline over `dim`-dimensional controls.
#[derive(Debug, Clone, PartialEq)]
pub struct Spline {
    /// Knot times in seconds, increasing.
    times: Vec<f64>,
    /// Knot values, `dim` per knot, knot-major.
    values: Vec<f64>,
    dim: usize,
    interpolation: Interpolation,
}

impl Spline {
    /// `knots` knots of `value` (a constant control), at `t0`, `t0 + span / (K − 1)`, …,
    /// `t0 + span`.
    pub fn constant(
        value: &[f64],
        knots: usize,
        t0: f64,
        span: f64,
        interpolation: Interpolation,
    ) -> Self {
        let knots = knots.max(1);
        Self {
            times: knot_times(knots, t0, span),
            values: value.repeat(knots),
            dim: value.len(),
            interpolation,
        }
    }

    /// Number of knots.
    pub fn knots(&self) -> usize {
        self.times.len()
    }

    /// Components of one control.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Knot times.
    pub fn times(&self) -> &[f64] {
        &self.times
    }

    /// Knot values, `dim` per knot.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Knot values, mutable (the planner adds noise to them).
    pub fn values_mut(&mut self) -> &mut [f64] {
        &mut self.values
    }

    /// The control at time `t`, written into `out` (`dim` values), clamped to
    /// `[low, high]`.
    pub fn eval(&self, t: f64, low: &[f64], high: &[f64], out: &mut [f64]) {
        let d = self.dim;
        let n = self.times.len();
        let at = |k: usize| &self.values[k * d..(k + 1) * d];
        // The interval [times[i], times[i + 1]) holding t, or an end.
        let upper = self.times.partition_point(|&x| x <= t);
        if upper == 0 || upper >= n {
            let k = if upper == 0 { 0 } else { n - 1 };
            out.copy_from_slice(at(k));
        } else {
            let i = upper - 1;
            let (t0, t1) = (self.times[i], self.times[i + 1]);
            let h = t1 - t0;
            let s = (t - t0) / h;
            match self.interpolation {
                Interpolation::Zero => out.copy_from_slice(at(i)),
                Interpolation::Linear => {
                    for (c, o) in out.iter_mut().enumerate() {
                        *o = (1.0 - s) * at(i)[c] + s * at(i + 1)[c];
                    }
                }
                Interpolation::Cubic => {
                    // Hermite basis on [0, 1], slopes scaled by the interval length.
                    let (s2, s3) = (s * s, s * s * s);
                    let h00 = 2.0 * s3 - 3.0 * s2 + 1.0;
                    let h10 = (s3 - 2.0 * s2 + s) * h;
                    let h01 = -2.0 * s3 + 3.0 * s2;
                    let h11 = (s3 - s2) * h;
                    for (c, o) in out.iter_mut().enumerate() {
                        let m0 = self.slope(i, c);
                        let m1 = self.slope(i + 1, c);
                        *o = h00 * at(i)[c] + h10 * m0 + h01 * at(i + 1)[c] + h11 * m1;
                    }
                }
            }
        }
        for ((o, &lo), &hi) in out.iter_mut().zip(low).zip(high) {
            *o = o.clamp(lo, hi);
        }
    }

    /// Finite-difference slope of component `c` at knot `k`.
    fn slope(&self, k: usize, c: usize) -> f64 {
        let n = self.times.len();
        let d = self.dim;
        let secant = |a: usize, b: usize| {
            (self.values[b * d + c] - self.values[a * d + c]) / (self.times[b] - self.times[a])
        };
        if n < 2 {
            0.0
        } else if k == 0 {
            secant(0, 1)
        } else if k == n - 1 {
            secant(n - 2, n - 1)
        } else {
            0.5 * (secant(k - 1, k) + secant(k, k + 1))
        }
    }

    /// Move the knots to `t0 + span · i / (K − 1)`, each taking this spline's (clamped)
    /// value at its new time: the receding horizon's shift (MJPC's
    /// `UpdateNominalPolicy`).
    pub fn resample(&mut self, t0: f64, span: f64, low: &[f64], high: &[f64]) {
        let times = knot_times(self.times.len(), t0, span);
        let mut values = vec![0.0; self.values.len()];
        for (k, &t) in times.iter().enumerate() {
            self.eval(t, low, high, &mut values[k * self.dim..(k + 1) * self.dim]);
        }
        self.times = times;
        self.values = values;
    }

    /// Copy `other`'s knots into this spline (same size), reusing its buffers.
    pub fn copy_from(&mut self, other: &Spline) {
        self.times.clone_from(&other.times);
        self.values.clone_from(&other.values);
        self.dim = other.dim;
        self.interpolation = other.interpolation;
    }
}

fn knot_times(knots: usize, t0: f64, span: f64) -> Vec<f64> {
    if knots == 1 {
        return vec![t0];
    }
    // Distinct times even for a zero span, so every interval has a length.
    let step = (span / (knots - 1) as f64).max(1e-6);
    (0..knots).map(|i| t0 + step * i as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOW: [f64; 1] = [-10.0];
    const HIGH: [f64; 1] = [10.0];

    fn ramp(interp: Interpolation) -> Spline {
        let mut s = Spline::constant(&[0.0], 3, 0.0, 1.0, interp);
        s.values_mut().copy_from_slice(&[0.0, 1.0, 4.0]);
        s
    }

    fn at(s: &Spline, t: f64) -> f64 {
        let mut o = [0.0];
        s.eval(t, &LOW, &HIGH, &mut o);
        o[0]
    }

    #[test]
    fn interpolations_pass_through_the_knots_and_hold_at_the_ends() {
        for interp in [
            Interpolation::Zero,
            Interpolation::Linear,
            Interpolation::Cubic,
        ] {
            let s = ramp(interp);
            assert_eq!(at(&s, 0.0), 0.0);
            assert_eq!(at(&s, 0.5), 1.0);
            assert_eq!(at(&s, 1.0), 4.0);
            assert_eq!(at(&s, -3.0), 0.0, "before the first knot");
            assert_eq!(at(&s, 7.0), 4.0, "after the last knot");
        }
        assert_eq!(at(&ramp(Interpolation::Zero), 0.75), 1.0);
        assert_eq!(at(&ramp(Interpolation::Linear), 0.75), 2.5);
        // Cubic Hermite at s = 1/2 of [0.5, 1]: slopes 4 (mean of 2 and 6) and 6
        // (the last secant); (1 + 4)/2 + (4 − 6)·0.5/8 = 2.375.
        assert!((at(&ramp(Interpolation::Cubic), 0.75) - 2.375).abs() < 1e-12);
    }

    #[test]
    fn values_are_clamped_and_resampling_shifts_the_plan() {
        let s = ramp(Interpolation::Linear);
        let mut o = [0.0];
        s.eval(1.0, &[-1.0], &[1.0], &mut o);
        assert_eq!(o[0], 1.0);
        let mut r = ramp(Interpolation::Linear);
        r.resample(0.5, 1.0, &LOW, &HIGH);
        assert_eq!(r.times(), &[0.5, 1.0, 1.5]);
        // The old plan's values at the new times; past its end it holds the last.
        assert_eq!(r.values(), &[1.0, 4.0, 4.0]);
    }
}
