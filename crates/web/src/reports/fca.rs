//! `/reports/fca`: the FCA complaints return, by FCA product group (each managed category
//! counts under the group it names, else under its own name).

use super::*;

/// GET /reports/fca: the FCA complaints return's figures by category.
pub(crate) async fn fca(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
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
    let t = |key: &str| say(parsed.language, key);
    let mut table = Table::new(
        "fca_return",
        t("figures-fca-title"),
        &[
            t("figures-col-product"),
            t("figures-col-opened"),
            t("figures-col-closed-3d"),
            t("figures-col-closed-8w"),
            t("figures-col-closed-later"),
            t("figures-col-upheld-any"),
            t("figures-col-upheld-percent"),
            t("figures-col-redress"),
            t("figures-col-still-open"),
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
    // One row per FCA product group: a category counts under its group when it has one,
    // else under its own name; text no category claims yet, as itself.
    let mut groups: Vec<(String, Volume, i64)> = Vec::new();
    for (value, v, open) in &report.breakdown {
        let name = match parsed.categories.resolve(value) {
            Some(category) => category
                .fca_group
                .clone()
                .unwrap_or_else(|| category.name(parsed.language).to_string()),
            None => parsed.label(value),
        };
        match groups.iter_mut().find(|(n, _, _)| *n == name) {
            Some((_, total, open_total)) => {
                *total += *v;
                *open_total += open;
            }
            None => groups.push((name, *v, *open)),
        }
    }
    groups.sort_by(|a, b| b.1.received.cmp(&a.1.received).then(a.0.cmp(&b.0)));
    for (name, v, open) in &groups {
        table.row(line(name.clone(), v, *open));
    }
    table.row(line(
        t("figures-total"),
        &report.total,
        report.backlog_end(),
    ));
    table.note = t("figures-fca-note");
    page.respond(&parsed, vec![table])
}
