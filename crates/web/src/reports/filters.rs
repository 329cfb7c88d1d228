//! A report's filters: the query string, checked, and what the page needs to show them again.

use super::*;

/// The reports' query string.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ReportQuery {
    pub(super) from: Option<String>,
    pub(super) to: Option<String>,
    pub(super) group: Option<String>,
    pub(super) by: Option<String>,
    pub(super) only: Option<String>,
    pub(super) basis: Option<String>,
    pub(super) q: Option<String>,
    pub(super) format: Option<String>,
    pub(super) table: Option<String>,
}

pub(super) fn blank(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// The filters of a report, checked, with what the page needs to show them again.
pub(super) struct Parsed {
    pub(super) filter: ReportFilter,
    pub(super) zone: Tz,
    /// The query string without format/table (for CSV links and the charts' own links).
    pub(super) query: String,
    pub(super) selected: Selected,
    /// The managed categories (a breakdown by category is read in the reader's words).
    pub(super) categories: redress_store::CategoryMap,
    /// The reader's language.
    pub(super) language: Language,
}

impl Parsed {
    /// A value of the breakdown in words.
    pub(super) fn label(&self, value: &str) -> String {
        if self.filter.by == "category" && !value.is_empty() {
            self.categories.label(value, self.language)
        } else {
            value_label(self.language, self.filter.by, value)
        }
    }
}

/// The filters as the form shows them chosen.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Selected {
    pub(super) from: String,
    pub(super) to: String,
    pub(super) group: String,
    pub(super) by: String,
    pub(super) only: String,
    pub(super) basis: String,
    pub(super) q: String,
}

/// A filter that cannot be used: the field it is in (empty: none on the form) and what to fix.
#[derive(Debug, Serialize)]
pub(super) struct Refusal {
    pub(super) field: &'static str,
    pub(super) message: String,
}

impl Refusal {
    pub(super) fn new(field: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            field,
            message: message.into(),
        }
    }
}

/// The longest range a report covers.
pub(super) const MAX_DAYS: i64 = 3 * 366;

pub(super) fn parse(
    query: &ReportQuery,
    zone: Tz,
    now: chrono::DateTime<Utc>,
    default_days: i64,
    default_group: Grouping,
    language: Language,
) -> Result<Parsed, Refusal> {
    let today = now.with_timezone(&zone).date_naive();
    let refusal = |field: &'static str, key: &str, args: &[(&str, String)]| {
        Refusal::new(field, say_with(language, key, args))
    };
    let date = |name: &'static str, value: &Option<String>, default: NaiveDate| match blank(value) {
        None => Ok(default),
        Some(written) => NaiveDate::parse_from_str(&written, "%Y-%m-%d")
            .ok()
            .filter(|d| (1970..=9999).contains(&d.year()))
            .ok_or_else(|| {
                let key = if name == "to" {
                    "figures-refusal-date-to"
                } else {
                    "figures-refusal-date-from"
                };
                refusal(name, key, &[("value", format!("{written:?}"))])
            }),
    };
    let to = date("to", &query.to, today)?;
    let from = date("from", &query.from, to - Duration::days(default_days - 1))?;
    if from > to {
        return Err(refusal(
            "from",
            "figures-refusal-swap",
            &[("from", from.to_string()), ("to", to.to_string())],
        ));
    }
    if (to - from).num_days() >= MAX_DAYS {
        return Err(refusal(
            "from",
            "figures-refusal-too-long",
            &[
                ("max", MAX_DAYS.to_string()),
                ("from", from.to_string()),
                ("to", to.to_string()),
                ("days", ((to - from).num_days() + 1).to_string()),
            ],
        ));
    }
    let grouping = match blank(&query.group) {
        None => default_group,
        Some(g) => Grouping::parse(&g).ok_or_else(|| {
            refusal(
                "group",
                "figures-refusal-group",
                &[("value", format!("{g:?}"))],
            )
        })?,
    };
    if grouping == Grouping::Day && (to - from).num_days() > 92 {
        return Err(refusal("group", "figures-refusal-day-range", &[]));
    }
    let by = match blank(&query.by) {
        None => "all",
        Some(b) => breakdown(&b)
            .ok_or_else(|| refusal("by", "figures-refusal-by", &[("value", format!("{b:?}"))]))?,
    };
    let only = blank(&query.only);
    if only.is_some() && by == "all" {
        return Err(refusal("only", "figures-refusal-only", &[]));
    }
    let basis = match blank(&query.basis).as_deref() {
        None | Some("business") => Basis::Business,
        Some("calendar") => Basis::Calendar,
        Some(b) => {
            return Err(refusal(
                "basis",
                "figures-refusal-basis",
                &[("value", format!("{b:?}"))],
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
    let selected = Selected {
        from: from.to_string(),
        to: to.to_string(),
        group: grouping.code().to_string(),
        by: by.to_string(),
        only: only.clone().unwrap_or_default(),
        basis: if basis == Basis::Business {
            "business"
        } else {
            "calendar"
        }
        .to_string(),
        q: blank(&query.q).unwrap_or_default(),
    };
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
        categories: Default::default(),
        language,
    })
}

/// The groupings the form offers: (code, words).
pub(super) fn group_options(language: Language) -> Vec<(&'static str, String)> {
    [
        ("day", "figures-group-day"),
        ("week", "figures-group-week"),
        ("month", "figures-group-month"),
    ]
    .into_iter()
    .map(|(code, key)| (code, say(language, key)))
    .collect()
}

/// The breakdowns the form offers: (code, words).
pub(super) fn by_options(language: Language) -> Vec<(&'static str, String)> {
    [
        ("all", "figures-option-all"),
        ("owner", "figures-by-owner"),
        ("team", "figures-by-team"),
        ("category", "figures-by-category"),
        ("channel", "figures-by-channel"),
        ("priority", "figures-by-priority"),
        ("tier", "figures-option-tier"),
        ("company", "figures-by-company"),
    ]
    .into_iter()
    .map(|(code, key)| (code, say(language, key)))
    .collect()
}
