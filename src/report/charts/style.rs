//! How every chart looks: sizes, palette, font, short tick labels, the legend, the "no data"
//! chart, and the SVG clean-up.
//!
//! One place for these keeps the charts consistent with each other, and their output
//! byte-stable: a fixed palette, no hashing.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::frame::LinearChart;
use super::{Area, Chart, Drawn, Plot};
use crate::metric::Goal;

/// Size of the per-trial chart: the report holds one per trial, so it stays small.
pub(super) const TRIAL_SIZE: (u32, u32) = (500, 220);
/// Size of the sweep-wide charts.
pub(super) const CHART_SIZE: (u32, u32) = (640, 360);
/// Size of the parallel coordinates chart: wider, it has an axis per parameter.
pub(super) const PARALLEL_SIZE: (u32, u32) = (760, 380);
/// Points per curve in a trial chart: enough for the shape, small enough for 1,000 of them.
pub(super) const TRIAL_POINTS: usize = 60;
/// Points per curve in an overlay (a handful of trials, a larger chart).
pub(super) const OVERLAY_POINTS: usize = 200;
/// The font family every text is drawn in; [`super::register_font`] gives it its glyphs.
pub(super) const FONT: &str = "sans-serif";

/// Tableau 10: distinguishable for the common colour-vision deficiencies, fixed so reports are
/// byte-stable.
pub(super) const PALETTE: [RGBColor; 10] = palette([
    0x4E79A7, 0xF28E2B, 0xE15759, 0x76B7B2, 0x59A14F, 0xEDC948, 0xB07AA1, 0xFF9DA7, 0x9C755F,
    0xBAB0AC,
]);
/// Viridis from worst to best, reversed so the best trials are the dark lines drawn on top.
pub(super) const SCALE: [RGBColor; 5] = palette([0xFDE725, 0x5EC962, 0x21918C, 0x3B528B, 0x440154]);
/// Grid lines and legend borders.
pub(super) const GRID: RGBColor = rgb(0xE0E0E0);
/// Axes and their labels where plotters' defaults are not used.
pub(super) const INK: RGBColor = rgb(0x404040);
/// What is there for reference: best-epoch lines, pruned trials, "no data".
pub(super) const MUTED: RGBColor = rgb(0x808080);

/// The colour of hex code `0xRRGGBB`, the notation palettes are published in.
const fn rgb(code: u32) -> RGBColor {
    RGBColor((code >> 16) as u8, (code >> 8) as u8, code as u8)
}

/// The colours of hex codes `0xRRGGBB`.
const fn palette<const N: usize>(codes: [u32; N]) -> [RGBColor; N] {
    let mut colours = [RGBColor(0, 0, 0); N];
    let mut i = 0;
    while i < N {
        colours[i] = rgb(codes[i]);
        i += 1;
    }
    colours
}

/// The legend box in a corner.
pub(super) fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut LinearChart<'a, DB>,
    corner: SeriesLabelPosition,
    font: u32,
) -> Drawn<DB> {
    chart
        .configure_series_labels()
        .position(corner)
        .label_font((FONT, font))
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .legend_area_size(18)
        .margin(6)
        .draw()
}

/// A legend's line sample.
pub(super) fn swatch(x: i32, y: i32, colour: RGBColor) -> PathElement<(i32, i32)> {
    PathElement::new(vec![(x, y), (x + 14, y)], colour.stroke_width(2))
}

/// Where a legend is least in the way: curves of a metric to maximize rise to the upper right.
pub(super) fn corner_for(goal: Goal) -> SeriesLabelPosition {
    match goal {
        Goal::Maximize => SeriesLabelPosition::LowerRight,
        Goal::Minimize => SeriesLabelPosition::UpperRight,
    }
}

/// A short tick label: at most 4 decimals, scientific notation for very small or large values.
pub(super) fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 || !a.is_finite() {
        return if a == 0.0 {
            "0".to_string()
        } else {
            format!("{v}")
        };
    }
    if !(1e-3..1e4).contains(&a) {
        let s = format!("{v:.1e}");
        return match s.split_once('e') {
            Some((mantissa, exp)) => format!("{}e{exp}", trim_zeros(mantissa)),
            None => s,
        };
    }
    trim_zeros(&format!("{v:.4}")).to_string()
}

/// `1.500` → `1.5`, `2.000` → `2`.
fn trim_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// A chart that says "`title`: no data".
pub(super) fn no_data(size: (u32, u32), title: String) -> Chart {
    Chart::new(size, Plot::NoData(title))
}

/// Grey text in the middle of `area`.
pub(super) fn centred_text<DB: DrawingBackend>(
    area: &Area<DB>,
    text: &str,
) -> Text<'static, (i32, i32), String> {
    let (w, h) = area.dim_in_pixel();
    let style = TextStyle::from((FONT, 14).into_font())
        .color(&MUTED)
        .pos(Pos::new(HPos::Center, VPos::Center));
    Text::new(text.to_string(), (w as i32 / 2, h as i32 / 2), style)
}

/// Shrinks plotters' SVG without changing the picture, since a report holds a chart per trial:
/// drops `opacity="1"` (the default), writes font sizes with one decimal (plotters writes
/// `size / 1.24` in full, `8.870967741935484`), and names the font family once on the `<svg>`
/// element, which its text inherits, instead of on every `<text>`. User text cannot match these
/// patterns: the backend has already escaped its quotes.
pub(super) fn compact(svg: &str) -> String {
    let family = format!(r#" font-family="{FONT}""#);
    let svg = svg.replace(r#" opacity="1""#, "").replace(&family, "");
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg.as_str();
    const SIZE: &str = r#"font-size=""#;
    while let Some(at) = rest.find(SIZE) {
        let (head, tail) = rest.split_at(at + SIZE.len());
        out.push_str(head);
        let end = tail.find('"').unwrap_or(tail.len());
        match tail[..end].parse::<f64>() {
            Ok(size) => out.push_str(trim_zeros(&format!("{size:.1}"))),
            Err(_) => out.push_str(&tail[..end]),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out.replacen("<svg ", &format!("<svg{family} "), 1)
}

/// The chart that replaces one plotters could not draw.
pub(super) fn failed((w, h): (u32, u32)) -> String {
    format!(
        r#"<svg width="{w}" height="{h}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg"><text x="{}" y="{}" text-anchor="middle" font-family="{FONT}" font-size="14">chart could not be drawn</text></svg>"#,
        w / 2,
        h / 2
    )
}
