//! Teams: every complaint belongs to one from its receipt. Which team, and who in it owns the
//! complaint, is decided by the store's routing rules and written down here as events, so the
//! history shows every change of team and time travel sees the team a complaint had then.

use crate::error::ComplaintError;
use crate::events::ComplaintChange;
use crate::values::StaffMember;
pub use crate::values::TeamRef;

/// Where a new complaint goes: its team, why, and (when the team assigns automatically) its
/// owner. The store's routing decides it; the complaint records it with its receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routing {
    /// The team.
    pub team: TeamRef,
    /// Why this team ("rule 2: category is Billing", "no rule matched: the default team").
    pub reason: String,
    /// The member chosen to own it, when the team assigns automatically.
    pub owner: Option<StaffMember>,
}

/// Longest reason for a change of team.
pub const MAX_REASON: usize = 500;

impl Routing {
    /// The changes a receipt records after `ComplaintReceived`: the team, then the owner.
    pub(crate) fn changes(self) -> Vec<ComplaintChange> {
        let mut changes = vec![ComplaintChange::TeamChanged {
            team: self.team,
            previous: None,
            reason: self.reason,
        }];
        if let Some(owner) = self.owner {
            changes.push(ComplaintChange::OwnerAssigned {
                owner,
                previous: None,
            });
        }
        changes
    }
}

/// Decides a change of team (its `reason` already checked): refused when it is the team the
/// complaint already has.
pub(crate) fn change_team(
    current: Option<&TeamRef>,
    team: TeamRef,
    reason: String,
) -> Result<ComplaintChange, ComplaintError> {
    if current.is_some_and(|c| c.id == team.id) {
        return Err(ComplaintError::SameTeam { name: team.name });
    }
    Ok(ComplaintChange::TeamChanged {
        team,
        previous: current.cloned(),
        reason,
    })
}
