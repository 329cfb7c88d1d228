//! The demo's teams: four teams with members and managers, the routing rules that fill them
//! (categories in four languages, key accounts first), and the tags some complaints carry.

use chrono::Utc;
use redress_domain::StaffMember;
use redress_store::Store;
use uuid::Uuid;

/// The demo's teams (besides the first, "Complaints"), how each gives out work, and the
/// people in each (after the accounts exist): (name, members with whether they manage it).
const TEAMS: [(&str, &[(usize, bool)]); 3] = [
    ("Key accounts", &[(1, true), (0, false)]),
    ("Billing", &[(0, true), (2, false), (3, false)]),
    ("Delivery", &[(2, true), (3, false)]),
];

/// The routing rules, tried in order: key accounts first, then two managed categories (a
/// complaint in any of the four languages records its category's code).
const RULES: [(redress_store::RuleField, &str, &str); 3] = {
    use redress_store::RuleField::{Category, Tier};
    [
        (Tier, "key_account", "Key accounts"),
        (Category, "billing", "Billing"),
        (Category, "delivery", "Delivery"),
    ]
};

/// Makes the demo's teams and routing rules (once; a second run finds them).
pub(crate) async fn create_teams(store: &Store) -> anyhow::Result<()> {
    let teams = &store.teams;
    if teams.list().await?.iter().any(|t| t.name == "Billing") {
        return Ok(());
    }
    for (name, _) in TEAMS {
        if let Err(refused) = teams
            .create(name, redress_store::Assignment::Manual, Utc::now())
            .await?
        {
            anyhow::bail!("the demo's team {name:?} is refused: {refused}");
        }
    }
    let made = teams.list().await?;
    for (field, value, team) in RULES {
        let id = made
            .iter()
            .find(|t| t.name == team)
            .map(|t| t.id)
            .ok_or_else(|| anyhow::anyhow!("no demo team {team:?}"))?;
        if let Err(refused) = teams.add_rule(field, value, id).await? {
            anyhow::bail!("the demo's routing rule {value:?} is refused: {refused}");
        }
    }
    Ok(())
}

/// The tags a demo complaint carries, chosen by its reference.
pub(crate) fn demo_tags(reference: &str) -> Vec<&'static str> {
    let n: usize = reference.bytes().map(usize::from).sum();
    match n % 9 {
        0 => vec!["refund"],
        1 => vec!["refund", "vip"],
        2 => vec!["outage-november"],
        3 => vec!["follow-up"],
        _ => vec![],
    }
}

/// Puts the demo `staff` who have accounts in the demo's teams (after the accounts exist).
pub(crate) async fn settle_members(store: &Store, staff: &[StaffMember]) -> anyhow::Result<()> {
    let teams = store.teams.list().await?;
    // Only the demo staff that have accounts (the demo data can be loaded without them).
    let active: Vec<Uuid> = store
        .accounts
        .active()
        .await?
        .iter()
        .map(|a| a.id)
        .collect();
    for team in &teams {
        let mut members: Vec<(Uuid, bool)> = match TEAMS.iter().find(|(name, _)| *name == team.name)
        {
            Some((_, people)) => people.iter().map(|(i, m)| (staff[*i].id, *m)).collect(),
            // The first team: everyone, the manager managing.
            None if team.is_default => staff.iter().map(|s| (s.id, s.id == staff[1].id)).collect(),
            None => continue,
        };
        members.retain(|(id, _)| active.contains(id));
        if let Err(refused) = store
            .teams
            .update(team.id, &team.name, team.assignment, &members)
            .await?
        {
            anyhow::bail!("the demo's team {:?} is refused: {refused}", team.name);
        }
    }
    Ok(())
}
