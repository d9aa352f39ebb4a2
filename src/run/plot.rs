//! `curves.png`: episode return, success rate and reward components against env steps
//! (and, for a reward file with constraints, each λ and violation rate), drawn with
//! plotters. Text uses a TrueType font read at run time (DejaVu Sans from the
//! system, or `REWARDSMITH_FONT`); without one the curves are drawn without labels and
//! the series names are only in `metrics.jsonl`.

use plotters::prelude::*;
use std::path::Path;
use std::sync::OnceLock;

use super::{Metrics, RunError};

const FONT_CANDIDATES: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
];

/// Register a font once; whether text can be drawn.
fn font_available() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        let env = std::env::var("REWARDSMITH_FONT").ok();
        let paths = env
            .iter()
            .map(String::as_str)
            .chain(FONT_CANDIDATES.iter().copied());
        for p in paths {
            if let Ok(bytes) = std::fs::read(p) {
                let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                if plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok() {
                    return true;
                }
            }
        }
        false
    })
}

const COLORS: &[RGBColor] = &[
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
];

/// Draw the curves of a `metrics.jsonl` into a PNG.
pub fn curves(metrics: &Path, png: &Path) -> Result<(), RunError> {
    let text = std::fs::read_to_string(metrics).map_err(RunError::io("reading", metrics))?;
    let rows: Vec<Metrics> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let (w, h) = size(&rows);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    draw(&rows, (w, h), &mut rgb, font_available()).map_err(|e| RunError::Plot {
        path: png.to_path_buf(),
        message: e.to_string(),
    })?;
    let img = image::RgbImage::from_raw(w, h, rgb).expect("the buffer is w × h × 3");
    crate::render::write_png(png, &img)?;
    Ok(())
}

/// Pixel size of one panel of `curves.png` (panels stand side by side).
const PANEL: (u32, u32) = (500, 450);

/// Components of a reward file's constraints that are not reward (the multiplier and
/// the violation rate): drawn in a panel of their own, not among the components.
fn is_constraint_state(name: &str) -> bool {
    ["lambda/", "violated/", "violation/"]
        .iter()
        .any(|p| name.starts_with(p))
}

/// Whether the run logs constraints (a fourth panel).
fn has_constraints(rows: &[Metrics]) -> bool {
    rows.iter()
        .any(|m| m.components.keys().any(|k| is_constraint_state(k)))
}

/// Pixel size of `curves.png`: three panels, four with constraints.
fn size(rows: &[Metrics]) -> (u32, u32) {
    let n = if has_constraints(rows) { 4 } else { 3 };
    (PANEL.0 * n, PANEL.1)
}

type Series = (String, Vec<(f64, f64)>);

/// An error of drawing into the bitmap.
type DrawError = DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// Draw the panels of `rows` into `rgb`, a `size` bitmap (see [`size`]).
fn draw(rows: &[Metrics], size: (u32, u32), rgb: &mut [u8], text: bool) -> Result<(), DrawError> {
    let root = BitMapBackend::with_buffer(rgb, size).into_drawing_area();
    root.fill(&WHITE)?;
    let panels = root.split_evenly((1, (size.0 / PANEL.0) as usize));
    let pts = |f: &dyn Fn(&Metrics) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter_map(|m| {
                f(m).filter(|v| v.is_finite())
                    .map(|v| (m.global_step as f64, v))
            })
            .collect()
    };
    let mut names: Vec<String> = rows
        .iter()
        .flat_map(|m| m.components.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let series_of = |n: &String| (n.clone(), pts(&|m| m.components.get(n).copied()));
    let comps: Vec<Series> = names
        .iter()
        .filter(|n| !is_constraint_state(n))
        .map(series_of)
        .collect();
    // λ and the violation rate (the mean of `violated/…`) of each constraint.
    let constraints: Vec<Series> = names
        .iter()
        .filter(|n| n.starts_with("lambda/") || n.starts_with("violated/"))
        .map(|n| {
            let (name, points) = series_of(n);
            (name.replacen("violated/", "violation rate ", 1), points)
        })
        .collect();
    // Training episodes, and the periodic deterministic evaluations where the run has
    // them (`eval_every`).
    let with_eval = |train: Series, eval: Vec<(f64, f64)>| -> Vec<Series> {
        let mut v = vec![train];
        if !eval.is_empty() {
            v.push(("deterministic eval".into(), eval));
        }
        v
    };
    let mut plots: Vec<(&str, Vec<Series>)> = vec![
        (
            "episode return",
            with_eval(
                ("training episodes".into(), pts(&|m| m.ep_return)),
                pts(&|m| m.eval.as_ref().map(|e| e.mean_return)),
            ),
        ),
        (
            "success rate",
            with_eval(
                ("training episodes".into(), pts(&|m| m.success_rate)),
                pts(&|m| m.eval.as_ref().map(|e| e.success_rate)),
            ),
        ),
        ("reward components (per-step mean)", comps),
    ];
    if !constraints.is_empty() {
        plots.push(("constraints: λ and violation rate", constraints));
    }
    for (area, (title, series)) in panels.iter().zip(plots) {
        let xmax = rows.last().map_or(1.0, |m| m.global_step as f64).max(1.0);
        let ys = series.iter().flat_map(|(_, s)| s.iter().map(|p| p.1));
        let (mut lo, mut hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
            (a.min(y), b.max(y))
        });
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 1e-9 {
            (lo, hi) = (lo - 0.5, hi + 0.5);
        }
        let pad = 0.05 * (hi - lo);
        let mut b = ChartBuilder::on(area);
        b.margin(12);
        if text {
            b.caption(title, ("sans-serif", 18))
                .x_label_area_size(30)
                .y_label_area_size(50);
        }
        let mut chart = b.build_cartesian_2d(0.0..xmax, (lo - pad)..(hi + pad))?;
        let mut mesh = chart.configure_mesh();
        let kfmt = |x: &f64| format!("{:.0}k", x / 1000.0);
        if text {
            mesh.x_desc("env steps")
                .x_labels(6)
                .x_label_formatter(&kfmt);
        } else {
            mesh.disable_x_mesh()
                .disable_y_mesh()
                .x_labels(0)
                .y_labels(0);
        }
        mesh.draw()?;
        for (i, (name, s)) in series.iter().enumerate() {
            let c = COLORS[i % COLORS.len()];
            let drawn = chart.draw_series(LineSeries::new(s.iter().copied(), c.stroke_width(2)))?;
            if text {
                drawn.label(name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            }
        }
        let components_panel = title.starts_with("reward") || title.starts_with("constraints");
        if text && (series.len() > 1 || (components_panel && !series.is_empty())) {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .label_font(("sans-serif", 13))
                .draw()?;
        }
    }
    root.present()?;
    Ok(())
}
