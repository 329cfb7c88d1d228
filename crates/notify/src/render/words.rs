//! Dates, amounts and one-line texts the way each language writes them.

use super::*;

/// No line breaks or control characters in what goes into a header.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A date as a person writing in `lang` would write it.
pub fn long_date(date: NaiveDate, lang: Language) -> String {
    use chrono::Datelike;
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    const RO: [&str; 12] = [
        "ianuarie",
        "februarie",
        "martie",
        "aprilie",
        "mai",
        "iunie",
        "iulie",
        "august",
        "septembrie",
        "octombrie",
        "noiembrie",
        "decembrie",
    ];
    let (d, m, y) = (date.day(), date.month0() as usize, date.year());
    match lang {
        Language::En => format!("{d} {} {y}", EN[m]),
        Language::Es => format!("{d} de {} de {y}", ES[m]),
        Language::Ro => format!("{d} {} {y}", RO[m]),
        Language::Zh => format!("{y}年{}月{d}日", m + 1),
    }
}

/// Money in minor units, as written in `lang`, without its currency (see
/// [`redress_domain::Currency::format`] for amounts with theirs).
pub fn amount(cents: i64, lang: Language) -> String {
    redress_domain::money::number(cents, lang)
}

/// The language a member of staff reads their emails in: their account's choice, English
/// when they have not chosen (or the code is not one we write).
pub fn staff_language(code: Option<&str>) -> Language {
    code.and_then(|c| Language::parse(c).ok())
        .unwrap_or(Language::En)
}

/// A text of the staff's emails (`staff-emails.ftl`) in `lang`, with its arguments.
pub fn staff_text(lang: Language, key: &str, args: &[(&str, &str)]) -> String {
    let args = args
        .iter()
        .map(|(name, value)| {
            (
                std::borrow::Cow::Owned(name.to_string()),
                fluent_templates::fluent_bundle::FluentValue::from(value.to_string()),
            )
        })
        .collect();
    LOCALES.lookup_with_args(&lang_id(lang), key, &args)
}

/// Which of a text's counted forms `n` takes: `one`, `few` or `other` (Romanian says
/// "2 zile" but "20 de zile"; the other languages write `few` as `other`).
pub fn plural_form(n: u64) -> &'static str {
    match n {
        1 => "one",
        n if n == 0 || (1..=19).contains(&(n % 100)) => "few",
        _ => "other",
    }
}

/// A moment in a staff email, in its zone: English as it always was ("Tue 1 Dec 2026
/// 17:00"), the other languages with their long date and the time ("1 de diciembre de
/// 2026, 17:00"); with the zone's abbreviation after it when `zone` is set.
pub fn staff_time<Tz: chrono::TimeZone>(
    at: &chrono::DateTime<Tz>,
    lang: Language,
    zone: bool,
) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let mut text = match lang {
        Language::En => at.format("%a %-d %b %Y %H:%M").to_string(),
        Language::Zh => format!(
            "{} {}",
            long_date(at.date_naive(), lang),
            at.format("%H:%M")
        ),
        Language::Es | Language::Ro => {
            format!(
                "{}, {}",
                long_date(at.date_naive(), lang),
                at.format("%H:%M")
            )
        }
    };
    if zone {
        text.push_str(&at.format(" %Z").to_string());
    }
    text
}

/// An SLA clock's label in `lang`.
pub fn clock_label(clock: redress_domain::SlaClock, lang: Language) -> String {
    staff_text(lang, &format!("staff-clock-{}", clock.code()), &[])
}

/// A priority's label in `lang`.
pub fn priority_label(priority: redress_domain::Priority, lang: Language) -> String {
    staff_text(lang, &format!("staff-priority-{}", priority.code()), &[])
}

/// A tier's label in `lang`.
pub fn tier_label(tier: redress_domain::Tier, lang: Language) -> String {
    staff_text(lang, &format!("staff-tier-{}", tier.code()), &[])
}

/// A clock's target in words ("10 business days") in `lang`.
pub fn target_words(target: redress_domain::Target, lang: Language) -> String {
    use redress_domain::{Basis, Unit};
    let basis = match target.basis {
        Basis::Business => "business",
        Basis::Calendar => "calendar",
    };
    let unit = match target.unit {
        Unit::Minutes => "minutes",
        Unit::Hours => "hours",
        Unit::Days => "days",
        Unit::Weeks => "weeks",
    };
    let form = plural_form(u64::from(target.amount));
    staff_text(
        lang,
        &format!("staff-target-{basis}-{unit}-{form}"),
        &[("amount", &target.amount.to_string())],
    )
}

/// The target of a clock due on the date we gave the customer, in `lang` (English writes
/// the date as it always did, `2026-12-01`).
pub fn promised_date(date: NaiveDate, lang: Language) -> String {
    let date = match lang {
        Language::En => date.to_string(),
        _ => long_date(date, lang),
    };
    staff_text(lang, "staff-target-promised", &[("date", &date)])
}

/// A notification's headline in `lang`. The store writes it in English from its kind (and
/// the colleague who acted); when `headline` is exactly what it writes for `kind`, it is told
/// in `lang` instead; any other headline is kept as it is.
pub fn staff_headline(kind: &str, actor: &str, headline: &str, lang: Language) -> String {
    let Some(kind) = redress_store::NotificationKind::from_code(kind) else {
        return headline.to_string();
    };
    let english = kind.headline();
    let key = format!("staff-headline-{}", kind.code());
    if english.starts_with(char::is_uppercase) {
        if headline == english {
            return staff_text(lang, &key, &[]);
        }
    } else if !actor.is_empty() && headline == format!("{actor} {english}") {
        return staff_text(lang, &key, &[("actor", actor)]);
    }
    headline.to_string()
}
