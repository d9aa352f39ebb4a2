//! `progress.png`: best-so-far and mean fitness per round. Drawn with plotters' bitmap
//! backend and no text (no font is bundled); the legend is in `summary.md`.

use std::path::Path;

use plotters::prelude::*;

use super::SynthError;
use super::record::SampleRecord;

/// Draw the progress plot of `rounds` (of `total` planned) to `path`.
pub fn progress_png(
    path: &Path,
    rounds: &[Vec<SampleRecord>],
    total: usize,
) -> Result<(), SynthError> {
    let mut best_so_far = Vec::new();
    let mut mean = Vec::new();
    let mut best = None::<f64>;
    for (i, recs) in rounds.iter().enumerate() {
        let fit: Vec<f64> = recs
            .iter()
            .filter_map(|r| r.result.as_ref().map(|x| x.success_rate))
            .collect();
        let x = (i + 1) as f64;
        if let Some(m) = fit.iter().copied().reduce(f64::max) {
            best = Some(best.map_or(m, |b: f64| b.max(m)));
        }
        if let Some(b) = best {
            best_so_far.push((x, b));
        }
        if !fit.is_empty() {
            mean.push((x, fit.iter().sum::<f64>() / fit.len() as f64));
        }
    }
    let (w, h) = (640u32, 400u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let err = |e: &dyn std::fmt::Display| SynthError::Plot {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let x_max = total.max(2) as f64;
        let mut chart = ChartBuilder::on(&root)
            .margin(20)
            .build_cartesian_2d(0.8..x_max + 0.2, -0.02..1.02)
            .map_err(|e| err(&e))?;
        let grey = RGBColor(210, 210, 210);
        for y in [0.0, 0.25, 0.5, 0.75, 1.0] {
            chart
                .draw_series(LineSeries::new(
                    [(0.8, y), (x_max + 0.2, y)],
                    grey.stroke_width(1),
                ))
                .map_err(|e| err(&e))?;
        }
        for r in 1..=total.max(2) {
            let x = r as f64;
            chart
                .draw_series(LineSeries::new(
                    [(x, -0.02), (x, 1.02)],
                    grey.stroke_width(1),
                ))
                .map_err(|e| err(&e))?;
        }
        for (pts, color) in [(&mean, RED), (&best_so_far, BLUE)] {
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(3)))
                .map_err(|e| err(&e))?;
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 5, color.filled())))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).ok_or_else(|| err(&"bad buffer"))?;
    crate::render::write_png(path, &img).map_err(|e| err(&crate::error::Chain(&e)))?;
    Ok(())
}
