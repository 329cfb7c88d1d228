//! One report page being answered: its filters checked or refused beside the form, its tables as HTML or CSV.

use super::*;

/// One report page being answered: who asks, what they asked, and where it is drawn.
pub(super) struct Page<'a> {
    pub(super) state: &'a AppState,
    pub(super) staff: &'a CurrentStaff,
    pub(super) session: &'a Session,
    pub(super) query: &'a ReportQuery,
    pub(super) template: &'static str,
    pub(super) path: &'static str,
}

impl Page<'_> {
    /// What every report page starts with: the filters, checked (who may see reports is
    /// `crate::access`'s to say).
    pub(super) async fn begin(
        &self,
        default_days: i64,
        default_group: Grouping,
    ) -> Result<Result<Parsed, Refusal>, AppError> {
        let zone = report_zone(self.state).await?;
        let categories = self.state.store.categories.map().await?;
        Ok(parse(
            self.query,
            zone,
            self.state.store.sla.now(),
            default_days,
            default_group,
            self.staff.language(),
        )
        .map(|mut parsed| {
            // One category, however it is named: its code.
            if parsed.filter.by == "category"
                && let Some(only) = parsed.filter.only.as_mut()
                && let Ok(code) = categories.accept(only)
            {
                *only = code;
            }
            parsed.categories = categories;
            parsed
        }))
    }

    /// The page again with the filters as sent and what to fix beside the field (400).
    pub(super) fn refuse(&self, mut refusal: Refusal) -> Result<HttpResponse, AppError> {
        let on_this_form = match refusal.field {
            "from" | "to" => true,
            "by" | "only" => {
                matches!(
                    self.path,
                    "/reports" | "/reports/causes" | "/reports/loyalty"
                )
            }
            "group" | "basis" => self.path == "/reports",
            "q" => self.path == "/reports/feedback",
            _ => false,
        };
        if !on_this_form {
            refusal.field = "";
        }
        let q = self.query;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let selected = Selected {
            from: text(&q.from),
            to: text(&q.to),
            group: blank(&q.group).unwrap_or_else(|| "week".into()),
            by: blank(&q.by).unwrap_or_else(|| "all".into()),
            only: text(&q.only),
            basis: blank(&q.basis).unwrap_or_else(|| "business".into()),
            q: text(&q.q),
        };
        let view = ReportView::new(
            Vec::new(),
            "",
            self.path,
            selected,
            "",
            self.staff.language(),
        )
        .refused(refusal);
        self.render(view, 400)
    }

    /// `view` as this report's page.
    fn render(&self, view: ReportView<'_>, status: u16) -> Result<HttpResponse, AppError> {
        crate::page::Page::new(self.staff, self.session, view)?.render(
            self.state,
            self.template,
            status,
        )
    }
}

/// What a report page shows: its tables, and the filters that chose them (or what to fix).
#[derive(Debug, Serialize)]
pub(super) struct ReportView<'a> {
    tables: Vec<Table>,
    /// The filters as a query string (for the CSV links and the charts' own links).
    query: &'a str,
    path: &'static str,
    selected: Selected,
    refusal: Option<Refusal>,
    /// The zone days are counted in.
    zone: &'a str,
    groups: Vec<(&'static str, String)>,
    bys: Vec<(&'static str, String)>,
}

impl<'a> ReportView<'a> {
    /// `tables` under the filters `selected`, the filters' choices in `language`.
    pub(super) fn new(
        tables: Vec<Table>,
        query: &'a str,
        path: &'static str,
        selected: Selected,
        zone: &'a str,
        language: Language,
    ) -> Self {
        Self {
            tables,
            query,
            path,
            selected,
            refusal: None,
            zone,
            groups: group_options(language),
            bys: by_options(language),
        }
    }

    /// The page again, saying what to fix.
    fn refused(self, refusal: Refusal) -> Self {
        Self {
            refusal: Some(refusal),
            ..self
        }
    }
}

/// The zone report days are counted in: the SLA policy's calendar.
pub(super) async fn report_zone(state: &AppState) -> Result<Tz, AppError> {
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

impl Page<'_> {
    /// Sends `tables` as the page `template`, or one of them as CSV when asked.
    pub(super) fn respond(
        &self,
        parsed: &Parsed,
        tables: Vec<Table>,
    ) -> Result<HttpResponse, AppError> {
        let (state, query) = (self.state, self.query);
        let tables: Vec<Table> = tables
            .into_iter()
            .map(|table| table.in_currency(&state.currency, parsed.language))
            .collect();
        match blank(&query.format).as_deref() {
            None | Some("html") => {}
            Some("csv") => {
                let wanted = blank(&query.table).unwrap_or_default();
                let Some(table) = tables.iter().find(|t| t.id == wanted) else {
                    let ids: Vec<&str> = tables.iter().map(|t| t.id).collect();
                    return self.refuse(Refusal::new(
                        "",
                        say_with(
                            parsed.language,
                            "figures-refusal-table",
                            &[("value", format!("{wanted:?}")), ("ids", ids.join(", "))],
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
                    say_with(
                        parsed.language,
                        "figures-refusal-format",
                        &[("value", format!("{other:?}"))],
                    ),
                ));
            }
        }
        let view = ReportView::new(
            tables,
            &parsed.query,
            self.path,
            parsed.selected.clone(),
            parsed.zone.name(),
            parsed.language,
        );
        self.render(view, 200)
    }
}
