//! Complaints in relation to one another: a duplicate merged into the complaint that carries
//! on (the survivor), and related complaints linked. The store names the other complaint and
//! says whether it is open; these decide what each side records.

use std::collections::BTreeSet;

use crate::error::ComplaintError;
use crate::events::ComplaintChange;
use crate::values::Reference;

/// Decides merging the complaint `this` into `survivor` (whose openness the store read).
pub(crate) fn merge_into(
    this: Option<&Reference>,
    survivor: Reference,
    survivor_open: bool,
) -> Result<ComplaintChange, ComplaintError> {
    if this == Some(&survivor) {
        return Err(ComplaintError::SameComplaint);
    }
    if !survivor_open {
        return Err(ComplaintError::MergeIntoClosed {
            reference: survivor.to_string(),
        });
    }
    Ok(ComplaintChange::MergedInto { survivor })
}

/// Decides the survivor `this` (holding `duplicates`) taking in `duplicate`.
pub(crate) fn take_in(
    this: Option<&Reference>,
    duplicates: &BTreeSet<String>,
    duplicate: Reference,
) -> Result<ComplaintChange, ComplaintError> {
    if this == Some(&duplicate) {
        return Err(ComplaintError::SameComplaint);
    }
    if duplicates.contains(duplicate.as_str()) {
        return Err(ComplaintError::AlreadyMerged {
            reference: duplicate.to_string(),
        });
    }
    Ok(ComplaintChange::DuplicateMerged { duplicate })
}

/// Decides linking `this` (holding `links`) with `other`.
pub(crate) fn link(
    this: Option<&Reference>,
    links: &BTreeSet<String>,
    other: Reference,
) -> Result<ComplaintChange, ComplaintError> {
    if this == Some(&other) {
        return Err(ComplaintError::SameComplaint);
    }
    if links.contains(other.as_str()) {
        return Err(ComplaintError::AlreadyLinked {
            reference: other.to_string(),
        });
    }
    Ok(ComplaintChange::ComplaintLinked { other })
}
