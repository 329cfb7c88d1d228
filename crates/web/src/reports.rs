//! The managers' reports (managers and admins): response speed, volumes, backlog, outcomes,
//! satisfaction and breaches on `/reports`; the customers' words on `/reports/feedback`;
//! repeat complainants and companies on `/reports/customers`; the FCA complaints return on
//! `/reports/fca`. Filters live in the URL; every table is also CSV (`?format=csv&table=ID`);
//! charts are SVG drawn on the server, each beside the table of its numbers.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use redress_domain::{Basis, Channel, Priority, SlaClock, Tier};
use redress_store::reports::{
    AGE_BUCKETS, ClockSpeed, Grouping, Range, ReportFilter, Speed, Volume, VolumeReport, breakdown,
};
use serde::{Deserialize, Serialize};

use crate::auth::CurrentStaff;
use crate::charts;
use crate::error::AppError;
use crate::{AppState, page_context, render};

/// The reports' query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
    by: Option<String>,
    only: Option<String>,
    basis: Option<String>,
    q: Option<String>,
    format: Option<String>,
    table: Option<String>,
}

/// One cell: its text, and where it links to (empty: nowhere).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Cell {
    text: String,
    link: String,
    /// What the CSV export writes instead of the text (a duration in minutes).
    #[serde(skip)]
    raw: Option<String>,
}

impl Cell {
    fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            link: String::new(),
            raw: None,
        }
    }

    /// A duration: in words on the page ("45 min", "19.5 h"), in minutes in the CSV.
    fn duration(minutes: Option<u64>) -> Self {
        Self {
            text: duration_words(minutes),
            link: String::new(),
            raw: Some(minutes.map(|m| m.to_string()).unwrap_or_default()),
        }
    }
}

/// One table of a report: what the page shows and the CSV export writes.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Table {
    id: &'static str,
    title: String,
    headers: Vec<String>,
    /// The CSV's headers, where they differ (units).
    #[serde(skip)]
    csv_headers: Vec<String>,
    rows: Vec<Vec<Cell>>,
    /// The chart of the same numbers (SVG), if any.
    chart: String,
    note: String,
}

impl Table {
    /// Names the currency of the redress column (an installation pays in one, so amounts
    /// are never added across two).
    fn in_currency(mut self, currency: &redress_domain::Currency) -> Self {
        for header in self.headers.iter_mut().chain(self.csv_headers.iter_mut()) {
            if header == "Redress paid" {
                *header = format!("Redress paid ({currency})");
            }
        }
        self
    }

    fn new(id: &'static str, title: impl Into<String>, headers: &[&str]) -> Self {
        Self {
            id,
            title: title.into(),
            headers: headers.iter().map(|h| h.to_string()).collect(),
            csv_headers: Vec::new(),
            rows: Vec::new(),
            chart: String::new(),
            note: String::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.linked_row(cells, Vec::new());
    }

    /// A row whose cells at the given columns link somewhere.
    fn linked_row(&mut self, cells: Vec<String>, links: Vec<(usize, String)>) {
        let mut row: Vec<Cell> = cells.into_iter().map(Cell::text).collect();
        for (column, link) in links {
            if let Some(cell) = row.get_mut(column) {
                cell.link = link;
            }
        }
        self.rows.push(row);
    }

    fn cells(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    fn csv(&self) -> Result<String, AppError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let internal = |e: csv::Error| AppError::Internal(e.to_string());
        let headers = if self.csv_headers.is_empty() {
            &self.headers
        } else {
            &self.csv_headers
        };
        writer.write_record(headers).map_err(internal)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|c| {
                    c.raw
                        .clone()
                        .unwrap_or_else(|| csv_cell(&c.text).into_owned())
                }))
                .map_err(internal)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(e.to_string()))
    }
}

/// A cell as a spreadsheet should read it: no value is empty, and text a spreadsheet would
/// run as a formula (a customer's words starting with `=`, `+`, `-`, `@`) starts with `'`.
fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text == "–" {
        return "".into();
    }
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && text.parse::<f64>().is_err() {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

fn blank(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The filters of a report, checked, with what the page needs to show them again.
struct Parsed {
    filter: ReportFilter,
    zone: Tz,
    /// The query string without format/table (for CSV links and the charts' own links).
    query: String,
    selected: serde_json::Value,
}

/// A filter that cannot be used: the field it is in (empty: none on the form) and what to fix.
#[derive(Debug, Serialize)]
struct Refusal {
    field: &'static str,
    message: String,
}

impl Refusal {
    fn new(field: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            field,
            message: message.into(),
        }
    }
}

/// The longest range a report covers.
const MAX_DAYS: i64 = 3 * 366;

fn parse(
    query: &ReportQuery,
    zone: Tz,
    now: chrono::DateTime<Utc>,
    default_days: i64,
    default_group: Grouping,
) -> Result<Parsed, Refusal> {
    let today = now.with_timezone(&zone).date_naive();
    let date = |name: &'static str, value: &Option<String>, default: NaiveDate| {
        match blank(value) {
        None => Ok(default),
        Some(text) => NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .ok()
            .filter(|d| (1970..=9999).contains(&d.year()))
            .ok_or_else(|| {
                Refusal::new(name, format!(
                    "{name} {text:?} is not a date between 1970 and 9999; write it as YYYY-MM-DD, e.g. 2026-01-31."
                ))
            }),
    }
    };
    let to = date("to", &query.to, today)?;
    let from = date("from", &query.from, to - Duration::days(default_days - 1))?;
    if from > to {
        return Err(Refusal::new(
            "from",
            format!("The range starts ({from}) after it ends ({to}); swap the dates."),
        ));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(Refusal::new(
            "from",
            format!(
                "A report covers at most {MAX_DAYS} days; {from} to {to} is {} days. Choose a shorter range.",
                (to - from).num_days() + 1
            ),
        ));
    }
    let grouping = match blank(&query.group) {
        None => default_group,
        Some(g) => Grouping::parse(&g).ok_or_else(|| {
            Refusal::new(
                "group",
                format!("{g:?} is not a grouping; choose day, week or month."),
            )
        })?,
    };
    if grouping == Grouping::Day && (to - from).num_days() > 92 {
        return Err(Refusal::new(
            "group",
            "Group by day covers at most 93 days; choose week or month for a longer range.",
        ));
    }
    let by = match blank(&query.by) {
        None => "all",
        Some(b) => breakdown(&b).ok_or_else(|| {
            Refusal::new("by", format!(
                "{b:?} is not a breakdown; choose owner, category, channel, priority, tier or company."
            ))
        })?,
    };
    let only = blank(&query.only);
    if only.is_some() && by == "all" {
        return Err(Refusal::new(
            "only",
            "\"only\" picks one value of a breakdown; choose the breakdown (by) too.",
        ));
    }
    let basis = match blank(&query.basis).as_deref() {
        None | Some("business") => Basis::Business,
        Some("calendar") => Basis::Calendar,
        Some(b) => {
            return Err(Refusal::new(
                "basis",
                format!(
                    "{b:?} is not a basis; choose business (working hours) or calendar (all hours)."
                ),
            ));
        }
    };
    let mut params: Vec<(&str, String)> = vec![
        ("from", from.to_string()),
        ("to", to.to_string()),
        ("group", grouping.code().to_string()),
    ];
    if by != "all" {
        params.push(("by", by.to_string()));
    }
    if let Some(only) = &only {
        params.push(("only", only.clone()));
    }
    if basis == Basis::Calendar {
        params.push(("basis", "calendar".into()));
    }
    if let Some(q) = blank(&query.q) {
        params.push(("q", q));
    }
    let encoded = serde_urlencoded::to_string(&params).unwrap_or_default();
    let selected = serde_json::json!({
        "from": from.to_string(), "to": to.to_string(), "group": grouping.code(),
        "by": by, "only": only.clone().unwrap_or_default(),
        "basis": if basis == Basis::Business { "business" } else { "calendar" },
        "q": blank(&query.q).unwrap_or_default(),
    });
    Ok(Parsed {
        filter: ReportFilter {
            range: Range { from, to },
            grouping,
            by,
            only,
            basis,
        },
        zone,
        query: encoded,
        selected,
    })
}

/// One report page being answered: who asks, what they asked, and where it is drawn.
struct Page<'a> {
    state: &'a AppState,
    staff: &'a CurrentStaff,
    session: &'a Session,
    query: &'a ReportQuery,
    template: &'static str,
    path: &'static str,
}

impl Page<'_> {
    /// What every report page starts with: the filters, checked (who may see reports is
    /// `crate::access`'s to say).
    async fn begin(
        &self,
        default_days: i64,
        default_group: Grouping,
    ) -> Result<Result<Parsed, Refusal>, AppError> {
        let zone = report_zone(self.state).await?;
        Ok(parse(
            self.query,
            zone,
            self.state.store.sla.now(),
            default_days,
            default_group,
        ))
    }

    /// The page again with the filters as sent and what to fix beside the field (400).
    fn refuse(&self, mut refusal: Refusal) -> Result<HttpResponse, AppError> {
        let on_this_form = match refusal.field {
            "from" | "to" => true,
            "group" | "by" | "only" | "basis" => self.path == "/reports",
            "q" => self.path == "/reports/feedback",
            _ => false,
        };
        if !on_this_form {
            refusal.field = "";
        }
        let q = self.query;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let selected = serde_json::json!({
            "from": text(&q.from), "to": text(&q.to),
            "group": blank(&q.group).unwrap_or_else(|| "week".into()),
            "by": blank(&q.by).unwrap_or_else(|| "all".into()), "only": text(&q.only),
            "basis": blank(&q.basis).unwrap_or_else(|| "business".into()), "q": text(&q.q),
        });
        let mut context = page_context(self.staff, self.session)?;
        context.insert("tables", &Vec::<Table>::new());
        context.insert("query", "");
        context.insert("path", self.path);
        context.insert("selected", &selected);
        context.insert("refusal", &refusal);
        context.insert("zone", "");
        context.insert("groups", &group_options());
        context.insert("bys", &by_options());
        render(self.state, self.template, &context, 400)
    }
}

/// The zone report days are counted in: the SLA policy's calendar.
async fn report_zone(state: &AppState) -> Result<Tz, AppError> {
    Ok(state
        .store
        .sla
        .policies
        .current()
        .await?
        .policy
        .calendar
        .time_zone)
}

/// A duration in words: minutes under two hours, else hours with one decimal.
fn duration_words(minutes: Option<u64>) -> String {
    match minutes {
        None => "–".into(),
        Some(m) if m < 120 => format!("{m} min"),
        Some(m) => format!("{:.1} h", m as f64 / 60.0),
    }
}

fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |p| format!("{p:.0}%"))
}

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

fn mean(volume: &Volume) -> String {
    volume
        .satisfaction()
        .map_or_else(|| "–".into(), |m| format!("{m:.2}"))
}

/// A label for a value of a breakdown.
fn value_label(by: &str, value: &str) -> String {
    let label = match by {
        "owner" if value.is_empty() => Some("No owner"),
        "channel" => Channel::parse(value).ok().map(|c| c.label()),
        "priority" => Priority::parse(value).ok().map(|p| p.label()),
        "tier" => Tier::parse(value).ok().map(|t| t.label()),
        _ => None,
    };
    label.map_or_else(
        || {
            if value.is_empty() {
                "(none)".into()
            } else {
                value.to_string()
            }
        },
        str::to_string,
    )
}

fn period_label(start: NaiveDate, grouping: Grouping) -> String {
    match grouping {
        Grouping::Day => start.format("%d %b").to_string(),
        Grouping::Week => format!("w/c {}", start.format("%d %b")),
        Grouping::Month => start.format("%b %Y").to_string(),
    }
}

fn by_label(by: &str) -> &'static str {
    match by {
        "owner" => "Owner",
        "category" => "Category",
        "channel" => "Channel",
        "priority" => "Priority",
        "tier" => "Tier",
        "company" => "Company",
        _ => "All",
    }
}

fn speed_tables(speeds: &[ClockSpeed], p: &Parsed) -> Vec<Table> {
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
            let mut row = vec![Cell::text(value_label(p.filter.by, &value))];
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

fn volume_tables(report: &VolumeReport, owners: &VolumeReport, p: &Parsed) -> Vec<Table> {
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
                value_label(p.filter.by, value),
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
fn points_table(report: &VolumeReport, labels: &[String]) -> Table {
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

/// "1 answer matches." / "12 answers match; the latest 10 are shown."
fn matched_note(total: i64, shown: i64) -> String {
    let matched = if total == 1 {
        "1 answer matches".to_string()
    } else {
        format!("{total} answers match")
    };
    if total > shown {
        format!("{matched}; the latest {shown} are shown.")
    } else {
        format!("{matched}.")
    }
}

async fn overview_tables(state: &AppState, p: &Parsed) -> Result<Vec<Table>, AppError> {
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
        let mut cells = vec![value_label(p.filter.by, &row.value)];
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

impl Page<'_> {
    /// Sends `tables` as the page `template`, or one of them as CSV when asked.
    fn respond(&self, parsed: &Parsed, tables: Vec<Table>) -> Result<HttpResponse, AppError> {
        let (state, query) = (self.state, self.query);
        let tables: Vec<Table> = tables
            .into_iter()
            .map(|table| table.in_currency(&state.currency))
            .collect();
        match blank(&query.format).as_deref() {
            None | Some("html") => {}
            Some("csv") => {
                let wanted = blank(&query.table).unwrap_or_default();
                let Some(table) = tables.iter().find(|t| t.id == wanted) else {
                    let ids: Vec<&str> = tables.iter().map(|t| t.id).collect();
                    return self.refuse(Refusal::new(
                        "",
                        format!(
                            "{wanted:?} is not a table of this report; choose one of: {}.",
                            ids.join(", ")
                        ),
                    ));
                };
                let name = format!(
                    "redress-{}-{}-to-{}.csv",
                    table.id, parsed.filter.range.from, parsed.filter.range.to
                );
                return Ok(HttpResponse::Ok()
                    .content_type("text/csv; charset=utf-8")
                    .insert_header((
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ))
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .body(table.csv()?));
            }
            Some(other) => {
                return self.refuse(Refusal::new(
                    "",
                    format!("{other:?} is not a format; choose html or csv."),
                ));
            }
        }
        let mut context = page_context(self.staff, self.session)?;
        context.insert("tables", &tables);
        context.insert("query", &parsed.query);
        context.insert("path", self.path);
        context.insert("selected", &parsed.selected);
        context.insert("zone", parsed.zone.name());
        context.insert("groups", &group_options());
        context.insert("bys", &by_options());
        render(state, self.template, &context, 200)
    }
}

fn group_options() -> Vec<(&'static str, &'static str)> {
    vec![("day", "Day"), ("week", "Week"), ("month", "Month")]
}

fn by_options() -> Vec<(&'static str, &'static str)> {
    vec![
        ("all", "Nothing"),
        ("owner", "Owner"),
        ("category", "Category"),
        ("channel", "Channel"),
        ("priority", "Priority"),
        ("tier", "Tier (key accounts against the rest)"),
        ("company", "Company"),
    ]
}

/// GET /reports
pub(crate) async fn overview(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
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

/// GET /reports/feedback
pub(crate) async fn feedback(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page {
        state: &state,
        staff: &staff,
        session: &session,
        query: &query,
        template: "reports/feedback.html",
        path: "/reports/feedback",
    };
    let parsed = match page.begin(91, Grouping::Week).await? {
        Ok(parsed) => parsed,
        Err(refusal) => return page.refuse(refusal),
    };
    let zone = parsed.zone;
    let search = blank(&query.q).unwrap_or_default();
    if search.chars().count() > 200 {
        return page.refuse(Refusal::new("q", "Search for at most 200 characters."));
    }
    let (rows, total) = state
        .store
        .reports
        .feedback(parsed.filter.range, &search, 500)
        .await?;
    let mut table = Table::new(
        "feedback",
        "What customers would change",
        &[
            "Date",
            "Complaint",
            "Score",
            "Owner",
            "Category",
            "If you ran this company, what would you change?",
            "Comment",
        ],
    );
    for f in rows {
        table.linked_row(
            vec![
                f.answered_at
                    .with_timezone(&zone)
                    .format("%Y-%m-%d")
                    .to_string(),
                f.reference.clone(),
                f.score.to_string(),
                value_label("owner", &f.owner),
                f.category,
                f.would_change.unwrap_or_default(),
                f.comment.unwrap_or_default(),
            ],
            vec![(1, format!("/complaints/{}", f.reference))],
        );
    }
    table.note = matched_note(total, table.rows.len() as i64);
    page.respond(&parsed, vec![table])
}

/// GET /reports/customers
pub(crate) async fn customers(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page {
        state: &state,
        staff: &staff,
        session: &session,
        query: &query,
        template: "reports/customers.html",
        path: "/reports/customers",
    };
    let parsed = match page.begin(365, Grouping::Month).await? {
        Ok(parsed) => parsed,
        Err(refusal) => return page.refuse(refusal),
    };
    let zone = parsed.zone;
    let repeat = state
        .store
        .reports
        .repeat_customers(parsed.filter.range.instants(zone), 50)
        .await?;
    let mut customers = Table::new(
        "repeat_customers",
        "Repeat complainants",
        &[
            "Customer",
            "Company",
            "Complaints (all time)",
            "First",
            "Latest",
            "Latest complaint",
        ],
    );
    for c in repeat {
        customers.linked_row(
            vec![
                c.name.unwrap_or_else(|| "(erased)".into()),
                c.company.clone().unwrap_or_default(),
                c.complaints.to_string(),
                c.first_at
                    .with_timezone(&zone)
                    .format("%Y-%m-%d")
                    .to_string(),
                c.last_at
                    .with_timezone(&zone)
                    .format("%Y-%m-%d")
                    .to_string(),
                c.last_reference.clone(),
            ],
            vec![
                (0, format!("/customers/{}", c.customer)),
                (5, format!("/complaints/{}", c.last_reference)),
            ],
        );
    }
    customers.note = "Customers with more than one complaint whose latest arrived in the range, most complaints first.".into();
    let companies = state
        .store
        .reports
        .volume(&ReportFilter {
            by: "company",
            only: None,
            ..parsed.filter.clone()
        })
        .await?;
    let mut table = Table::new(
        "companies",
        "Companies with the most complaints",
        &[
            "Company",
            "Received",
            "Closed",
            "Open at end",
            "Upheld (in full or part)",
            "Mean satisfaction",
        ],
    );
    for (company, v, open) in companies.breakdown.iter().take(50) {
        table.row(vec![
            company.clone(),
            v.received.to_string(),
            v.closed.to_string(),
            open.to_string(),
            v.upheld_any().to_string(),
            mean(v),
        ]);
    }
    page.respond(&parsed, vec![customers, table])
}

/// GET /reports/fca: the FCA complaints return's figures by category.
pub(crate) async fn fca(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page {
        state: &state,
        staff: &staff,
        session: &session,
        query: &query,
        template: "reports/fca.html",
        path: "/reports/fca",
    };
    let mut parsed = match page.begin(182, Grouping::Month).await? {
        Ok(parsed) => parsed,
        Err(refusal) => return page.refuse(refusal),
    };
    parsed.filter.by = "category";
    parsed.filter.only = None;
    let report = state.store.reports.volume(&parsed.filter).await?;
    let mut table = Table::new(
        "fca_return",
        "Complaints return",
        &[
            "Product or service",
            "Opened",
            "Closed within 3 business days",
            "Closed after 3 business days, within 8 weeks",
            "Closed after 8 weeks",
            "Upheld (in full or part)",
            "Upheld, % of those decided",
            "Redress paid",
            "Still open at the end",
        ],
    );
    let line = |name: String, v: &Volume, open: i64| {
        vec![
            name,
            v.received.to_string(),
            v.closed_3d.to_string(),
            v.closed_8w.to_string(),
            v.closed_later.to_string(),
            v.upheld_any().to_string(),
            percent((v.resolved > 0).then(|| v.upheld_any() as f64 * 100.0 / v.resolved as f64)),
            money(v.redress_cents),
            open.to_string(),
        ]
    };
    for (category, v, open) in &report.breakdown {
        table.row(line(category.clone(), v, *open));
    }
    table.row(line("Total".into(), &report.total, report.backlog_end()));
    table.note = "Closures are counted from receipt, in the business days of each complaint's SLA calendar; a complaint closed, reopened and closed again counts at each closure.".into();
    page.respond(&parsed, vec![table])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_answers_agree_with_their_noun() {
        assert_eq!(matched_note(1, 10), "1 answer matches.");
        assert_eq!(matched_note(0, 10), "0 answers match.");
        assert_eq!(matched_note(3, 10), "3 answers match.");
        assert_eq!(
            matched_note(12, 10),
            "12 answers match; the latest 10 are shown."
        );
    }

    #[test]
    fn durations_read_as_words_on_the_page_and_as_minutes_in_the_csv() {
        assert_eq!(duration_words(Some(45)), "45 min");
        assert_eq!(duration_words(Some(1170)), "19.5 h");
        assert_eq!(duration_words(None), "–");
        let mut table = Table::new("speed", "Speed", &["Step", "Median"]);
        table.csv_headers = vec!["Step".into(), "Median (minutes)".into()];
        table.cells(vec![Cell::text("Resolve"), Cell::duration(Some(1170))]);
        table.cells(vec![Cell::text("Commit"), Cell::duration(None)]);
        assert_eq!(
            table.csv().unwrap(),
            "Step,Median (minutes)\nResolve,1170\nCommit,\n"
        );
    }

    #[test]
    fn csv_cells_are_safe_to_open_in_a_spreadsheet() {
        assert_eq!(csv_cell("–"), "");
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-12.5"), "-12.5");
        assert_eq!(csv_cell("Faster refunds"), "Faster refunds");
    }

    #[test]
    fn the_report_templates_render_a_table_with_links_and_a_chart() {
        let tera = crate::templates().unwrap();
        let mut table = Table::new("volume", "Received", &["Period", "Received"]);
        table.linked_row(
            vec!["w/c 02 Mar".into(), "3".into()],
            vec![(1, "/complaints/RDR-0000-0000".into())],
        );
        table.chart = charts::bars("Received", &["a".into()], "n", &[("R".into(), vec![1.0])]);
        let mut context = tera::Context::new();
        context.insert("tables", &vec![table]);
        context.insert("query", "from=2026-03-01");
        context.insert("path", "/reports");
        context.insert("zone", "Europe/London");
        context.insert("groups", &group_options());
        context.insert("bys", &by_options());
        context.insert(
            "selected",
            &serde_json::json!({"from": "2026-03-01", "to": "2026-03-31", "group": "week",
                "by": "all", "only": "", "basis": "business", "q": ""}),
        );
        for page in ["overview", "feedback", "customers", "fca"] {
            let html = tera
                .render(&format!("reports/{page}.html"), &context)
                .map_err(|e| format!("{e:?}"))
                .unwrap();
            assert!(html.contains("<a href=\"/complaints/RDR-0000-0000\">3</a>"));
            assert!(html.contains("<svg role=\"img\""));
            assert!(html.contains("format=csv&amp;table=volume"));
        }
    }
}
