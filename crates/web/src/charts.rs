//! Charts drawn on the server as SVG with plotters: readable without JavaScript and in print.
//! Every chart stands beside a table holding the same numbers (the accessible version); the
//! SVG carries `role="img"` and a label saying what it shows.

use plotters::prelude::*;

/// Colours of successive series (Okabe–Ito, distinguishable with colour blindness).
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(0, 0, 0),
];

const SIZE: (u32, u32) = (720, 320);

/// At most this many x labels (about 80 pixels each at this width): more run into each other.
const MAX_X_LABELS: usize = 8;

fn finish(svg: String, label: &str) -> String {
    let label = label
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    // Plotters writes an XML declaration-free <svg ...>; give it its role and name.
    svg.replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" class=\"chart\" "),
        1,
    )
}

/// The y axis: its top and its ticks, at a round step (1, 2 or 5 times a power of ten; a
/// whole number when the values are counts, so no "0.5 complaints").
fn y_axis(values: impl Iterator<Item = f64>, counts: bool) -> (f64, Vec<f64>) {
    let max = values.fold(0.0f64, f64::max);
    let max = if max <= 0.0 { 1.0 } else { max };
    // About five ticks.
    let rough = max / 5.0;
    let magnitude = 10f64.powf(rough.log10().floor());
    let mut step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= rough)
        .unwrap_or(10.0 * magnitude);
    if counts {
        step = step.max(1.0).round();
    }
    let ticks_above = (max / step).ceil().max(1.0);
    let top = step * ticks_above;
    let ticks = (0..=ticks_above as usize)
        .map(|i| i as f64 * step)
        .collect();
    // Room above the highest tick, so its label is not cut.
    (top * 1.04, ticks)
}

fn tick_label(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{}", value.round() as i64)
    } else {
        format!("{value:.1}")
    }
}

/// Every `step`-th of `n` labels, so at most [`MAX_X_LABELS`] show.
fn label_step(n: usize) -> usize {
    n.div_ceil(MAX_X_LABELS).max(1)
}

/// Where each legend entry goes: (x, row), wrapping onto another row when the next would pass
/// the picture's right edge; and how many rows that takes.
fn legend_places(names: &[&str]) -> (Vec<(i32, i32)>, i32) {
    let mut places = Vec::with_capacity(names.len());
    let (mut x, mut row) = (LEGEND_LEFT, 0);
    for name in names {
        // An estimate of the entry's width: a swatch, and about 8 pixels a character.
        let width = 24 + 8 * name.chars().count() as i32;
        if x > LEGEND_LEFT && x + width > SIZE.0 as i32 - 12 {
            x = LEGEND_LEFT;
            row += 1;
        }
        places.push((x, row));
        x += width + 24;
    }
    (places, row + 1)
}

const LEGEND_LEFT: i32 = 64;

/// The strip above the plot that holds the legend (never over the data): its height.
fn legend_height(names: &[&str]) -> u32 {
    let (_, rows) = legend_places(names);
    LEGEND_ROW * rows.max(1) as u32 + 8
}

/// One row of the legend.
const LEGEND_ROW: u32 = 20;

/// The legend, in its own strip above the plot: a swatch and a name per series.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    names: &[&str],
    line: bool,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (places, _) = legend_places(names);
    for (i, (name, (x, row))) in names.iter().zip(places).enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let y = 12 + row * LEGEND_ROW as i32;
        if line {
            area.draw(&PathElement::new(
                vec![(x, y), (x + 18, y)],
                colour.stroke_width(3),
            ))?;
        } else {
            area.draw(&Rectangle::new(
                [(x, y - 6), (x + 12, y + 6)],
                colour.filled(),
            ))?;
        }
        area.draw(&Text::new(
            name.to_string(),
            (x + 24, y - 7),
            ("sans-serif", 14).into_font(),
        ))?;
    }
    Ok(())
}

/// A line chart: one line per series over the x labels; gaps where a value is missing.
pub fn lines(
    label: &str,
    x: &[String],
    y_unit: &str,
    series: &[(String, Vec<Option<f64>>)],
) -> String {
    let mut svg = String::new();
    let result = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
        let (top_area, plot_area) = root.split_vertically(legend_height(&names));
        legend(&top_area, &names, true)?;
        let (y_top, ticks) = y_axis(
            series.iter().flat_map(|(_, v)| v.iter().flatten().copied()),
            false,
        );
        let n = x.len().max(1);
        let step = label_step(n);
        // Each label sits in the middle of its own slot (x = i, in -0.5..n - 0.5): the first
        // and last are never cut; every `step`-th is written.
        let label_of = |v: &f64| {
            let i = v.round();
            if (v - i).abs() > 1e-6 || i < 0.0 || !(i as usize).is_multiple_of(step) {
                return String::new();
            }
            x.get(i as usize).cloned().unwrap_or_default()
        };
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(8)
            .margin_right(16)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..n as f64 - 0.5, 0f64..y_top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&label_of)
            .y_labels(ticks.len())
            .y_label_formatter(&|v| tick_label(*v))
            .y_desc(y_unit)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        for (i, (_, values)) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            // One segment per run of known values.
            let mut run: Vec<(f64, f64)> = Vec::new();
            for (j, value) in values
                .iter()
                .enumerate()
                .chain(std::iter::once((values.len(), &None)))
            {
                match value {
                    Some(v) => run.push((j as f64, *v)),
                    None if !run.is_empty() => {
                        chart.draw_series(LineSeries::new(run.clone(), colour.stroke_width(2)))?;
                        chart
                            .draw_series(run.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
                        run.clear();
                    }
                    None => {}
                }
            }
        }
        root.present()?;
        Ok(())
    })();
    if let Err(error) = result {
        tracing::warn!(%error, "a chart could not be drawn");
        return String::new();
    }
    finish(svg, label)
}

/// A grouped bar chart of counts: for each x label, one bar per series, the label under the
/// middle of its group.
pub fn bars(label: &str, x: &[String], y_unit: &str, series: &[(String, Vec<f64>)]) -> String {
    let mut svg = String::new();
    let result = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let names: Vec<&str> = series.iter().map(|(n, _)| n.as_str()).collect();
        let (top_area, plot_area) = root.split_vertically(legend_height(&names));
        legend(&top_area, &names, false)?;
        let (y_top, ticks) = y_axis(series.iter().flat_map(|(_, v)| v.iter().copied()), true);
        let groups = x.len().max(1);
        let per = series.len().max(1);
        let step = label_step(groups);
        // Group g is centred on x = g (in -0.5..groups - 0.5): its bars fill the middle 80%
        // and its label sits right under them; every `step`-th is written.
        let label_of = |v: &f64| {
            let g = v.round();
            if (v - g).abs() > 1e-6 || g < 0.0 || !(g as usize).is_multiple_of(step) {
                return String::new();
            }
            x.get(g as usize).cloned().unwrap_or_default()
        };
        // Counts on a whole-number axis: its ticks are whole numbers.
        let top = y_top.ceil() as u64;
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(8)
            .margin_right(16)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .build_cartesian_2d(-0.5f64..groups as f64 - 0.5, 0u64..top.max(1))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(groups)
            .x_label_formatter(&label_of)
            .y_labels(ticks.len())
            .y_desc(y_unit)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        let width = 0.8 / per as f64;
        for (s, (_, values)) in series.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            chart.draw_series(values.iter().enumerate().map(|(g, v)| {
                let left = g as f64 - 0.4 + s as f64 * width;
                let height = v.max(0.0).round() as u64;
                Rectangle::new([(left, 0), (left + width * 0.92, height)], colour.filled())
            }))?;
        }
        root.present()?;
        Ok(())
    })();
    if let Err(error) = result {
        tracing::warn!(%error, "a chart could not be drawn");
        return String::new();
    }
    finish(svg, label)
}

/// A Pareto chart: a bar per cause (its count, on the left axis), from the largest, and the
/// cumulative share as a line with points (on the right axis, 0 to 100%).
pub fn pareto(
    label: &str,
    x: &[String],
    counts: &[f64],
    cumulative: &[f64],
    (y_unit, share_unit): (&str, &str),
) -> String {
    let mut svg = String::new();
    let result = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let names = [y_unit, share_unit];
        let (top_area, plot_area) = root.split_vertically(legend_height(&names));
        legend(&top_area, &names, false)?;
        let (y_top, ticks) = y_axis(counts.iter().copied(), true);
        let groups = x.len().max(1);
        let step = label_step(groups);
        let label_of = |v: &f64| {
            let g = v.round();
            if (v - g).abs() > 1e-6 || g < 0.0 || !(g as usize).is_multiple_of(step) {
                return String::new();
            }
            x.get(g as usize).cloned().unwrap_or_default()
        };
        let top = y_top.ceil().max(1.0);
        let mut chart = ChartBuilder::on(&plot_area)
            .margin(8)
            .x_label_area_size(32)
            .y_label_area_size(56)
            .right_y_label_area_size(48)
            .build_cartesian_2d(-0.5f64..groups as f64 - 0.5, 0f64..top)?
            .set_secondary_coord(-0.5f64..groups as f64 - 0.5, 0f64..104f64);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(groups)
            .x_label_formatter(&label_of)
            .y_labels(ticks.len())
            .y_label_formatter(&|v| tick_label(*v))
            .y_desc(y_unit)
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(225, 225, 225))
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_labels(6)
            .y_label_formatter(&|v| format!("{}%", v.round() as i64))
            .draw()?;
        let bar = COLOURS[0];
        chart.draw_series(counts.iter().enumerate().map(|(g, v)| {
            let left = g as f64 - 0.4;
            Rectangle::new([(left, 0.0), (left + 0.8, v.max(0.0))], bar.filled())
        }))?;
        let line = COLOURS[1];
        let points: Vec<(f64, f64)> = cumulative
            .iter()
            .enumerate()
            .map(|(g, share)| (g as f64, share * 100.0))
            .collect();
        chart.draw_secondary_series(LineSeries::new(points.clone(), line.stroke_width(3)))?;
        chart
            .draw_secondary_series(points.into_iter().map(|p| Circle::new(p, 4, line.filled())))?;
        root.present()?;
        Ok(())
    })();
    if let Err(error) = result {
        tracing::warn!(%error, "a chart could not be drawn");
        return String::new();
    }
    finish(svg, label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pareto_chart_draws_the_bars_and_the_running_share() {
        let x = vec!["Courier late".to_string(), "Wrong tariff".to_string()];
        let svg = pareto(
            "Causes",
            &x,
            &[10.0, 6.0],
            &[0.625, 1.0],
            ("complaints", "cumulative share"),
        );
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Causes\""));
        assert!(svg.contains("<rect"));
        assert!(svg.contains("Courier late"));
        assert!(svg.contains("100%"), "the right axis reads in percent");
    }

    #[test]
    fn charts_are_labelled_svg_with_their_text() {
        let x = vec!["Jan".to_string(), "Feb".to_string(), "Mar".to_string()];
        let svg = lines(
            "Median time to resolve",
            &x,
            "hours",
            &[("Resolve".into(), vec![Some(3.0), None, Some(5.0)])],
        );
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"Median time to resolve\""));
        assert!(svg.contains("Resolve"), "{svg}");
        assert!(svg.contains("Jan"));
        let svg = bars(
            "Received & closed",
            &x,
            "complaints",
            &[
                ("Received".into(), vec![1.0, 2.0, 3.0]),
                ("Closed".into(), vec![0.0, 1.0, 2.0]),
            ],
        );
        assert!(svg.contains("aria-label=\"Received &amp; closed\""));
        assert!(svg.contains("<rect"));
    }

    /// The y axis's labels, read from the SVG: the texts at the left edge.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| t.split('>').nth(1))
            .filter_map(|t| t.split('<').next())
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect()
    }

    #[test]
    fn counts_get_whole_ticks_and_a_few_labels_each_under_its_bars() {
        // Small counts: plotters' own ticks were 0.5, 1.5, 2.5.
        for max in [1.0, 2.0, 3.0, 7.0, 256.0] {
            let (top, ticks) = y_axis([0.0, max].into_iter(), true);
            assert!(ticks.iter().all(|t| t.fract() == 0.0), "{max}: {ticks:?}");
            assert!(
                *ticks.last().unwrap() >= max && top > max,
                "{max}: {ticks:?}"
            );
            assert!(ticks.len() <= 11, "{max}: {ticks:?}");
        }
        let weeks: Vec<String> = (1..=14).map(|w| format!("w/c {w} Nov")).collect();
        let svg = bars(
            "Received",
            &weeks,
            "complaints",
            &[(
                "Received".into(),
                (0..14).map(|i| f64::from(i % 3)).collect(),
            )],
        );
        let texts = texts(&svg);
        assert!(!texts.iter().any(|t| t.contains('.')), "{texts:?} {svg}");
        // 14 weeks: every second labelled, the last one among them.
        let shown: Vec<&String> = texts.iter().filter(|t| t.starts_with("w/c")).collect();
        assert_eq!(shown.len(), 7, "{texts:?}");
        assert!(label_step(91) >= 12 && label_step(8) == 1);
    }

    #[test]
    fn the_legend_sits_above_the_plot_never_over_it() {
        let x: Vec<String> = (1..=5).map(|w| format!("w{w}")).collect();
        let svg = lines(
            "Median",
            &x,
            "hours",
            &[
                ("Acknowledge".into(), vec![Some(9.0); 5]),
                ("Resolve".into(), vec![Some(10.0); 5]),
            ],
        );
        // Every circle (a data point) is below the legend's strip.
        for circle in svg.split("<circle").skip(1) {
            let cy: f64 = circle
                .split("cy=\"")
                .nth(1)
                .and_then(|v| v.split('"').next())
                .and_then(|v| v.parse().ok())
                .unwrap();
            assert!(
                cy > f64::from(legend_height(&["Acknowledge", "Resolve"])),
                "a point at y={cy} is in the legend's strip"
            );
        }
    }
}
