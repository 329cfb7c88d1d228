//! The rows of an import file, read into one shape whatever the source: Redress's own columns
//! (CSV with a header, or JSON lines with the same names), or a help desk's export mapped onto
//! them ([`Mapping::Zendesk`]). Each value is checked here for its form; what the complaint
//! makes of it (lengths, order of the steps) is checked by the domain when the history is built.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use redress_domain::{Channel, Language, Outcome, Priority};

/// Redress's columns, in the order the documentation lists them.
pub const COLUMNS: [&str; 19] = [
    "external_id",
    "received_at",
    "customer_name",
    "customer_email",
    "customer_phone",
    "company",
    "category",
    "channel",
    "priority",
    "language",
    "summary",
    "description",
    "owner",
    "acknowledged_at",
    "resolved_at",
    "outcome",
    "resolution",
    "redress_paid",
    "closed_at",
];

/// How a file's columns become Redress's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mapping {
    /// Redress's own columns.
    Redress,
    /// Zendesk's ticket export (Support → Reporting → export, CSV).
    Zendesk,
}

impl Mapping {
    /// The source name recorded with each imported row (external ids are unique per source).
    pub fn source(self) -> &'static str {
        match self {
            Mapping::Redress => "redress",
            Mapping::Zendesk => "zendesk",
        }
    }

    /// Zendesk's columns and the Redress column each fills.
    const ZENDESK: [(&'static str, &'static str); 14] = [
        ("Id", "external_id"),
        ("Created at", "received_at"),
        ("Requester", "customer_name"),
        ("Requester email", "customer_email"),
        ("Organization", "company"),
        ("Category", "category"),
        ("Via", "channel"),
        ("Priority", "priority"),
        ("Subject", "summary"),
        ("Description", "description"),
        ("Assignee email", "owner"),
        ("Solved at", "resolved_at"),
        ("Outcome", "outcome"),
        ("Resolution", "resolution"),
    ];

    /// A record of the file's columns as Redress's.
    fn translate(self, record: HashMap<String, String>) -> HashMap<String, String> {
        match self {
            Mapping::Redress => record,
            Mapping::Zendesk => {
                let mut out: HashMap<String, String> = Self::ZENDESK
                    .iter()
                    .filter_map(|(theirs, ours)| {
                        record.get(*theirs).map(|v| (ours.to_string(), v.clone()))
                    })
                    .collect();
                // A ticket Zendesk closed was solved first: it is closed when it was solved.
                if record
                    .get("Status")
                    .is_some_and(|s| s.eq_ignore_ascii_case("closed"))
                    && let Some(solved) = record.get("Solved at")
                {
                    out.insert("closed_at".into(), solved.clone());
                }
                if let Some(via) = out.get_mut("channel") {
                    *via = match via.trim().to_ascii_lowercase().as_str() {
                        "web form" | "web widget" | "web" => "web_form",
                        "phone call (incoming)"
                        | "phone call (outgoing)"
                        | "voicemail"
                        | "phone" => "phone",
                        "api" => "api",
                        _ => "email",
                    }
                    .to_string();
                }
                if out.get("description").is_none_or(|d| d.trim().is_empty()) {
                    let subject = out.get("summary").cloned().unwrap_or_default();
                    out.insert("description".into(), subject);
                }
                out
            }
        }
    }
}

/// One row, in Redress's shape.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Its line in the file (from 2 in a CSV with its header, from 1 in JSON lines).
    pub line: usize,
    /// Its id in the source.
    pub external_id: String,
    /// When the complaint arrived.
    pub received_at: DateTime<Utc>,
    /// The customer.
    pub customer_name: String,
    /// Their address.
    pub customer_email: Option<String>,
    /// Their phone number.
    pub customer_phone: Option<String>,
    /// Their company.
    pub company: Option<String>,
    /// A category's code or name (the domain maps it).
    pub category: String,
    /// How it arrived.
    pub channel: Channel,
    /// How urgent.
    pub priority: Priority,
    /// The customer's language.
    pub language: Language,
    /// One line.
    pub summary: String,
    /// The customer's words.
    pub description: String,
    /// The owner, by email address.
    pub owner: Option<String>,
    /// When it was acknowledged.
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// When it was decided.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The decision.
    pub outcome: Option<Outcome>,
    /// Why, and what was done.
    pub resolution: Option<String>,
    /// Money paid, in minor units.
    pub redress_paid_cents: Option<i64>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
}

/// A row refused, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// Its line.
    pub line: usize,
    /// Its id in the source, when it has one.
    pub external_id: String,
    /// What is wrong, each in words that say what to fix.
    pub problems: Vec<String>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let id = if self.external_id.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.external_id)
        };
        write!(f, "line {}{id}: {}", self.line, self.problems.join("; "))
    }
}

/// A time as exports write them: RFC 3339, `2024-05-01 10:22:33 +0000`, `2024-05-01 10:22:33`
/// or `2024-05-01 10:22` (UTC), or a date (midnight UTC).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    for format in ["%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S%z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(at.with_timezone(&Utc));
        }
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(at) = NaiveDateTime::parse_from_str(text, format) {
            return Some(at.and_utc());
        }
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc())
}

/// An amount like `24.99` (or `24,99`) in minor units.
fn parse_money(text: &str) -> Option<i64> {
    let normalised = text.trim().replace(',', ".");
    let (units, cents) = match normalised.split_once('.') {
        Some((units, cents)) if cents.len() <= 2 => (units.to_string(), format!("{cents:0<2}")),
        Some(_) => return None,
        None => (normalised.clone(), "00".to_string()),
    };
    let units: i64 = units.parse().ok()?;
    let cents: i64 = cents.parse().ok()?;
    (units >= 0).then_some(())?;
    units.checked_mul(100)?.checked_add(cents)
}

/// Reads one record (column → value) into a row, or says everything wrong with it.
pub fn read_row(
    line: usize,
    record: HashMap<String, String>,
    mapping: Mapping,
) -> Result<Row, Refusal> {
    let record = mapping.translate(record);
    let value = |name: &str| {
        record
            .get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let external_id = value("external_id").unwrap_or_default();
    let mut problems = Vec::new();
    let mut required = |name: &str| {
        value(name).unwrap_or_else(|| {
            problems.push(format!("{name} is empty; every row needs one"));
            String::new()
        })
    };
    let _ = required("external_id");
    let received_text = required("received_at");
    let customer_name = required("customer_name");
    let category = required("category");
    let summary = required("summary");
    let mut time = |name: &str, text: Option<String>| -> Option<DateTime<Utc>> {
        let text = text?;
        let parsed = parse_time(&text);
        if parsed.is_none() {
            problems.push(format!(
                "{name} {text:?} is not a time like 2024-05-01T10:22:33Z or 2024-05-01 10:22"
            ));
        }
        parsed
    };
    let received_at = time("received_at", Some(received_text).filter(|t| !t.is_empty()));
    let acknowledged_at = time("acknowledged_at", value("acknowledged_at"));
    let resolved_at = time("resolved_at", value("resolved_at"));
    let closed_at = time("closed_at", value("closed_at"));
    let choice = |name: &str, default: &str| value(name).unwrap_or_else(|| default.to_string());
    let channel_text = choice("channel", "email");
    let priority_text = choice("priority", "normal");
    let language_text = choice("language", "en");
    let channel = Channel::parse(&channel_text).map_err(|e| problems.push(format!("channel: {e}")));
    let priority =
        Priority::parse(&priority_text).map_err(|e| problems.push(format!("priority: {e}")));
    let language =
        Language::parse(&language_text).map_err(|e| problems.push(format!("language: {e}")));
    let outcome = value("outcome").and_then(|o| {
        Outcome::parse(&o)
            .map_err(|e| problems.push(format!("outcome: {e}")))
            .ok()
    });
    let redress_paid_cents = value("redress_paid").and_then(|amount| {
        let cents = parse_money(&amount);
        if cents.is_none() {
            problems.push(format!(
                "redress_paid {amount:?} is not an amount like 24.99 (0 or more)"
            ));
        }
        cents
    });
    let customer_email = value("customer_email");
    if let Some(email) = &customer_email
        && let Err(e) = redress_domain::CustomerEmail::parse(email)
    {
        problems.push(format!("customer_email: {e}"));
    }
    if resolved_at.is_some() && outcome.is_none() {
        problems.push(
            "a resolved complaint needs its outcome (upheld, partly_upheld, not_upheld)".into(),
        );
    }
    if resolved_at.is_some() && value("owner").is_none() {
        problems.push(
            "a resolved complaint needs its owner (a member of staff's address): the method \
             names one before any decision"
                .into(),
        );
    }
    if closed_at.is_some() && resolved_at.is_none() {
        problems
            .push("closed_at needs resolved_at: a complaint is decided before it is closed".into());
    }
    if let Some(received) = received_at {
        let order = [
            ("acknowledged_at", acknowledged_at),
            ("resolved_at", resolved_at),
            ("closed_at", closed_at),
        ];
        let mut last = ("received_at", received);
        for (name, at) in order {
            if let Some(at) = at {
                if at < last.1 {
                    problems.push(format!("{name} is before {}", last.0));
                }
                last = (name, at);
            }
        }
        if last.1 > Utc::now() {
            problems.push(format!("{} is in the future", last.0));
        }
    }
    match (
        problems.is_empty(),
        received_at,
        channel,
        priority,
        language,
    ) {
        (true, Some(received_at), Ok(channel), Ok(priority), Ok(language)) => Ok(Row {
            line,
            description: value("description").unwrap_or_else(|| summary.clone()),
            external_id,
            received_at,
            customer_name,
            customer_email,
            customer_phone: value("customer_phone"),
            company: value("company"),
            category,
            channel,
            priority,
            language,
            summary,
            owner: value("owner"),
            acknowledged_at,
            resolved_at,
            outcome,
            resolution: value("resolution"),
            redress_paid_cents,
            closed_at,
        }),
        _ => Err(Refusal {
            line,
            external_id,
            problems,
        }),
    }
}

/// Every record of `path`: CSV with a header (`.csv`), or one JSON object per line
/// (`.jsonl`, `.ndjson`), with the line each came from.
pub fn read_file(path: &Path) -> anyhow::Result<Vec<(usize, HashMap<String, String>)>> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match extension.as_str() {
        "csv" => {
            let mut reader = csv::ReaderBuilder::new()
                .flexible(false)
                .from_path(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let headers: Vec<String> = reader
                .headers()
                .context("the CSV file has no header row")?
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
                .collect();
            let mut records = Vec::new();
            for (i, record) in reader.records().enumerate() {
                let record = record.with_context(|| format!("line {} of the CSV file", i + 2))?;
                records.push((
                    i + 2,
                    headers
                        .iter()
                        .cloned()
                        .zip(record.iter().map(String::from))
                        .collect(),
                ));
            }
            Ok(records)
        }
        "jsonl" | "ndjson" => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let mut records = Vec::new();
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let object: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line)
                    .with_context(|| format!("line {} is not a JSON object", i + 1))?;
                records.push((
                    i + 1,
                    object
                        .into_iter()
                        .map(|(k, v)| {
                            let v = match v {
                                serde_json::Value::String(s) => s,
                                serde_json::Value::Null => String::new(),
                                other => other.to_string(),
                            };
                            (k, v)
                        })
                        .collect(),
                ));
            }
            Ok(records)
        }
        other => anyhow::bail!(
            "{} is neither .csv nor .jsonl ({other:?}); see README's \"Importing complaints\"",
            path.display()
        ),
    }
}
