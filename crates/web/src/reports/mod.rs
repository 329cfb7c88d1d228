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
use redress_domain::{Basis, Channel, Language, Priority, SlaClock, Tier};
use redress_store::reports::{
    AGE_BUCKETS, ClockSpeed, Grouping, Range, ReportFilter, Speed, Volume, VolumeReport, breakdown,
};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::CurrentStaff;
use crate::charts;
use crate::error::AppError;
use crate::locale;
use crate::signed::Signed;

mod causes;
mod customers;
mod fca;
mod feedback;
mod filters;
mod loyalty;
mod overview;
mod page;
mod speed;
mod table;
mod words;

pub(crate) use causes::causes;
pub(crate) use customers::customers;
pub(crate) use fca::fca;
pub(crate) use feedback::feedback;
pub(crate) use filters::*;
pub(crate) use loyalty::loyalty;
pub(crate) use overview::overview;

use page::*;
use speed::*;
pub(crate) use table::*;
use words::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_of_answers_agree_with_their_noun() {
        let en = Language::En;
        assert_eq!(matched_note(en, 1, 10), "1 answer matches.");
        assert_eq!(matched_note(en, 0, 10), "0 answers match.");
        assert_eq!(matched_note(en, 3, 10), "3 answers match.");
        assert_eq!(
            matched_note(en, 12, 10),
            "12 answers match; the latest 10 are shown."
        );
        assert_eq!(matched_note(Language::Es, 1, 10), "1 respuesta coincide.");
        assert_eq!(
            matched_note(Language::Zh, 12, 10),
            "共 12 条回答符合条件，显示最新的 10 条。"
        );
    }

    #[test]
    fn periods_and_breakdowns_read_in_the_reader_s_language() {
        let march = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        assert_eq!(period_label(Language::En, march, Grouping::Day), "02 Mar");
        assert_eq!(
            period_label(Language::En, march, Grouping::Week),
            "w/c 02 Mar"
        );
        assert_eq!(
            period_label(Language::En, march, Grouping::Month),
            "Mar 2026"
        );
        assert_eq!(
            period_label(Language::En, march, Grouping::Month),
            march.format("%b %Y").to_string()
        );
        assert_eq!(
            period_label(Language::Es, march, Grouping::Month),
            "mar 2026"
        );
        assert_eq!(
            period_label(Language::Zh, march, Grouping::Month),
            "2026年3月"
        );
        assert_eq!(period_label(Language::Zh, march, Grouping::Day), "3月2日");
        assert_eq!(
            period_label(Language::Ro, march, Grouping::Month),
            "mar. 2026"
        );
        for month in 1..=12 {
            let first = NaiveDate::from_ymd_opt(2026, month, 1).unwrap();
            assert_eq!(
                period_label(Language::En, first, Grouping::Month),
                first.format("%b %Y").to_string()
            );
            for language in Language::ALL {
                assert!(!period_label(*language, first, Grouping::Week).contains("figures-"));
            }
        }
        assert_eq!(value_label(Language::En, "owner", ""), "No owner");
        assert_eq!(value_label(Language::En, "team", ""), "No team");
        assert_eq!(value_label(Language::En, "company", ""), "(none)");
        assert_eq!(value_label(Language::Ro, "owner", ""), "Fără responsabil");
        assert_eq!(by_label(Language::En, "tier"), "Tier");
        assert_eq!(by_label(Language::Es, "owner"), "Responsable");
        let table = Table::new(
            "outcomes",
            "Outcomes",
            &[say(Language::Ro, "figures-col-redress")],
        )
        .in_currency(&Default::default(), Language::Ro);
        assert!(
            table.headers[0].starts_with("Despăgubiri plătite ("),
            "{table:?}"
        );
        let english = Table::new("outcomes", "Outcomes", &["Redress paid"])
            .in_currency(&Default::default(), Language::En);
        assert!(
            english.headers[0].starts_with("Redress paid ("),
            "{english:?}"
        );
    }

    #[test]
    fn refused_filters_say_what_to_fix_in_the_reader_s_language() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-03-10T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let refused = |query: ReportQuery, language| {
            parse(&query, chrono_tz::UTC, now, 91, Grouping::Week, language)
                .err()
                .map(|r| r.message)
                .unwrap_or_default()
        };
        let from = |from: &str| ReportQuery {
            from: Some(from.into()),
            ..Default::default()
        };
        assert_eq!(
            refused(from("2026-13-01"), Language::En),
            "from \"2026-13-01\" is not a date between 1970 and 9999; write it as YYYY-MM-DD, e.g. 2026-01-31."
        );
        assert_eq!(
            refused(from("2020-01-01"), Language::En),
            "A report covers at most 1098 days; 2020-01-01 to 2026-03-10 is 2261 days. Choose a shorter range."
        );
        let only = ReportQuery {
            only: Some("high".into()),
            ..Default::default()
        };
        assert_eq!(
            refused(only, Language::En),
            "\"only\" picks one value of a breakdown; choose the breakdown (by) too."
        );
        assert!(refused(from("2026-13-01"), Language::Es).contains("no es una fecha"));
        assert!(refused(from("2026-13-01"), Language::Zh).contains("\"2026-13-01\""));
        let parsed = parse(
            &ReportQuery::default(),
            chrono_tz::UTC,
            now,
            91,
            Grouping::Week,
            Language::Ro,
        )
        .ok()
        .unwrap();
        assert_eq!(parsed.language, Language::Ro);
        let groups = group_options(Language::Zh);
        assert_eq!(groups[1], ("week", "周".to_string()));
        assert_eq!(
            by_options(Language::En)[6].1,
            "Tier (key accounts against the rest)"
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
            Language::En,
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
