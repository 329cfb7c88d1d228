//! Placeholders in saved replies: `{{customer_name}}`, `{{reference}}`, … filled from the
//! complaint when an agent inserts a saved reply. Filling is plain substitution of known
//! names: nothing a person typed is ever evaluated, and a saved reply naming a placeholder
//! that does not exist is refused when it is saved.

use std::collections::BTreeMap;

/// The placeholders, and what each stands for (for the admins' page).
pub const PLACEHOLDERS: [(&str, &str); 6] = [
    ("customer_name", "the customer's name"),
    ("reference", "the complaint's reference"),
    ("owner", "the name of the person responsible"),
    ("commitment", "what we committed to do"),
    ("commitment_date", "the date we committed to do it by"),
    (
        "next_update_date",
        "the date of the next update we promised",
    ),
];

/// Why a saved reply's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlaceholderError {
    /// A name that is not a placeholder.
    #[error(
        "{{{{{0}}}}} is not a placeholder; use one of {{{{customer_name}}}}, {{{{reference}}}}, {{{{owner}}}}, {{{{commitment}}}}, {{{{commitment_date}}}}, {{{{next_update_date}}}}."
    )]
    Unknown(String),
    /// `{{` without its `}}`.
    #[error("A placeholder is opened with {{{{ but not closed with }}}}: \"{0}\".")]
    Unclosed(String),
}

/// One piece of a saved reply: text as written, or a placeholder's name.
enum Piece<'a> {
    Text(&'a str),
    Placeholder(&'a str),
}

fn pieces(text: &str) -> Result<Vec<Piece<'_>>, PlaceholderError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push(Piece::Text(&rest[..start]));
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err(PlaceholderError::Unclosed(
                rest[start..].chars().take(30).collect(),
            ));
        };
        let name = after[..end].trim();
        if !PLACEHOLDERS.iter().any(|(known, _)| *known == name) {
            return Err(PlaceholderError::Unknown(name.chars().take(40).collect()));
        }
        out.push(Piece::Placeholder(name));
        rest = &after[end + 2..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// Checks a saved reply's text: every `{{…}}` names a known placeholder.
pub fn check(text: &str) -> Result<(), PlaceholderError> {
    pieces(text).map(|_| ())
}

/// Fills a saved reply's placeholders from `values` (by name); a value not known for this
/// complaint (no owner yet, no commitment) is left as an empty string. Text that fails
/// [`check`] is returned as it is.
pub fn fill(text: &str, values: &BTreeMap<&str, String>) -> String {
    let Ok(pieces) = pieces(text) else {
        return text.to_string();
    };
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.to_string(),
            Piece::Placeholder(name) => values.get(name).cloned().unwrap_or_default(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_nothing_else_is_touched() {
        let values = BTreeMap::from([
            ("customer_name", "Ana Pop".to_string()),
            ("reference", "RDR-7KX4-9PQM".to_string()),
            ("owner", "{{reference}}".to_string()),
        ]);
        assert_eq!(
            fill(
                "Dear {{customer_name}}, about {{ reference }} ({{owner}}): {{commitment}}. {x}",
                &values
            ),
            "Dear Ana Pop, about RDR-7KX4-9PQM ({{reference}}): . {x}"
        );
    }

    #[test]
    fn an_unknown_or_unclosed_placeholder_is_refused() {
        assert_eq!(
            check("Hello {{name}}"),
            Err(PlaceholderError::Unknown("name".into()))
        );
        assert_eq!(
            check("Hello {{name}}").unwrap_err().to_string(),
            "{{name}} is not a placeholder; use one of {{customer_name}}, {{reference}}, {{owner}}, {{commitment}}, {{commitment_date}}, {{next_update_date}}."
        );
        assert!(matches!(
            check("Hello {{customer_name"),
            Err(PlaceholderError::Unclosed(_))
        ));
        assert_eq!(check("No placeholders; {single} braces are fine."), Ok(()));
    }
}
