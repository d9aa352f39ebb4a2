//! The live reward plot: line strips of several series drawn into an RGBA image on
//! the CPU (shown in the overlay as a UI image).

/// Background of the plot.
const BG: [u8; 4] = [24, 26, 32, 255];
/// The zero line.
const AXIS: [u8; 4] = [90, 94, 104, 255];

/// Colours of the series: the first is the total, the rest the components.
pub const PALETTE: [[u8; 3]; 8] = [
    [240, 240, 240],
    [230, 159, 0],
    [86, 180, 233],
    [0, 158, 115],
    [240, 228, 66],
    [213, 94, 0],
    [204, 121, 167],
    [0, 114, 178],
];

/// The colour of series `i`.
pub fn color(i: usize) -> [u8; 3] {
    PALETTE[i % PALETTE.len()]
}

/// Draw `series` (each a value per step; NaN leaves a gap) into a `w`×`h` RGBA buffer,
/// x spanning the longest series, y the range of all finite values and zero.
pub fn draw(series: &[&[f64]], w: usize, h: usize, out: &mut Vec<u8>) {
    out.clear();
    out.extend(std::iter::repeat_n(BG, w * h).flatten());
    if w < 2 || h < 2 {
        return;
    }
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for v in series
        .iter()
        .flat_map(|s| s.iter())
        .filter(|v| v.is_finite())
    {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let pad = 0.05 * (hi - lo);
    let (lo, hi) = (lo - pad, hi + pad);
    let n = series.iter().map(|s| s.len()).max().unwrap_or(0).max(2);
    let to_px = |i: usize, v: f64| -> (f32, f32) {
        let x = i as f32 / (n - 1) as f32 * (w - 1) as f32;
        let y = ((hi - v) / (hi - lo)) as f32 * (h - 1) as f32;
        (x, y)
    };
    let zero = to_px(0, 0.0).1;
    line(out, w, h, (0.0, zero), ((w - 1) as f32, zero), AXIS);
    // Components under the total: draw in reverse.
    for (k, s) in series.iter().enumerate().rev() {
        let [r, g, b] = color(k);
        let c = [r, g, b, 255];
        for i in 1..s.len() {
            let (a, b) = (s[i - 1], s[i]);
            if a.is_finite() && b.is_finite() {
                line(out, w, h, to_px(i - 1, a), to_px(i, b), c);
            }
        }
        if s.len() == 1 && s[0].is_finite() {
            let p = to_px(0, s[0]);
            line(out, w, h, p, p, c);
        }
    }
}

/// A one-pixel line from `a` to `b` (clipped to the buffer).
fn line(out: &mut [u8], w: usize, h: usize, a: (f32, f32), b: (f32, f32), c: [u8; 4]) {
    let steps = (b.0 - a.0).abs().max((b.1 - a.1).abs()).ceil().max(1.0) as usize;
    for s in 0..=steps {
        let t = s as f32 / steps as f32;
        let x = (a.0 + (b.0 - a.0) * t).round();
        let y = (a.1 + (b.1 - a.1) * t).round();
        if x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h {
            let i = 4 * (y as usize * w + x as usize);
            out[i..i + 4].copy_from_slice(&c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_series_in_their_colours_within_bounds() {
        let total = [0.0, 1.0, 2.0, 3.0];
        let comp = [f64::NAN, -1.0, -1.0, -1.0];
        let mut buf = Vec::new();
        draw(&[&total, &comp], 40, 20, &mut buf);
        assert_eq!(buf.len(), 40 * 20 * 4);
        let has = |c: [u8; 3]| buf.chunks(4).any(|p| p[..3] == c);
        assert!(has(color(0)));
        assert!(has(color(1)));
        // the total's last point is at the top right, inside the buffer
        let px = |x: usize, y: usize| &buf[4 * (y * 40 + x)..4 * (y * 40 + x) + 3];
        assert!((0..3).any(|y| px(39, y) == color(0).as_slice()));
        let mut empty = Vec::new();
        draw(&[], 10, 10, &mut empty);
        // nothing but the background and the zero line
        assert!(empty.chunks(4).all(|p| p == BG || p == AXIS));
    }
}
