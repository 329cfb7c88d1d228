//! Tags: short labels staff put on complaints to find and count them ("refund", "outage-may").
//! A tag is written in lower case, without spaces at either end, so "Refund" and "refund " are
//! one tag.

use std::collections::BTreeSet;

use crate::error::ComplaintError;
use crate::events::ComplaintChange;

/// Longest tag, in characters.
pub const MAX_TAG: usize = 40;
/// Most tags on one complaint.
pub const MAX_TAGS: usize = 20;

/// A tag as staff typed it, made canonical: trimmed, lower-cased, inner runs of spaces made
/// one. Refused when empty, too long, or holding anything but letters, digits, spaces, `-`,
/// `_` and `.`.
pub fn normalize(tag: &str) -> Result<String, ComplaintError> {
    let tag = tag
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    if tag.is_empty() {
        return Err(ComplaintError::Empty { field: "The tag" });
    }
    if tag.chars().count() > MAX_TAG {
        return Err(ComplaintError::TooLong {
            field: "The tag",
            max: MAX_TAG,
        });
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.')))
    {
        return Err(ComplaintError::BadTag {
            tag,
            character: bad,
        });
    }
    Ok(tag)
}

/// Decides adding a tag to a complaint that has `tags`.
pub(crate) fn add(tags: &BTreeSet<String>, tag: &str) -> Result<ComplaintChange, ComplaintError> {
    let tag = normalize(tag)?;
    if tags.contains(&tag) {
        return Err(ComplaintError::AlreadyTagged { tag });
    }
    if tags.len() >= MAX_TAGS {
        return Err(ComplaintError::TooManyTags { max: MAX_TAGS });
    }
    Ok(ComplaintChange::TagAdded { tag })
}

/// Decides removing a tag from a complaint that has `tags`.
pub(crate) fn remove(
    tags: &BTreeSet<String>,
    tag: &str,
) -> Result<ComplaintChange, ComplaintError> {
    let tag = normalize(tag)?;
    if !tags.contains(&tag) {
        return Err(ComplaintError::NotTagged { tag });
    }
    Ok(ComplaintChange::TagRemoved { tag })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_one_whatever_their_case_and_spacing() {
        assert_eq!(normalize("  Refund   Late ").unwrap(), "refund late");
        assert_eq!(normalize("Outage-May_2026.1").unwrap(), "outage-may_2026.1");
        assert_eq!(normalize("账单").unwrap(), "账单");
    }

    #[test]
    fn empty_long_and_odd_tags_are_refused() {
        assert!(matches!(
            normalize("   "),
            Err(ComplaintError::Empty { .. })
        ));
        assert!(matches!(
            normalize(&"x".repeat(MAX_TAG + 1)),
            Err(ComplaintError::TooLong { .. })
        ));
        assert!(matches!(
            normalize("a,b"),
            Err(ComplaintError::BadTag { character: ',', .. })
        ));
    }
}
