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
