//! Charts drawn on the server as SVG with plotters: readable without JavaScript and in print.
//! Every chart stands beside a table holding the same numbers (the accessible version); the
//! SVG carries `role="img"` and a label saying what it shows.

use plotters::prelude::*;

/// Colours of successive series (Okabe–Ito, distinguishable with colour blindness).
const COLOURS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
];

const SIZE: (u32, u32) = (720, 300);

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

fn top(values: impl Iterator<Item = f64>) -> f64 {
    let max = values.fold(0.0f64, f64::max);
    if max <= 0.0 { 1.0 } else { max * 1.1 }
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
        let y_max = top(series.iter().flat_map(|(_, v)| v.iter().flatten().copied()));
        let n = x.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0usize..n.saturating_sub(1).max(1), 0f64..y_max)?;
        chart
            .configure_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|i| x.get(*i).cloned().unwrap_or_default())
            .y_desc(y_unit)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (i, (name, values)) in series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            // One segment per run of known values.
            let mut run: Vec<(usize, f64)> = Vec::new();
            let mut first = true;
            for (j, value) in values
                .iter()
                .enumerate()
                .chain(std::iter::once((values.len(), &None)))
            {
                match value {
                    Some(v) => run.push((j, *v)),
                    None if !run.is_empty() => {
                        let drawn = chart
                            .draw_series(LineSeries::new(run.clone(), colour.stroke_width(2)))?;
                        if first {
                            drawn.label(name.clone()).legend(move |(x, y)| {
                                PathElement::new(vec![(x, y), (x + 16, y)], colour.stroke_width(2))
                            });
                            first = false;
                        }
                        chart
                            .draw_series(run.iter().map(|p| Circle::new(*p, 3, colour.filled())))?;
                        run.clear();
                    }
                    None => {}
                }
            }
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.9))
            .border_style(RGBColor(200, 200, 200))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()?;
        root.present()?;
        Ok(())
    })();
    if let Err(error) = result {
        tracing::warn!(%error, "a chart could not be drawn");
        return String::new();
    }
    finish(svg, label)
}

/// A grouped bar chart: for each x label, one bar per series.
pub fn bars(label: &str, x: &[String], y_unit: &str, series: &[(String, Vec<f64>)]) -> String {
    let mut svg = String::new();
    let result = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)?;
        let y_max = top(series.iter().flat_map(|(_, v)| v.iter().copied()));
        let groups = x.len().max(1);
        let per = series.len().max(1);
        // Each group is `per` bars wide plus one bar of space.
        let width = groups * (per + 1);
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(56)
            .build_cartesian_2d(0usize..width, 0f64..y_max)?;
        let step = (groups / 12).max(1);
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(width)
            .x_label_formatter(&|i| {
                let group = i / (per + 1);
                if i % (per + 1) == per / 2 && group.is_multiple_of(step) {
                    x.get(group).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .y_desc(y_unit)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (s, (name, values)) in series.iter().enumerate() {
            let colour = COLOURS[s % COLOURS.len()];
            chart
                .draw_series(values.iter().enumerate().map(|(g, v)| {
                    let left = g * (per + 1) + s;
                    Rectangle::new([(left, 0.0), (left + 1, *v)], colour.filled())
                }))?
                .label(name.clone())
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled())
                });
        }
        if series.len() > 1 {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(200, 200, 200))
                .position(SeriesLabelPosition::UpperRight)
                .draw()?;
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
