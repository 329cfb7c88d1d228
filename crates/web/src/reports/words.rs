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

/// A message of the reports in the reader's language.
pub(super) fn say(language: Language, key: &str) -> String {
    locale::text(language, key)
}

/// A message of the reports in the reader's language, with its arguments.
pub(super) fn say_with(language: Language, key: &str, args: &[(&str, String)]) -> String {
    locale::text_with(language, key, args)
}

/// A label for a value of a breakdown.
pub(super) fn value_label(language: Language, by: &str, value: &str) -> String {
    let label = match by {
        "owner" if value.is_empty() => return say(language, "figures-no-owner"),
        "team" if value.is_empty() => return say(language, "figures-no-team"),
        "channel" => Channel::parse(value).ok().map(|c| c.label()),
        "priority" => Priority::parse(value).ok().map(|p| p.label()),
        "tier" => Tier::parse(value).ok().map(|t| t.label()),
        _ => None,
    };
    label.map_or_else(
        || {
            if value.is_empty() {
                say(language, "figures-none-value")
            } else {
                value.to_string()
            }
        },
        str::to_string,
    )
}

/// The first day of a period as its label: "02 Mar", "w/c 02 Mar", "Mar 2026" (each
/// language's month names and order).
pub(super) fn period_label(language: Language, start: NaiveDate, grouping: Grouping) -> String {
    let month = say(language, &format!("figures-month-{}", start.month()));
    let args = [
        ("day", start.format("%d").to_string()),
        ("d", start.day().to_string()),
        ("month", month),
        ("year", start.year().to_string()),
    ];
    let key = match grouping {
        Grouping::Day => "figures-period-day",
        Grouping::Week => "figures-period-week",
        Grouping::Month => "figures-period-month",
    };
    say_with(language, key, &args)
}

/// The name of a breakdown ("Owner"), as a column heads it.
pub(super) fn by_label(language: Language, by: &str) -> String {
    let key = match by {
        "owner" => "figures-by-owner",
        "team" => "figures-by-team",
        "category" => "figures-by-category",
        "channel" => "figures-by-channel",
        "priority" => "figures-by-priority",
        "tier" => "figures-by-tier",
        "company" => "figures-by-company",
        _ => "figures-by-all",
    };
    say(language, key)
}

/// "1 answer matches." / "12 answers match; the latest 10 are shown."
pub(super) fn matched_note(language: Language, total: i64, shown: i64) -> String {
    let args = [("total", total.to_string()), ("shown", shown.to_string())];
    let key = if total > shown {
        "figures-matched-more"
    } else if total == 1 {
        "figures-matched-one"
    } else {
        "figures-matched-other"
    };
    say_with(language, key, &args)
}
