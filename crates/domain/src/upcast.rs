//! Events whose shape changed, read in their current shape. The event log is never rewritten:
//! an event keeps the `event_version` it was written with, and every reader (the aggregate's
//! loads through cqrs-es, the projectors, the pages) turns older shapes into today's here.
//!
//! | event | version | change |
//! |---|---|---|
//! | `CustomerStatementRecorded` | 2 (December 2026) | `shared` added; older records were never shown to the customer as ours: `false` |
//! | `ComplaintResolved` | 2 (December 2026) | `decisions` per point of complaint added; older complaints had no points: `[]` |
//!
//! Every other event is at version 1. A version newer than this code knows is refused (an
//! older binary reading a newer database), never guessed at.

use cqrs_es::persist::{EventUpcaster, SerializedEvent};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The version events are written with when their shape never changed (the first version
/// of every kind of event).
pub const EVENT_VERSION: &str = "1";

/// One change of an event's shape.
struct Change {
    /// The event's name.
    event_type: &'static str,
    /// The version it changes from.
    from: &'static str,
    /// The version it changes to.
    to: &'static str,
    /// Turns the change's fields (the object under `change.{event_type}`) from `from` to `to`.
    upcast: fn(&mut serde_json::Map<String, Value>),
}

const CHANGES: &[Change] = &[
    Change {
        event_type: "CustomerStatementRecorded",
        from: "1",
        to: "2",
        upcast: |fields| {
            fields.insert("shared".into(), Value::Bool(false));
        },
    },
    Change {
        event_type: "ComplaintResolved",
        from: "1",
        to: "2",
        upcast: |fields| {
            fields.insert("decisions".into(), Value::Array(Vec::new()));
        },
    },
];

/// Why a stored event could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Written by a newer Redress, or damaged.
    #[error("{event_type} version {version:?} is not one this Redress knows (newest: {current})")]
    UnknownVersion {
        /// The event's name.
        event_type: String,
        /// Its version.
        version: String,
        /// The newest this code knows.
        current: &'static str,
    },
    /// The payload does not have the event's shape.
    #[error("{event_type} version {version}: {message}")]
    Shape {
        /// The event's name.
        event_type: String,
        /// Its version.
        version: String,
        /// What is wrong.
        message: String,
    },
}

/// The version events of this type are written with today.
pub fn current_version(event_type: &str) -> &'static str {
    let mut version = EVENT_VERSION;
    while let Some(change) = CHANGES
        .iter()
        .find(|c| c.event_type == event_type && c.from == version)
    {
        version = change.to;
    }
    version
}

/// Brings a payload of `version` up to today's shape; `Err` for a version this code does not
/// know.
pub fn upcast_payload(
    event_type: &str,
    version: &str,
    payload: &mut Value,
) -> Result<(), ReadError> {
    let current = current_version(event_type);
    let mut at = version.to_string();
    while at != current {
        let Some(change) = CHANGES
            .iter()
            .find(|c| c.event_type == event_type && c.from == at)
        else {
            return Err(ReadError::UnknownVersion {
                event_type: event_type.to_string(),
                version: version.to_string(),
                current,
            });
        };
        let fields = payload
            .get_mut("change")
            .and_then(|c| c.get_mut(event_type))
            .and_then(Value::as_object_mut)
            .ok_or_else(|| ReadError::Shape {
                event_type: event_type.to_string(),
                version: at.clone(),
                message: format!("no change.{event_type} object"),
            })?;
        (change.upcast)(fields);
        at = change.to.to_string();
    }
    Ok(())
}

/// Reads a stored event of any known version (as a `ComplaintEvent`; generic so that this
/// module, which the events ask for their version, need not know them).
pub fn read<T: DeserializeOwned>(
    event_type: &str,
    version: &str,
    payload: &str,
) -> Result<T, ReadError> {
    let shape = |message: String| ReadError::Shape {
        event_type: event_type.to_string(),
        version: version.to_string(),
        message,
    };
    if version == current_version(event_type) {
        return serde_json::from_str(payload).map_err(|e| shape(e.to_string()));
    }
    let mut value: Value = serde_json::from_str(payload).map_err(|e| shape(e.to_string()))?;
    upcast_payload(event_type, version, &mut value)?;
    serde_json::from_value(value).map_err(|e| shape(e.to_string()))
}

/// The same changes for cqrs-es, which loads a complaint's events to decide a command.
#[derive(Debug, Default, Clone, Copy)]
pub struct Upcaster;

impl EventUpcaster for Upcaster {
    fn can_upcast(&self, event_type: &str, event_version: &str) -> bool {
        CHANGES
            .iter()
            .any(|c| c.event_type == event_type && c.from == event_version)
    }

    fn upcast(&self, mut event: SerializedEvent) -> SerializedEvent {
        // `can_upcast` said yes, so the version is known; a payload without the event's
        // object is left as it is, and fails to deserialize with its own message.
        if upcast_payload(&event.event_type, &event.event_version, &mut event.payload).is_ok() {
            event.event_version = current_version(&event.event_type).to_string();
        }
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_that_changed_shape_are_at_their_new_version_and_others_at_one() {
        assert_eq!(current_version("ComplaintResolved"), "2");
        assert_eq!(current_version("CustomerStatementRecorded"), "2");
        assert_eq!(current_version("ComplaintAcknowledged"), "1");
        assert_eq!(current_version("ReplySent"), "1");
    }

    #[test]
    fn a_resolution_of_version_one_reads_with_no_decisions() {
        let v1 = r#"{"occurred_at":"2026-11-02T09:00:00Z","by":{"kind":"customer"},
            "change":{"ComplaintResolved":{"outcome":"upheld","reasons":"Yes.","remedy":null,
            "redress_paid_cents":null}}}"#;
        let event: crate::ComplaintEvent = read("ComplaintResolved", "1", v1).unwrap();
        let crate::ComplaintChange::ComplaintResolved { decisions, .. } = event.change else {
            panic!("not a resolution");
        };
        assert!(decisions.is_empty());
        // Version 1 is not today's shape: read as if it were, it is refused.
        assert!(read::<crate::ComplaintEvent>("ComplaintResolved", "2", v1).is_err());
    }

    #[test]
    fn a_version_from_the_future_is_refused_not_guessed() {
        let error = read::<crate::ComplaintEvent>("ComplaintResolved", "3", "{}").unwrap_err();
        assert!(matches!(error, ReadError::UnknownVersion { .. }), "{error}");
        assert!(!Upcaster.can_upcast("ComplaintResolved", "3"));
        assert!(Upcaster.can_upcast("ComplaintResolved", "1"));
    }
}
