//! How report figures read: durations, percentages, money, labels of periods and breakdowns.

use super::*;

/// A duration in words: minutes under two hours, else hours with one decimal.
pub(super) fn duration_words(minutes: Option<u64>) -> String {
    match minutes {
        None => "–".into(),
        Some(m) if m < 120 => format!("{m} min"),
        Some(m) => format!("{:.1} h", m as f64 / 60.0),
    }
}

pub(super) fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |p| format!("{p:.0}%"))
}

pub(super) fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, (cents % 100).abs())
}

pub(super) fn mean(volume: &Volume) -> String {
    volume
        .satisfaction()
        .map_or_else(|| "–".into(), |m| format!("{m:.2}"))
}

/// A label for a value of a breakdown.
pub(super) fn value_label(by: &str, value: &str) -> String {
    let label = match by {
        "owner" if value.is_empty() => Some("No owner"),
        "team" if value.is_empty() => Some("No team"),
        "channel" => Channel::parse(value).ok().map(|c| c.label()),
        "priority" => Priority::parse(value).ok().map(|p| p.label()),
        "tier" => Tier::parse(value).ok().map(|t| t.label()),
        _ => None,
    };
    label.map_or_else(
        || {
            if value.is_empty() {
                "(none)".into()
            } else {
                value.to_string()
            }
        },
        str::to_string,
    )
}

pub(super) fn period_label(start: NaiveDate, grouping: Grouping) -> String {
    match grouping {
        Grouping::Day => start.format("%d %b").to_string(),
        Grouping::Week => format!("w/c {}", start.format("%d %b")),
        Grouping::Month => start.format("%b %Y").to_string(),
    }
}

pub(super) fn by_label(by: &str) -> &'static str {
    match by {
        "owner" => "Owner",
        "team" => "Team",
        "category" => "Category",
        "channel" => "Channel",
        "priority" => "Priority",
        "tier" => "Tier",
        "company" => "Company",
        _ => "All",
    }
}

/// "1 answer matches." / "12 answers match; the latest 10 are shown."
pub(super) fn matched_note(total: i64, shown: i64) -> String {
    let matched = if total == 1 {
        "1 answer matches".to_string()
    } else {
        format!("{total} answers match")
    };
    if total > shown {
        format!("{matched}; the latest {shown} are shown.")
    } else {
        format!("{matched}.")
    }
}
