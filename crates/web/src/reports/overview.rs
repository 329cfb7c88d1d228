//! `/reports`: response speed, volumes, backlog, outcomes, satisfaction and breaches.

use super::*;

pub(super) fn speed_tables(speeds: &[ClockSpeed], p: &Parsed) -> Vec<Table> {
    let basis = if p.filter.basis == Basis::Business {
        "working hours"
    } else {
        "elapsed hours"
    };
    let mut summary = Table::new(
        "speed",
        format!("Response speed ({basis})"),
        &[
            "Step",
            "Met",
            "Median",
            "90th percentile",
            "95th percentile",
            "Within target",
        ],
    );
    summary.csv_headers = [
        "Step",
        "Met",
        "Median (minutes)",
        "90th percentile (minutes)",
        "95th percentile (minutes)",
        "Within target",
    ]
    .map(String::from)
    .to_vec();
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
    summary.note = if p.filter.by == "company" {
        "Response speed is not kept per company: these are the figures of all complaints. "
            .to_string()
    } else {
        String::new()
    };
    summary.note += "Time from the start of each step's clock to the moment it was met, paused time (waiting on the customer) left out; percentiles by nearest rank, exact to the minute under 2 hours and within 1.6% above.";
    let mut periods = Table::new("speed_periods", "Median time per step, by period", &[]);
    periods.headers = std::iter::once("Period".to_string())
        .chain(speeds.iter().map(|c| format!("{} median", c.clock.label())))
        .collect();
    periods.csv_headers = std::iter::once("Period".to_string())
        .chain(
            speeds
                .iter()
                .map(|c| format!("{} median (minutes)", c.clock.label())),
        )
        .collect();
    let starts: Vec<NaiveDate> = speeds
        .first()
        .map(|c| c.periods.iter().map(|(s, _)| *s).collect())
        .unwrap_or_default();
    let labels: Vec<String> = starts
        .iter()
        .map(|s| period_label(*s, p.filter.grouping))
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
        "Median time per step, by period, in hours",
        &labels,
        &format!("median, {basis}"),
        &series,
    );
    let mut tables = vec![summary, periods];
    if p.filter.by != "all" && p.filter.by != "company" {
        let mut headers = vec![by_label(p.filter.by).to_string()];
        let mut csv_headers = headers.clone();
        for c in speeds {
            headers.push(format!("{} median", c.clock.label()));
            csv_headers.push(format!("{} median (minutes)", c.clock.label()));
            headers.push(format!("{} 90th percentile", c.clock.label()));
            csv_headers.push(format!("{} 90th percentile (minutes)", c.clock.label()));
            for h in [&mut headers, &mut csv_headers] {
                h.push(format!("{} within target", c.clock.label()));
            }
        }
        let mut split = Table::new(
            "speed_by",
            format!("Response speed by {}", by_label(p.filter.by).to_lowercase()),
            &[],
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

pub(super) fn volume_tables(
    report: &VolumeReport,
    owners: &VolumeReport,
    p: &Parsed,
) -> Vec<Table> {
    let labels: Vec<String> = report
        .periods
        .iter()
        .map(|(s, _, _)| period_label(*s, p.filter.grouping))
        .collect();
    let mut volume = Table::new(
        "volume",
        "Received and closed",
        &[
            "Period",
            "Received",
            "From repeat complainants",
            "Closed",
            "Reopened",
            "Open at end",
        ],
    );
    for ((_, v, open), label) in report.periods.iter().zip(&labels) {
        volume.row(vec![
            label.clone(),
            v.received.to_string(),
            v.repeat_received.to_string(),
            v.closed.to_string(),
            v.reopened.to_string(),
            open.to_string(),
        ]);
    }
    volume.row(vec![
        "Total".into(),
        report.total.received.to_string(),
        report.total.repeat_received.to_string(),
        report.total.closed.to_string(),
        report.total.reopened.to_string(),
        report.backlog_end().to_string(),
    ]);
    volume.note = format!("{} open when the range began.", report.backlog_start);
    volume.chart = charts::bars(
        "Complaints received and closed, by period",
        &labels,
        "complaints",
        &[
            (
                "Received".into(),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.received as f64)
                    .collect(),
            ),
            (
                "Closed".into(),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.closed as f64)
                    .collect(),
            ),
        ],
    );
    let mut outcomes = Table::new(
        "outcomes",
        "Outcomes",
        &[
            "Period",
            "Decided",
            "Upheld",
            "Partly upheld",
            "Not upheld",
            "Redress paid",
        ],
    );
    for ((_, v, _), label) in report.periods.iter().zip(&labels) {
        outcomes.row(vec![
            label.clone(),
            v.resolved.to_string(),
            v.upheld.to_string(),
            v.partly_upheld.to_string(),
            v.not_upheld.to_string(),
            money(v.redress_cents),
        ]);
    }
    let t = &report.total;
    outcomes.row(vec![
        "Total".into(),
        t.resolved.to_string(),
        t.upheld.to_string(),
        t.partly_upheld.to_string(),
        t.not_upheld.to_string(),
        money(t.redress_cents),
    ]);
    outcomes.chart = charts::bars(
        "Outcomes by period",
        &labels,
        "decisions",
        &[
            (
                "Upheld".into(),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.upheld as f64)
                    .collect(),
            ),
            (
                "Partly upheld".into(),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.partly_upheld as f64)
                    .collect(),
            ),
            (
                "Not upheld".into(),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.not_upheld as f64)
                    .collect(),
            ),
        ],
    );
    let mut satisfaction = Table::new(
        "satisfaction",
        "Satisfaction",
        &[
            "Period",
            "Answers",
            "Mean score (1–5)",
            "1",
            "2",
            "3",
            "4",
            "5",
        ],
    );
    for ((_, v, _), label) in report.periods.iter().zip(&labels) {
        let mut row = vec![label.clone(), v.sat_n.to_string(), mean(v)];
        row.extend(v.sat.iter().map(|n| n.to_string()));
        satisfaction.row(row);
    }
    satisfaction.chart = charts::lines(
        "Mean satisfaction score by period",
        &labels,
        "mean score (1–5)",
        &[(
            "Mean score".into(),
            report
                .periods
                .iter()
                .map(|(_, v, _)| v.satisfaction())
                .collect(),
        )],
    );
    let mut by_owner = Table::new(
        "satisfaction_by_owner",
        "Satisfaction by owner",
        &["Owner", "Answers", "Mean score (1–5)"],
    );
    let mut owners: Vec<&(String, Volume, i64)> = owners
        .breakdown
        .iter()
        .filter(|(_, v, _)| v.sat_n > 0)
        .collect();
    owners.sort_by_key(|o| std::cmp::Reverse(o.1.sat_n));
    for (owner, v, _) in owners {
        by_owner.row(vec![
            value_label("owner", owner),
            v.sat_n.to_string(),
            mean(v),
        ]);
    }
    if p.filter.only.is_some() {
        by_owner.title = "Satisfaction by owner (all complaints)".into();
        by_owner.note = "Kept per owner for all complaints; not narrowed to one value.".into();
    }
    let points = points_table(report, &labels);
    let mut tables = vec![volume, outcomes, points, satisfaction, by_owner];
    if p.filter.by != "all" {
        let mut split = Table::new(
            "volume_by",
            format!("Volumes by {}", by_label(p.filter.by).to_lowercase()),
            &[
                by_label(p.filter.by),
                "Received",
                "Closed",
                "Open at end",
                "Upheld (in full or part)",
                "Not upheld",
                "Points decided",
                "Points upheld (in full or part)",
                "Mean satisfaction",
            ],
        );
        if p.filter.by == "owner" {
            split.note = "Each figure counts under the owner at that moment: a complaint is \
                          received before anyone owns it (so under \"No owner\"), and is closed, \
                          decided or open at the period's end under whoever owns it then."
                .into();
        }
        for (value, v, open) in &report.breakdown {
            split.row(vec![
                p.label(value),
                v.received.to_string(),
                v.closed.to_string(),
                open.to_string(),
                v.upheld_any().to_string(),
                v.not_upheld.to_string(),
                v.points.to_string(),
                (v.points_upheld + v.points_partly_upheld).to_string(),
                mean(v),
            ]);
        }
        tables.push(split);
    }
    tables
}

/// The points of complaint decided, by period: each complaint's points are decided one by
/// one, so a complaint partly upheld shows here as the points upheld and not upheld.
pub(super) fn points_table(report: &VolumeReport, labels: &[String]) -> Table {
    let mut points = Table::new(
        "points",
        "Points of complaint decided",
        &[
            "Period",
            "Points decided",
            "Upheld",
            "Partly upheld",
            "Not upheld",
        ],
    );
    let row = |label: String, v: &Volume| {
        vec![
            label,
            v.points.to_string(),
            v.points_upheld.to_string(),
            v.points_partly_upheld.to_string(),
            v.points_not_upheld.to_string(),
        ]
    };
    for ((_, v, _), label) in report.periods.iter().zip(labels) {
        points.row(row(label.clone(), v));
    }
    points.row(row("Total".into(), &report.total));
    points.note = "Counted for complaints resolved since points of complaint are recorded; \
                   earlier complaints were decided as a whole."
        .into();
    points
}

pub(super) async fn overview_tables(state: &AppState, p: &Parsed) -> Result<Vec<Table>, AppError> {
    let reports = &state.store.reports;
    let speeds = reports.speed(&p.filter).await?;
    let volume = reports.volume(&p.filter).await?;
    let owners = if p.filter.by == "owner" && p.filter.only.is_none() {
        volume.clone()
    } else {
        reports
            .volume(&ReportFilter {
                by: "owner",
                only: None,
                ..p.filter.clone()
            })
            .await?
    };
    let today = state.store.sla.now().with_timezone(&p.zone).date_naive();
    let ages = reports
        .ages(today, p.filter.by, p.filter.only.as_deref())
        .await?;
    let breaches = reports.breaches(p.filter.range, p.zone, 50).await?;
    let mut tables = speed_tables(&speeds, p);
    tables.extend(volume_tables(&volume, &owners, p));
    let mut tags = Table::new(
        "tags",
        "Complaints received, by tag (all complaints)",
        &["Tag", "Received", "Open", "Upheld", "Mean satisfaction"],
    );
    for t in reports.by_tag(p.filter.range, p.zone).await? {
        tags.linked_row(
            vec![
                t.tag.clone(),
                t.received.to_string(),
                t.open.to_string(),
                t.upheld.to_string(),
                t.satisfaction
                    .map_or_else(|| "–".into(), |s| format!("{s:.2}")),
            ],
            vec![(
                0,
                format!(
                    "/complaints?status=all&team=all&tag={}",
                    serde_urlencoded::to_string([("", &t.tag)])
                        .unwrap_or_default()
                        .trim_start_matches('=')
                ),
            )],
        );
    }
    tags.note = "A complaint counts under every tag it carries now; one without tags under \
                 none. Tags are put on and taken off at any time, so this reads today's tags \
                 of the complaints received in the range."
        .into();
    tables.push(tags);

    let bucket_names: Vec<String> = {
        let mut names = Vec::new();
        let mut low = 0;
        for high in AGE_BUCKETS {
            names.push(if low == 0 {
                format!("Up to {high} days")
            } else {
                format!("{}–{high} days", low + 1)
            });
            low = high;
        }
        names.push(format!("Over {low} days"));
        names
    };
    let mut headers = vec![by_label(p.filter.by)];
    headers.extend(bucket_names.iter().map(String::as_str));
    headers.push("Open");
    let mut age = Table::new("backlog_ages", "Open complaints by age (now)", &headers);
    let mut totals = [0i64; 6];
    for row in &ages {
        let mut cells = vec![p.label(&row.value)];
        cells.extend(row.buckets.iter().map(|n| n.to_string()));
        cells.push(row.buckets.iter().sum::<i64>().to_string());
        for (t, n) in totals.iter_mut().zip(row.buckets) {
            *t += n;
        }
        age.row(cells);
    }
    if p.filter.by == "all" && !ages.is_empty() {
        age.rows[0][0].text = "All".into();
    }
    age.chart = charts::bars(
        "Open complaints by age",
        &bucket_names,
        "open complaints",
        &[("Open".into(), totals.iter().map(|n| *n as f64).collect())],
    );
    age.note = "Age in calendar days since the day the complaint was received, as of today.".into();
    tables.push(age);

    let every = if p.filter.by == "all" {
        ""
    } else {
        " (all complaints)"
    };
    let mut by_clock = Table::new(
        "breaches",
        format!("SLA breaches by step{every}"),
        &["Step", "Breaches"],
    );
    for (clock, n) in &breaches.by_clock {
        by_clock.row(vec![clock.label().to_string(), n.to_string()]);
    }
    by_clock.note = format!(
        "{} breaches in the range; a cause was recorded for {}.",
        breaches.total(),
        breaches.with_cause()
    );
    tables.push(by_clock);
    let mut causes = Table::new(
        "causes",
        format!("Causes of breaches{every}"),
        &["Cause", "Breaches"],
    );
    for (cause, n) in &breaches.causes {
        causes.row(vec![cause.clone(), n.to_string()]);
    }
    tables.push(causes);
    let mut caused = Table::new(
        "caused_breaches",
        "Latest breaches with their cause",
        &["Complaint", "Step", "Fell due", "Owner", "Cause"],
    );
    for b in &breaches.caused {
        caused.linked_row(
            vec![
                b.reference.clone(),
                SlaClock::parse(&b.clock).map_or(b.clock.clone(), |c| c.label().to_string()),
                b.due_at
                    .with_timezone(&p.zone)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                b.owner.clone().unwrap_or_default(),
                b.cause.clone(),
            ],
            vec![(0, format!("/complaints/{}", b.reference))],
        );
    }
    tables.push(caused);
    Ok(tables)
}

/// GET /reports
pub(crate) async fn overview(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page {
        state: &state,
        staff: &staff,
        session: &session,
        query: &query,
        template: "reports/overview.html",
        path: "/reports",
    };
    let parsed = match page.begin(91, Grouping::Week).await? {
        Ok(parsed) => parsed,
        Err(refusal) => return page.refuse(refusal),
    };
    let tables = overview_tables(&state, &parsed).await?;
    page.respond(&parsed, tables)
}
