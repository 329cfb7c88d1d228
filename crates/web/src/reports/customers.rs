//! `/reports/customers`: repeat complainants and the companies with most complaints.

use super::*;

/// GET /reports/customers
pub(crate) async fn customers(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
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
    let t = |key: &str| say(parsed.language, key);
    let repeat = state
        .store
        .reports
        .repeat_customers(parsed.filter.range.instants(zone), 50)
        .await?;
    let mut customers = Table::new(
        "repeat_customers",
        t("figures-repeat-title"),
        &[
            t("figures-col-customer"),
            by_label(parsed.language, "company"),
            t("figures-col-complaints-all-time"),
            t("figures-col-first"),
            t("figures-col-latest"),
            t("figures-col-latest-complaint"),
        ],
    );
    for c in repeat {
        customers.linked_row(
            vec![
                c.name.unwrap_or_else(|| t("figures-erased")),
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
    customers.note = t("figures-repeat-note");
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
        t("figures-companies-title"),
        &[
            by_label(parsed.language, "company"),
            t("figures-col-received"),
            t("figures-col-closed"),
            t("figures-col-open-at-end"),
            t("figures-col-upheld-any"),
            t("figures-col-mean-satisfaction"),
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
