//! `/reports`: response speed, volumes, backlog, outcomes, satisfaction and breaches.

use super::*;

pub(super) fn volume_tables(
    report: &VolumeReport,
    owners: &VolumeReport,
    p: &Parsed,
) -> Vec<Table> {
    let language = p.language;
    let t = |key: &str| say(language, key);
    let labels: Vec<String> = report
        .periods
        .iter()
        .map(|(s, _, _)| period_label(language, *s, p.filter.grouping))
        .collect();
    let mut volume = Table::new(
        "volume",
        t("figures-volume-title"),
        &[
            t("figures-col-period"),
            t("figures-col-received"),
            t("figures-col-repeat"),
            t("figures-col-closed"),
            t("figures-col-reopened"),
            t("figures-col-open-at-end"),
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
        t("figures-total"),
        report.total.received.to_string(),
        report.total.repeat_received.to_string(),
        report.total.closed.to_string(),
        report.total.reopened.to_string(),
        report.backlog_end().to_string(),
    ]);
    volume.note = say_with(
        language,
        "figures-volume-note",
        &[("count", report.backlog_start.to_string())],
    );
    volume.chart = charts::bars(
        &t("figures-volume-chart"),
        &labels,
        &t("figures-unit-complaints"),
        &[
            (
                t("figures-col-received"),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.received as f64)
                    .collect(),
            ),
            (
                t("figures-col-closed"),
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
        t("figures-outcomes-title"),
        &[
            t("figures-col-period"),
            t("figures-col-decided"),
            t("figures-col-upheld"),
            t("figures-col-partly-upheld"),
            t("figures-col-not-upheld"),
            t("figures-col-redress"),
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
    let total = &report.total;
    outcomes.row(vec![
        t("figures-total"),
        total.resolved.to_string(),
        total.upheld.to_string(),
        total.partly_upheld.to_string(),
        total.not_upheld.to_string(),
        money(total.redress_cents),
    ]);
    outcomes.chart = charts::bars(
        &t("figures-outcomes-chart"),
        &labels,
        &t("figures-unit-decisions"),
        &[
            (
                t("figures-col-upheld"),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.upheld as f64)
                    .collect(),
            ),
            (
                t("figures-col-partly-upheld"),
                report
                    .periods
                    .iter()
                    .map(|(_, v, _)| v.partly_upheld as f64)
                    .collect(),
            ),
            (
                t("figures-col-not-upheld"),
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
        t("figures-satisfaction-title"),
        &[
            t("figures-col-period"),
            t("figures-col-answers"),
            t("figures-col-mean-score"),
            "1".into(),
            "2".into(),
            "3".into(),
            "4".into(),
            "5".into(),
        ],
    );
    for ((_, v, _), label) in report.periods.iter().zip(&labels) {
        let mut row = vec![label.clone(), v.sat_n.to_string(), mean(v)];
        row.extend(v.sat.iter().map(|n| n.to_string()));
        satisfaction.row(row);
    }
    satisfaction.chart = charts::lines(
        &t("figures-satisfaction-chart"),
        &labels,
        &t("figures-unit-mean-score"),
        &[(
            t("figures-series-mean-score"),
            report
                .periods
                .iter()
                .map(|(_, v, _)| v.satisfaction())
                .collect(),
        )],
    );
    let mut by_owner = Table::new(
        "satisfaction_by_owner",
        t("figures-by-owner-title"),
        &[
            by_label(language, "owner"),
            t("figures-col-answers"),
            t("figures-col-mean-score"),
        ],
    );
    let mut owners: Vec<&(String, Volume, i64)> = owners
        .breakdown
        .iter()
        .filter(|(_, v, _)| v.sat_n > 0)
        .collect();
    owners.sort_by_key(|o| std::cmp::Reverse(o.1.sat_n));
    for (owner, v, _) in owners {
        by_owner.row(vec![
            value_label(language, "owner", owner),
            v.sat_n.to_string(),
            mean(v),
        ]);
    }
    if p.filter.only.is_some() {
        by_owner.title = t("figures-by-owner-title-all");
        by_owner.note = t("figures-by-owner-note");
    }
    let points = points_table(report, &labels, language);
    let mut tables = vec![volume, outcomes, points, satisfaction, by_owner];
    if p.filter.by != "all" {
        let by = by_label(language, p.filter.by);
        let mut split = Table::new(
            "volume_by",
            say_with(
                language,
                "figures-volume-by-title",
                &[("by", by.to_lowercase())],
            ),
            &[
                by,
                t("figures-col-received"),
                t("figures-col-closed"),
                t("figures-col-open-at-end"),
                t("figures-col-upheld-any"),
                t("figures-col-not-upheld"),
                t("figures-col-points-decided"),
                t("figures-col-points-upheld-any"),
                t("figures-col-mean-satisfaction"),
            ],
        );
        if p.filter.by == "owner" {
            split.note = t("figures-volume-by-owner-note");
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
pub(super) fn points_table(report: &VolumeReport, labels: &[String], language: Language) -> Table {
    let t = |key: &str| say(language, key);
    let mut points = Table::new(
        "points",
        t("figures-points-title"),
        &[
            t("figures-col-period"),
            t("figures-col-points-decided"),
            t("figures-col-upheld"),
            t("figures-col-partly-upheld"),
            t("figures-col-not-upheld"),
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
    points.row(row(t("figures-total"), &report.total));
    points.note = t("figures-points-note");
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
    let language = p.language;
    let t = |key: &str| say(language, key);
    let mut tables = speed_tables(&speeds, p);
    tables.extend(volume_tables(&volume, &owners, p));
    let mut tags = Table::new(
        "tags",
        t("figures-tags-title"),
        &[
            t("figures-col-tag"),
            t("figures-col-received"),
            t("figures-col-open"),
            t("figures-col-upheld"),
            t("figures-col-mean-satisfaction"),
        ],
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
    tags.note = t("figures-tags-note");
    tables.push(tags);

    let bucket_names: Vec<String> = {
        let mut names = Vec::new();
        let mut low = 0;
        for high in AGE_BUCKETS {
            names.push(if low == 0 {
                say_with(language, "figures-age-up-to", &[("high", high.to_string())])
            } else {
                say_with(
                    language,
                    "figures-age-between",
                    &[("low", (low + 1).to_string()), ("high", high.to_string())],
                )
            });
            low = high;
        }
        names.push(say_with(
            language,
            "figures-age-over",
            &[("low", low.to_string())],
        ));
        names
    };
    let mut headers = vec![by_label(language, p.filter.by)];
    headers.extend(bucket_names.iter().cloned());
    headers.push(t("figures-col-open"));
    let mut age = Table::new("backlog_ages", t("figures-age-title"), &headers);
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
        age.rows[0][0].text = by_label(language, "all");
    }
    age.chart = charts::bars(
        &t("figures-age-chart"),
        &bucket_names,
        &t("figures-unit-open-complaints"),
        &[(
            t("figures-col-open"),
            totals.iter().map(|n| *n as f64).collect(),
        )],
    );
    age.note = t("figures-age-note");
    tables.push(age);

    let every = p.filter.by != "all";
    let mut by_clock = Table::new(
        "breaches",
        t(if every {
            "figures-breaches-title-all"
        } else {
            "figures-breaches-title"
        }),
        &[t("figures-col-step"), t("figures-col-breaches")],
    );
    for (clock, n) in &breaches.by_clock {
        by_clock.row(vec![clock.label().to_string(), n.to_string()]);
    }
    by_clock.note = say_with(
        language,
        "figures-breaches-note",
        &[
            ("total", breaches.total().to_string()),
            ("caused", breaches.with_cause().to_string()),
        ],
    );
    tables.push(by_clock);
    let mut causes = Table::new(
        "causes",
        t(if every {
            "figures-causes-title-all"
        } else {
            "figures-causes-title"
        }),
        &[t("figures-col-cause"), t("figures-col-breaches")],
    );
    for (cause, n) in &breaches.causes {
        causes.row(vec![cause.clone(), n.to_string()]);
    }
    tables.push(causes);
    let mut caused = Table::new(
        "caused_breaches",
        t("figures-caused-title"),
        &[
            t("figures-col-complaint"),
            t("figures-col-step"),
            t("figures-col-fell-due"),
            by_label(language, "owner"),
            t("figures-col-cause"),
        ],
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
