//! Money: amounts of redress in minor units, in the one currency an installation pays in
//! (ISO 4217), written as each language writes them ("£1,234.50", "1.234,50 €", "1.234,50 lei",
//! "¥1,234.50"). An installation has one currency, so amounts are never added across two.

use serde::{Deserialize, Serialize};

use crate::error::InvalidValue;
use crate::values::Language;

/// An ISO 4217 currency code, e.g. `GBP`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Currency(String);

impl Default for Currency {
    fn default() -> Self {
        Self("GBP".into())
    }
}

impl Currency {
    /// Checks a code: three letters (any case).
    pub fn parse(code: &str) -> Result<Self, InvalidValue> {
        let code = code.trim();
        if code.len() == 3 && code.chars().all(|c| c.is_ascii_alphabetic()) {
            Ok(Self(code.to_ascii_uppercase()))
        } else {
            Err(InvalidValue::Currency(code.chars().take(20).collect()))
        }
    }

    /// The three letters.
    pub fn code(&self) -> &str {
        &self.0
    }

    /// The sign written before or after amounts, where there is a common one.
    fn sign(&self) -> Option<&'static str> {
        Some(match self.0.as_str() {
            "GBP" => "£",
            "EUR" => "€",
            "USD" => "$",
            "CNY" | "JPY" => "¥",
            "RON" => "lei",
            _ => return None,
        })
    }

    /// `cents` (minor units) as `language` writes an amount of this currency.
    pub fn format(&self, cents: i64, language: Language) -> String {
        let number = number(cents, language);
        match (self.sign(), language) {
            // English and Chinese put a one-character sign before the number…
            (Some(sign), Language::En | Language::Zh) if sign.chars().count() == 1 => {
                match number.strip_prefix('-') {
                    Some(positive) => format!("-{sign}{positive}"),
                    None => format!("{sign}{number}"),
                }
            }
            // …Spanish and Romanian after it, as they do any sign (and "lei" everywhere).
            (Some(sign), _) => format!("{number} {sign}"),
            (None, _) => format!("{number} {}", self.0),
        }
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `cents` as `language` writes a number with two decimals: thousands grouped with `,` and a
/// decimal point in English and Chinese; grouped with `.` and a decimal comma in Spanish and
/// Romanian.
pub fn number(cents: i64, language: Language) -> String {
    let whole = (cents / 100).abs();
    let minor = (cents % 100).abs();
    let (group, decimal) = match language {
        Language::En | Language::Zh => (',', '.'),
        Language::Es | Language::Ro => ('.', ','),
    };
    let digits = whole.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{grouped}{decimal}{minor:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_read_as_each_language_writes_them_in_the_installations_currency() {
        let gbp = Currency::default();
        assert_eq!(gbp.format(123_450, Language::En), "£1,234.50");
        assert_eq!(gbp.format(499, Language::Ro), "4,99 £");
        let eur = Currency::parse("eur").unwrap();
        assert_eq!(eur.format(123_450, Language::Es), "1.234,50 €");
        assert_eq!(eur.format(-500, Language::En), "-€5.00");
        let ron = Currency::parse("RON").unwrap();
        assert_eq!(ron.format(14_900, Language::Ro), "149,00 lei");
        assert_eq!(ron.format(14_900, Language::En), "149.00 lei");
        assert_eq!(
            Currency::parse("CNY").unwrap().format(5, Language::Zh),
            "¥0.05"
        );
        assert_eq!(
            Currency::parse("CHF").unwrap().format(1000, Language::En),
            "10.00 CHF"
        );
        for bad in ["", "£", "EURO", "12A", "G B"] {
            assert!(Currency::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(number(12_345_678, Language::En), "123,456.78");
        assert_eq!(number(12_345_678, Language::Ro), "123.456,78");
    }
}
