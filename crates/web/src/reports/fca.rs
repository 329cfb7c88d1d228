//! `/reports/fca`: the FCA complaints return, by category.

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
