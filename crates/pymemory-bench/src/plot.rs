//! PNG line plots of the scaling curves (plotters' bitmap backend). Text is drawn with
//! the DejaVu Sans Mono font embedded from `assets/`, so no system font library is needed.

use std::path::Path;
use std::sync::Once;

use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::report::{Curve, Kind, fmt_count};

static FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");
static REGISTER: Once = Once::new();

/// pymemory first (red, thick), then one colour per competitor.
const COLORS: [RGBColor; 9] = [
    RGBColor(214, 39, 40),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];

/// Up to three significant digits, trailing zeros dropped.
fn compact(v: f64) -> String {
    let s = crate::util::sig3(v);
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn axis_label(kind: Kind, v: f64) -> String {
    match kind {
        Kind::Time => {
            if v >= 1.0 {
                format!("{}s", compact(v))
            } else if v >= 1e-3 {
                format!("{}ms", compact(v * 1e3))
            } else if v >= 1e-6 {
                format!("{}µs", compact(v * 1e6))
            } else {
                format!("{}ns", compact(v * 1e9))
            }
        }
        Kind::Bytes => {
            if v >= 1e9 {
                format!("{}GB", compact(v / 1e9))
            } else if v >= 1e6 {
                format!("{}MB", compact(v / 1e6))
            } else if v >= 1e3 {
                format!("{}kB", compact(v / 1e3))
            } else {
                format!("{}B", compact(v))
            }
        }
        Kind::Throughput => format!("{}GB/s", compact(v / 1e9)),
        Kind::Count => fmt_count(v),
    }
}

/// Draws `curve` into `dir/<id>.png`, log-scaled on both axes.
pub(crate) fn draw(curve: &Curve, dir: &Path) -> Result<(), String> {
    REGISTER.call_once(|| {
        let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let path = dir.join(format!("{}.png", curve.id));
    let points: Vec<(f64, f64)> = curve
        .series
        .iter()
        .flat_map(|s| s.points.iter().filter_map(|&(x, y)| Some((x, y?))))
        .filter(|&(x, y)| x > 0.0 && y > 0.0 && y.is_finite())
        .collect();
    if points.is_empty() {
        return Err(format!("{}: no data", curve.id));
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in &points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    // Margins in log space so end points are not on the frame.
    // Throughput curves fall to the right: their legend goes below the lowest line, in
    // extra room; the time and memory curves rise, so it goes top left.
    let throughput = curve.y_kind == Kind::Throughput;
    let (x0, x1) = (x0 / 1.3, x1 * 1.3);
    let (y0, y1) = if throughput {
        (y0 / 12.0, y1 * 1.6)
    } else {
        (y0 / 1.6, y1 * 12.0)
    };
    let root = BitMapBackend::new(&path, (1000, 650)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(&curve.title, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(45)
        .y_label_area_size(90)
        .build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale())
        .map_err(|e| err(&e))?;
    let (xk, yk) = (curve.x_kind, curve.y_kind);
    chart
        .configure_mesh()
        .x_desc(curve.x_label.as_str())
        .y_desc(curve.y_label.as_str())
        .x_label_formatter(&|v| axis_label(xk, *v))
        .y_label_formatter(&|v| axis_label(yk, *v))
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 16))
        .draw()
        .map_err(|e| err(&e))?;
    for (k, s) in curve.series.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        let width = if k == 0 { 3 } else { 2 };
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter_map(|&(x, y)| Some((x, y?)))
            .filter(|&(_, y)| y > 0.0 && y.is_finite())
            .collect();
        if pts.is_empty() {
            continue;
        }
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(width)))
            .map_err(|e| err(&e))?
            .label(s.name.as_str())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(width))
            });
        chart
            .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))
            .map_err(|e| err(&e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .position(if throughput {
            SeriesLabelPosition::LowerLeft
        } else {
            SeriesLabelPosition::UpperLeft
        })
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))?;
    Ok(())
}
