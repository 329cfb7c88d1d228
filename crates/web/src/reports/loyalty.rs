//! `/reports/loyalty`: speed pays. For the complaints received in the period, the customers'
//! scores and how many came back, in bands of how fast each complaint was acknowledged and
//! resolved (working time, by the SLA calendar) — the method's claim, on the team's own data.

use redress_store::recovery::RecoveryFigures;
use redress_store::reports::{
    ACKNOWLEDGE_BANDS, LoyaltyBand, LoyaltyCell, RESOLVE_BANDS, loyalty_bands,
};

use super::*;

fn share(value: Option<f64>) -> String {
    value.map_or_else(String::new, |v| format!("{:.0}%", v * 100.0))
}

/// A band's name ("within a working day"), or "later" for the last.
fn band_name(language: Language, up_to_hours: Option<i64>) -> String {
    let key = match up_to_hours {
        None => "loyalty-later",
        Some(1) => "loyalty-within-1h",
        Some(4) => "loyalty-within-4h",
        Some(8) => "loyalty-within-1d",
        Some(24) => "loyalty-within-3d",
        Some(40) => "loyalty-within-5d",
        Some(80) => "loyalty-within-10d",
        Some(160) => "loyalty-within-20d",
        Some(hours) => {
            return say_with(
                language,
                "loyalty-within-hours",
                &[("hours", hours.to_string())],
            );
        }
    };
    say(language, key)
}

fn band_table(
    language: Language,
    id: &'static str,
    title: String,
    chart: String,
    bands: &[LoyaltyBand],
) -> Table {
    let t = |key: &str| say(language, key);
    let mut table = Table::new(
        id,
        title,
        &[
            t("loyalty-col-band"),
            t("loyalty-col-complaints"),
            t("loyalty-col-scored"),
            t("loyalty-col-average"),
            t("loyalty-col-satisfied"),
            t("loyalty-col-came-back"),
        ],
    );
    for band in bands {
        table.row(vec![
            band_name(language, band.up_to_hours),
            band.complaints.to_string(),
            band.scored.to_string(),
            band.average.map_or_else(String::new, |a| format!("{a:.1}")),
            share(band.satisfied),
            if band.complaints > 0 {
                share(Some(band.came_back))
            } else {
                String::new()
            },
        ]);
    }
    let x: Vec<String> = bands
        .iter()
        .map(|b| band_name(language, b.up_to_hours))
        .collect();
    table.chart = charts::lines(
        &chart,
        &x,
        &t("loyalty-col-average"),
        &[(
            t("loyalty-col-average"),
            bands.iter().map(|b| b.average).collect(),
        )],
    );
    table
}

/// GET /reports/loyalty
pub(crate) async fn loyalty(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let page = Page {
        state: &state,
        staff: &staff,
        session: &session,
        query: &query,
        template: "reports/loyalty.html",
        path: "/reports/loyalty",
    };
    let parsed = match page.begin(182, Grouping::Month).await? {
        Ok(parsed) => parsed,
        Err(refusal) => return page.refuse(refusal),
    };
    let language = parsed.language;
    let t = |key: &str| say(language, key);
    let range = parsed.filter.range;
    let zone = parsed.zone;
    let start = |day: NaiveDate| {
        use chrono::TimeZone;
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        zone.from_local_datetime(&midnight)
            .earliest()
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    };
    let cells = state
        .store
        .reports
        .loyalty(start(range.from), start(range.to + chrono::Days::new(1)))
        .await?;
    // One tier or team, when asked ("Only"): the bands of its complaints.
    let wanted = |cell: &&LoyaltyCell| match (&parsed.filter.only, parsed.filter.by) {
        (Some(only), "tier") => cell.tier.eq_ignore_ascii_case(only),
        (Some(only), "team") => cell.team.eq_ignore_ascii_case(only),
        _ => true,
    };
    let cells: Vec<LoyaltyCell> = cells.iter().filter(wanted).cloned().collect();
    let complaints: i64 = cells.iter().map(|c| c.tally.complaints).sum();
    let acknowledged = loyalty_bands(&cells, &ACKNOWLEDGE_BANDS, |c| c.acknowledge_band);
    let resolved = loyalty_bands(&cells, &RESOLVE_BANDS, |c| c.resolve_band);
    let mut first = band_table(
        language,
        "loyalty-acknowledge",
        t("loyalty-acknowledge-title"),
        t("loyalty-acknowledge-chart"),
        &acknowledged,
    );
    first.note = say_with(
        language,
        "loyalty-note",
        &[("complaints", complaints.to_string())],
    );
    let second = band_table(
        language,
        "loyalty-resolve",
        t("loyalty-resolve-title"),
        t("loyalty-resolve-chart"),
        &resolved,
    );
    let mut tables = vec![first, second];
    // Broken down by tier or team (and not narrowed to one): the same measures side by side.
    if parsed.filter.only.is_none() && matches!(parsed.filter.by, "tier" | "team") {
        tables.push(by_table(language, parsed.filter.by, &cells));
    }
    let recovery = state
        .store
        .recovery
        .figures(start(range.from), start(range.to + chrono::Days::new(1)))
        .await?;
    tables.push(recovery_table(language, &recovery));
    page.respond(&parsed, tables)
}

/// Speed and loyalty side by side for each tier or team (`by`): of its complaints, the share
/// acknowledged within a working day and resolved within a working week (of those that were),
/// the average score and the share whose customer came back.
fn by_table(language: Language, by: &str, cells: &[LoyaltyCell]) -> Table {
    let t = |key: &str| say(language, key);
    let mut table = Table::new(
        "loyalty-by",
        say_with(
            language,
            "loyalty-by-title",
            &[("by", by_label(language, by))],
        ),
        &[
            by_label(language, by),
            t("loyalty-col-complaints"),
            t("loyalty-col-acknowledged-day"),
            t("loyalty-col-resolved-week"),
            t("loyalty-col-average"),
            t("loyalty-col-came-back"),
        ],
    );
    // Per value: complaints, came back, scored, score sum, acknowledged (and within a day),
    // resolved (and within a week).
    let mut groups: std::collections::BTreeMap<&str, [i64; 8]> = Default::default();
    let day = ACKNOWLEDGE_BANDS.iter().position(|h| *h == 8).unwrap_or(0);
    let week = RESOLVE_BANDS.iter().position(|h| *h == 40).unwrap_or(0);
    for cell in cells {
        let value = if by == "tier" { &cell.tier } else { &cell.team };
        let g = groups.entry(value.as_str()).or_default();
        let n = cell.tally.complaints;
        g[0] += n;
        g[1] += cell.tally.came_back;
        g[2] += cell.tally.scored;
        g[3] += cell.tally.score_sum;
        if let Some(band) = cell.acknowledge_band {
            g[4] += n;
            g[5] += if band <= day { n } else { 0 };
        }
        if let Some(band) = cell.resolve_band {
            g[6] += n;
            g[7] += if band <= week { n } else { 0 };
        }
    }
    let of = |part: i64, whole: i64| (whole > 0).then(|| part as f64 / whole as f64);
    for (value, g) in groups {
        table.row(vec![
            value_label(language, by, value),
            g[0].to_string(),
            share(of(g[5], g[4])),
            share(of(g[7], g[6])),
            of(g[3], g[2]).map_or_else(String::new, |a| format!("{a:.1}")),
            share(of(g[1], g[0])),
        ]);
    }
    table.note = t("loyalty-by-note");
    table
}

/// Service recovery in the period: the low scores, how many were followed up, how fast, and
/// whether the customer's next score was better.
fn recovery_table(language: Language, figures: &RecoveryFigures) -> Table {
    let t = |key: &str| say(language, key);
    let mut table = Table::new(
        "loyalty-recovery",
        t("recovery-title"),
        &[t("recovery-col-measure"), t("recovery-col-value")],
    );
    let of = |part: i64, whole: i64| {
        if whole > 0 {
            format!("{part} ({})", share(Some(part as f64 / whole as f64)))
        } else {
            part.to_string()
        }
    };
    table.row(vec![t("recovery-low"), figures.low.to_string()]);
    table.row(vec![
        t("recovery-followed-up"),
        of(figures.followed_up, figures.low),
    ]);
    table.row(vec![
        t("recovery-acknowledged"),
        of(figures.acknowledged, figures.followed_up),
    ]);
    table.row(vec![
        t("recovery-median-hours"),
        figures
            .median_acknowledge_hours
            .map_or_else(String::new, |h| format!("{h:.1}")),
    ]);
    table.row(vec![
        t("recovery-rescored"),
        of(figures.rescored, figures.followed_up),
    ]);
    table.row(vec![
        t("recovery-better"),
        of(figures.better, figures.rescored),
    ]);
    table.note = t("recovery-note");
    table
}
