//! The report's response-speed tables: each clock's median, 90th percentile and share met
//! within target, over the periods and by the breakdown.

use super::*;

pub(super) fn speed_tables(speeds: &[ClockSpeed], p: &Parsed) -> Vec<Table> {
    let language = p.language;
    let t = |key: &str| say(language, key);
    let with_clock = |key: &str, clock: SlaClock| {
        say_with(language, key, &[("clock", clock.label().to_string())])
    };
    let (title, unit) = if p.filter.basis == Basis::Business {
        (
            "figures-speed-title-business",
            "figures-speed-unit-business",
        )
    } else {
        (
            "figures-speed-title-calendar",
            "figures-speed-unit-calendar",
        )
    };
    let mut summary = Table::new(
        "speed",
        t(title),
        &[
            t("figures-col-step"),
            t("figures-col-met"),
            t("figures-col-median"),
            t("figures-col-p90"),
            t("figures-col-p95"),
            t("figures-col-within"),
        ],
    );
    summary.csv_headers = vec![
        t("figures-col-step"),
        t("figures-col-met"),
        t("figures-col-median-minutes"),
        t("figures-col-p90-minutes"),
        t("figures-col-p95-minutes"),
        t("figures-col-within"),
    ];
    for c in speeds {
        summary.cells(vec![
            Cell::text(c.clock.label()),
            Cell::text(c.total.runs.to_string()),
            Cell::duration(c.total.p50()),
            Cell::duration(c.total.p90()),
            Cell::duration(c.total.p95()),
            Cell::text(percent(c.total.within_percent())),
        ]);
    }
    summary.note = t("figures-speed-note");
    if p.filter.by == "company" {
        summary.note = format!("{} {}", t("figures-speed-not-per-company"), summary.note);
    }
    let mut periods = Table::new(
        "speed_periods",
        t("figures-speed-periods-title"),
        &[] as &[&str],
    );
    periods.headers = std::iter::once(t("figures-col-period"))
        .chain(
            speeds
                .iter()
                .map(|c| with_clock("figures-col-clock-median", c.clock)),
        )
        .collect();
    periods.csv_headers = std::iter::once(t("figures-col-period"))
        .chain(
            speeds
                .iter()
                .map(|c| with_clock("figures-col-clock-median-minutes", c.clock)),
        )
        .collect();
    let starts: Vec<NaiveDate> = speeds
        .first()
        .map(|c| c.periods.iter().map(|(s, _)| *s).collect())
        .unwrap_or_default();
    let labels: Vec<String> = starts
        .iter()
        .map(|s| period_label(language, *s, p.filter.grouping))
        .collect();
    for (i, label) in labels.iter().enumerate() {
        let mut row = vec![Cell::text(label.clone())];
        row.extend(speeds.iter().map(|c| Cell::duration(c.periods[i].1.p50())));
        periods.cells(row);
    }
    let series: Vec<(String, Vec<Option<f64>>)> = speeds
        .iter()
        .map(|c| {
            (
                c.clock.label().to_string(),
                c.periods
                    .iter()
                    .map(|(_, s)| s.p50().map(|m| m as f64 / 60.0))
                    .collect(),
            )
        })
        .collect();
    periods.chart = charts::lines(
        &t("figures-speed-periods-chart"),
        &labels,
        &t(unit),
        &series,
    );
    let mut tables = vec![summary, periods];
    if p.filter.by != "all" && p.filter.by != "company" {
        let by = by_label(language, p.filter.by);
        let mut headers = vec![by.clone()];
        let mut csv_headers = headers.clone();
        for c in speeds {
            headers.push(with_clock("figures-col-clock-median", c.clock));
            csv_headers.push(with_clock("figures-col-clock-median-minutes", c.clock));
            headers.push(with_clock("figures-col-clock-p90", c.clock));
            csv_headers.push(with_clock("figures-col-clock-p90-minutes", c.clock));
            for h in [&mut headers, &mut csv_headers] {
                h.push(with_clock("figures-col-clock-within", c.clock));
            }
        }
        let mut split = Table::new(
            "speed_by",
            say_with(
                language,
                "figures-speed-by-title",
                &[("by", by.to_lowercase())],
            ),
            &[] as &[&str],
        );
        split.headers = headers;
        split.csv_headers = csv_headers;
        let mut values: Vec<String> = Vec::new();
        for c in speeds {
            for (v, _) in &c.breakdown {
                if !values.contains(v) {
                    values.push(v.clone());
                }
            }
        }
        let none = Speed::default();
        for value in values {
            let mut row = vec![Cell::text(p.label(&value))];
            for c in speeds {
                let s = c
                    .breakdown
                    .iter()
                    .find(|(v, _)| *v == value)
                    .map_or(&none, |(_, s)| s);
                row.push(Cell::duration(s.p50()));
                row.push(Cell::duration(s.p90()));
                row.push(Cell::text(percent(s.within_percent())));
            }
            split.cells(row);
        }
        tables.push(split);
    }
    tables
}
