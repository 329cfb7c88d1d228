//! `/reports/feedback`: the customers' own words, searchable.

use super::*;

/// GET /reports/feedback
pub(crate) async fn feedback(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
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
    let language = parsed.language;
    let t = |key: &str| say(language, key);
    let search = blank(&query.q).unwrap_or_default();
    if search.chars().count() > 200 {
        return page.refuse(Refusal::new("q", t("figures-search-too-long")));
    }
    let (rows, total) = state
        .store
        .reports
        .feedback(parsed.filter.range, &search, 500)
        .await?;
    let mut table = Table::new(
        "feedback",
        t("figures-feedback-title"),
        &[
            t("figures-col-date"),
            t("figures-col-complaint"),
            t("figures-col-score"),
            by_label(language, "owner"),
            by_label(language, "category"),
            t("figures-col-would-change"),
            t("figures-col-comment"),
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
                value_label(language, "owner", &f.owner),
                parsed.categories.label(&f.category, language),
                f.would_change.unwrap_or_default(),
                f.comment.unwrap_or_default(),
            ],
            vec![(1, format!("/complaints/{}", f.reference))],
        );
    }
    table.note = matched_note(language, total, table.rows.len() as i64);
    page.respond(
        &parsed,
        vec![table, periodic(&state, &parsed, &search).await?],
    )
}

/// The periodic surveys' answers in the period (by when they were given), those whose words
/// or company contain `search`: beside the answers after a complaint.
async fn periodic(state: &AppState, parsed: &Parsed, search: &str) -> Result<Table, AppError> {
    let language = parsed.language;
    let t = |key: &str| say(language, key);
    let zone = parsed.zone;
    let start = |day: NaiveDate| {
        use chrono::TimeZone;
        let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        zone.from_local_datetime(&midnight)
            .earliest()
            .map_or_else(|| midnight.and_utc(), |t| t.with_timezone(&Utc))
    };
    let range = parsed.filter.range;
    let answers = state
        .store
        .surveys
        .answers(start(range.from), start(range.to + chrono::Days::new(1)))
        .await?;
    let needle = search.to_lowercase();
    let mut table = Table::new(
        "periodic",
        t("periodic-title"),
        &[
            t("figures-col-date"),
            t("periodic-col-company"),
            t("figures-col-score"),
            t("figures-col-would-change"),
            t("periodic-col-contact"),
        ],
    );
    let total = answers.len() as i64;
    for answer in answers.into_iter().filter(|a| {
        needle.is_empty()
            || a.would_change
                .as_deref()
                .is_some_and(|w| w.to_lowercase().contains(&needle))
            || a.company
                .as_deref()
                .is_some_and(|c| c.to_lowercase().contains(&needle))
    }) {
        table.row(vec![
            answer
                .answered_at
                .with_timezone(&zone)
                .format("%Y-%m-%d")
                .to_string(),
            answer.company.unwrap_or_default(),
            answer.score.to_string(),
            answer.would_change.unwrap_or_default(),
            if answer.wants_contact {
                t("periodic-contact-yes")
            } else {
                String::new()
            },
        ]);
    }
    table.note = matched_note(language, total, table.rows.len() as i64);
    Ok(table)
}
