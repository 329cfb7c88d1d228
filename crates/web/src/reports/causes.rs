//! `/reports/causes`: which few root causes bring most complaints (a Pareto analysis, with the
//! cumulative share), against the period before; the same by a breakdown; and whether the
//! complaints of a cause fell after a corrective action was opened against it.

use std::collections::BTreeMap;

use redress_store::root_causes::{NamedCause, pareto};

use super::*;

/// Days before and after a corrective action its cause's complaints are counted in.
const EFFECT_DAYS: i64 = 90;

/// The start of `day` in `zone`, in UTC.
fn start_of(day: NaiveDate, zone: Tz) -> chrono::DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    zone.from_local_datetime(&midnight)
        .earliest()
        .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
}

fn percent(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

/// GET /reports/causes
pub(crate) async fn causes(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page {
        state: &state,
        staff: &staff,
        session: &session,
        query: &query,
        template: "reports/causes.html",
        path: "/reports/causes",
    };
    let parsed = match page.begin(91, Grouping::Month).await? {
        Ok(parsed) => parsed,
        Err(refusal) => return page.refuse(refusal),
    };
    let language = parsed.language;
    let t = |key: &str| say(language, key);
    let range = parsed.filter.range;
    let from = start_of(range.from, parsed.zone);
    let to = start_of(range.to + chrono::Days::new(1), parsed.zone);
    let before = from - (to - from);
    let list = state.store.root_causes.list().await?;
    let name_of = |code: &str| {
        list.iter()
            .find(|c| c.code == code)
            .map_or_else(|| code.to_string(), |c| c.name(language).to_string())
    };
    let teams = state.store.teams.list().await?;
    let by = parsed.filter.by;
    // A value of the breakdown, as the filter and the table read it.
    let value_of = |named: &NamedCause| -> String {
        match by {
            "category" => parsed.categories.key(&named.category).to_string(),
            "team" => named
                .team_id
                .and_then(|id| teams.iter().find(|t| t.id == id))
                .map(|t| t.name.clone())
                .unwrap_or_default(),
            other => named.value(other),
        }
    };
    let wanted = |named: &NamedCause| match &parsed.filter.only {
        Some(only) => value_of(named).eq_ignore_ascii_case(only),
        None => true,
    };
    let count = |rows: &[NamedCause]| {
        let mut counts: BTreeMap<String, i64> = BTreeMap::new();
        for named in rows.iter().filter(|n| wanted(n)) {
            *counts.entry(named.cause.clone()).or_default() += 1;
        }
        counts
    };
    let now_rows = state.store.root_causes.named(from, to).await?;
    let before_counts = count(&state.store.root_causes.named(before, from).await?);
    let counts = count(&now_rows);
    let rows = pareto(&counts);

    let mut table = Table::new(
        "causes",
        t("causes-pareto-title"),
        &[
            t("causes-col-cause"),
            t("causes-col-complaints"),
            t("causes-col-share"),
            t("causes-col-cumulative"),
            t("causes-col-before"),
            t("causes-col-change"),
        ],
    );
    for row in &rows {
        let earlier = before_counts.get(&row.cause).copied().unwrap_or(0);
        let change = row.complaints - earlier;
        table.row(vec![
            name_of(&row.cause),
            row.complaints.to_string(),
            percent(row.share),
            percent(row.cumulative),
            earlier.to_string(),
            if change > 0 {
                format!("+{change}")
            } else {
                change.to_string()
            },
        ]);
    }
    if rows.is_empty() {
        table.note = t("causes-none-named");
    } else {
        let vital = rows.iter().take_while(|r| r.cumulative < 0.8).count() + 1;
        table.note = say_with(
            language,
            "causes-vital-few",
            &[
                ("causes", vital.min(rows.len()).to_string()),
                ("of", rows.len().to_string()),
            ],
        );
        let names: Vec<String> = rows.iter().map(|r| name_of(&r.cause)).collect();
        table.chart = charts::pareto(
            &t("causes-pareto-chart"),
            &names,
            &rows.iter().map(|r| r.complaints as f64).collect::<Vec<_>>(),
            &rows.iter().map(|r| r.cumulative).collect::<Vec<_>>(),
            (&t("causes-col-complaints"), &t("causes-col-cumulative")),
        );
    }
    let mut tables = vec![table];

    if by != "all" && parsed.filter.only.is_none() {
        let mut cells: BTreeMap<(String, String), i64> = BTreeMap::new();
        for named in &now_rows {
            *cells
                .entry((value_of(named), named.cause.clone()))
                .or_default() += 1;
        }
        let mut breakdown = Table::new(
            "causes-by",
            say_with(
                language,
                "causes-by-title",
                &[("by", by_label(language, by))],
            ),
            &[
                by_label(language, by),
                t("causes-col-cause"),
                t("causes-col-complaints"),
            ],
        );
        for ((value, cause), complaints) in cells {
            breakdown.row(vec![
                parsed.label(&value),
                name_of(&cause),
                complaints.to_string(),
            ]);
        }
        tables.push(breakdown);
    }

    let now = state.store.clock.now();
    let mut actions = Table::new(
        "corrective-actions",
        t("causes-actions-title"),
        &[
            t("causes-col-cause"),
            t("causes-col-what"),
            t("causes-col-owner"),
            t("causes-col-due"),
            t("causes-col-status"),
            t("causes-col-before-action"),
            t("causes-col-after-action"),
        ],
    );
    for action in state.store.root_causes.actions().await? {
        let window = Duration::days(EFFECT_DAYS);
        let opened = action.opened_at;
        let after_end = (opened + window).min(now);
        let before_count = state
            .store
            .root_causes
            .complaints_with(&action.cause, opened - window, opened)
            .await?;
        let after_count = state
            .store
            .root_causes
            .complaints_with(&action.cause, opened, after_end)
            .await?;
        let after_days = (after_end - opened).num_days().max(0);
        actions.linked_row(
            vec![
                name_of(&action.cause),
                action.what.clone(),
                action.owner_name.clone(),
                action.due_on.to_string(),
                match action.done_at {
                    Some(done) => say_with(
                        language,
                        "causes-done-on",
                        &[(
                            "date",
                            done.with_timezone(&parsed.zone).date_naive().to_string(),
                        )],
                    ),
                    None if action.due_on < now.with_timezone(&parsed.zone).date_naive() => {
                        t("causes-overdue")
                    }
                    None => t("causes-open"),
                },
                say_with(
                    language,
                    "causes-in-days",
                    &[
                        ("count", before_count.to_string()),
                        ("days", EFFECT_DAYS.to_string()),
                    ],
                ),
                say_with(
                    language,
                    "causes-in-days",
                    &[
                        ("count", after_count.to_string()),
                        ("days", after_days.to_string()),
                    ],
                ),
            ],
            vec![(0, "/causes/actions".to_string())],
        );
    }
    if actions.rows.is_empty() {
        actions.note = t("causes-no-actions");
    }
    tables.push(actions);
    page.respond(&parsed, tables)
}
