//! Root causes: why a complaint happened, named by the codes of the list admins keep
//! (`courier-late`, `wrong-tariff`), so that the few causes that bring most complaints can be
//! found and put right. A resolved complaint names one or more; naming them again replaces
//! them. Whether a code is on the list is the store's business (the list changes; events keep
//! what was named).

use std::collections::BTreeSet;

use crate::error::ComplaintError;

/// Longest code, in characters.
pub const MAX_CODE: usize = 40;
/// Most causes one complaint names.
pub const MAX_CAUSES: usize = 5;

/// The causes as given, made canonical: trimmed, lower-cased, sorted, without repeats; refused
/// when none is left, when there are too many, or when one is not a code.
pub fn normalize(causes: &[String]) -> Result<Vec<String>, ComplaintError> {
    let mut codes = BTreeSet::new();
    for cause in causes {
        let code = cause.trim().to_lowercase();
        if code.is_empty() {
            continue;
        }
        let fine = code.chars().count() <= MAX_CODE
            && code
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !fine {
            return Err(ComplaintError::BadRootCause {
                cause: cause.chars().take(MAX_CODE + 10).collect(),
            });
        }
        codes.insert(code);
    }
    if codes.is_empty() {
        return Err(ComplaintError::NoRootCause);
    }
    if codes.len() > MAX_CAUSES {
        return Err(ComplaintError::TooManyRootCauses { max: MAX_CAUSES });
    }
    Ok(codes.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_made_canonical_and_checked() {
        let given = |c: &[&str]| normalize(&c.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            given(&[" Courier-Late ", "wrong_tariff", "courier-late", ""]).unwrap(),
            ["courier-late", "wrong_tariff"]
        );
        assert_eq!(given(&["", "  "]), Err(ComplaintError::NoRootCause));
        assert_eq!(
            given(&["a", "b", "c", "d", "e", "f"]),
            Err(ComplaintError::TooManyRootCauses { max: MAX_CAUSES })
        );
        assert!(matches!(
            given(&["late delivery"]),
            Err(ComplaintError::BadRootCause { .. })
        ));
        assert!(matches!(
            given(&[&"x".repeat(41)]),
            Err(ComplaintError::BadRootCause { .. })
        ));
    }
}
