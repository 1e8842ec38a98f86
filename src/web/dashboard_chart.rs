//! The chart of calls per day (the dashboard's week, the analytics period), stacked by
//! outcome: SVG drawn on the server, so it reads without JavaScript. Colours are presentation
//! attributes (`fill=`), which the CSP's `style-src 'self'` allows where inline `style=` would
//! be blocked; the table under the chart carries the same numbers for screen readers and for
//! anyone who cannot tell the colours apart.

use plotters::prelude::*;

use crate::domain::daily_calls::DailyCalls;
use crate::domain::outcome::Outcome;
use crate::error::AppError;

/// The drawing's own units; the page scales it to the width it has (`viewBox`, width 100%).
const WIDTH: u32 = 480;
const HEIGHT: u32 = 220;

/// Colours told apart also with the common colour-vision deficiencies (Okabe–Ito based).
pub fn color(outcome: &Option<Outcome>) -> RGBColor {
    match outcome {
        Some(Outcome::Interested) => RGBColor(0x00, 0x9E, 0x73),
        Some(Outcome::NotInterested) => RGBColor(0xD5, 0x5E, 0x00),
        Some(Outcome::Callback) => RGBColor(0x00, 0x72, 0xB2),
        Some(Outcome::Voicemail) => RGBColor(0xCC, 0x79, 0xA7),
        Some(Outcome::DoNotCall) => RGBColor(0x7F, 0x1D, 0x1D),
        Some(Outcome::WrongNumber) => RGBColor(0x8C, 0x6D, 0x31),
        Some(Outcome::Completed) => RGBColor(0x56, 0xB4, 0xE9),
        Some(Outcome::Busy) => RGBColor(0xE6, 0x9F, 0x00),
        Some(Outcome::NoAnswer) => RGBColor(0x99, 0x99, 0x99),
        Some(Outcome::Failed) => RGBColor(0x33, 0x33, 0x33),
        None => RGBColor(0xCB, 0xD5, 0xE1),
    }
}

/// "#009e73", for the table's colour keys.
pub fn hex(outcome: &Option<Outcome>) -> String {
    let RGBColor(r, g, b) = color(outcome);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The chart as an `<svg>` element to put in the page: one `<rect>` per non-empty segment.
pub fn svg(calls: &DailyCalls) -> Result<String, AppError> {
    let mut out = String::new();
    draw(calls, &mut out).map_err(|err| anyhow::anyhow!("drawing the calls-per-day chart: {err}"))?;
    Ok(scalable(&out))
}

fn draw(calls: &DailyCalls, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let root = SVGBackend::with_string(out, (WIDTH, HEIGHT)).into_drawing_area();
    let days = calls.days.len() as i32;
    // Headroom over the busiest day (also a scale of 1 when there were no calls).
    let top = calls.busiest() + calls.busiest() / 10 + 1;
    let mut chart = ChartBuilder::on(&root)
        .margin(10)
        .x_label_area_size(32)
        .y_label_area_size(44)
        // A segmented range includes its end: 0..days - 1 has a segment per day.
        .build_cartesian_2d((0..days - 1).into_segmented(), 0..top)?;
    // A week names its weekdays; longer periods label only the date, on about ten bars.
    let format = if calls.days.len() > 10 { "%-d %b" } else { "%a %-d" };
    let labels: Vec<String> = calls.days.iter().map(|day| day.format(format).to_string()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(0xE5, 0xE7, 0xEB))
        .axis_style(RGBColor(0x9C, 0xA3, 0xAF))
        .x_labels(calls.days.len().min(10))
        .y_labels(5)
        .x_label_formatter(&|at| match at {
            SegmentValue::CenterOf(day) => labels.get(*day as usize).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .label_style(("sans-serif", 18))
        .draw()?;
    for (day, (_, counts, _)) in calls.rows().enumerate() {
        let day = day as i32;
        let mut base = 0;
        for (outcome, &n) in calls.outcomes.iter().zip(counts).filter(|(_, n)| **n > 0) {
            let corners = [(SegmentValue::Exact(day), base), (SegmentValue::Exact(day + 1), base + n)];
            let mut bar = Rectangle::new(corners, color(outcome).filled());
            bar.set_margin(0, 0, 12, 12);
            chart.plotting_area().draw(&bar)?;
            base += n;
        }
    }
    root.present()?;
    Ok(())
}

/// Swaps plotters' fixed-size root tag for one that scales to its container (so a phone
/// never scrolls sideways) and names the chart for assistive technology.
fn scalable(svg: &str) -> String {
    let body = svg.find("<svg").and_then(|start| svg[start..].find('>').map(|end| &svg[start + end + 1..]));
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"100%\" \
         role=\"img\" aria-labelledby=\"chart-caption\" class=\"chart\">{}",
        body.unwrap_or(svg)
    )
}
