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

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::charts;
use crate::error::AppError;
use crate::signed::Signed;

mod customers;
mod fca;
mod feedback;
mod filters;
mod overview;
mod page;
mod table;
mod words;

pub(crate) use customers::customers;
pub(crate) use fca::fca;
pub(crate) use feedback::feedback;
pub(crate) use filters::*;
pub(crate) use overview::overview;

use page::*;
pub(crate) use table::*;
use words::*;

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
        let selected = Selected {
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
            group: "week".into(),
            by: "all".into(),
            only: String::new(),
            basis: "business".into(),
            q: String::new(),
        };
        let view = ReportView::new(
            vec![table],
            "from=2026-03-01",
            "/reports",
            selected,
            "Europe/London",
        );
        let mut context = tera::Context::from_serialize(&view).unwrap();
        context.insert("lang", "en");
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
