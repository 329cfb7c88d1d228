//! Teams: who works which complaints. Admins keep the teams (name, members, managers, how
//! work is given out) and the routing rules ([`routing`]) that give every new complaint its
//! team; the complaint records the team as an event. This module is the one writer of
//! `teams`, `team_members` and `routing_rules`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::db::Database;
use crate::{StoreError, on_pool};

pub mod routing;

pub use routing::{RoutingRule, RuleField};

/// The team complaints go to when no rule routes them, created with the first database
/// (admins rename it, or make another team the default).
pub const FIRST_TEAM: Uuid = Uuid::from_u128(0x7265_6472_6573_7300_7465_616d_0000_0001);

/// Longest team name.
pub const MAX_NAME: usize = 80;

/// How a team gives out its new complaints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Someone in the team picks or assigns them.
    Manual,
    /// Each member in turn (by name), skipping those away.
    RoundRobin,
    /// The member with fewest open complaints, skipping those away.
    FewestOpen,
}

impl Assignment {
    /// Every way, in the order forms offer them.
    pub const ALL: [Assignment; 3] = [
        Assignment::Manual,
        Assignment::RoundRobin,
        Assignment::FewestOpen,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Assignment::Manual => "manual",
            Assignment::RoundRobin => "round_robin",
            Assignment::FewestOpen => "fewest_open",
        }
    }

    /// Words for admins.
    pub fn label(self) -> &'static str {
        match self {
            Assignment::Manual => "By hand",
            Assignment::RoundRobin => "Round robin",
            Assignment::FewestOpen => "Fewest open complaints",
        }
    }

    /// The way with this code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

/// One member of a team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TeamMember {
    /// Their account.
    pub account_id: Uuid,
    /// Their name.
    pub name: String,
    /// Whether they manage the team (SLA alerts for its unowned complaints go to them).
    pub manager: bool,
    /// Marked away.
    pub away: bool,
    /// Whether their account may sign in.
    pub active: bool,
}

/// A team with its members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    /// Its id (in events).
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// How it gives out new complaints.
    pub assignment: Assignment,
    /// Whether unrouted complaints go to it.
    pub is_default: bool,
    /// Its members, by name.
    pub members: Vec<TeamMember>,
}

impl Team {
    /// As events name it.
    pub fn reference(&self) -> redress_domain::TeamRef {
        redress_domain::TeamRef {
            id: self.id,
            name: self.name.clone(),
        }
    }

    /// Its managers' accounts.
    pub fn managers(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.members
            .iter()
            .filter(|m| m.manager && m.active)
            .map(|m| m.account_id)
    }
}

/// Why a change to the teams was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TeamError {
    /// No name.
    #[error("Give the team a name.")]
    NoName,
    /// Too long a name.
    #[error("The team's name is too long: at most {MAX_NAME} characters.")]
    LongName,
    /// Another team has the name.
    #[error("There is already a team called {0}; choose another name.")]
    NameTaken(String),
    /// No such team.
    #[error("There is no such team.")]
    NotFound,
    /// A member who is not an active account.
    #[error("A member chosen is not an active staff account.")]
    UnknownMember,
    /// A rule's value that its field cannot have.
    #[error("{0}")]
    BadRule(String),
}

type TeamRow = (Uuid, String, String, bool);
type MemberRow = (Uuid, Uuid, String, bool, bool, bool);

/// The teams.
#[derive(Debug, Clone)]
pub struct Teams {
    pub(crate) db: Database,
}

impl Teams {
    /// The teams in `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Makes the first team, the default, when there is none (on every start; a no-op after
    /// the first).
    pub async fn ensure_default(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO teams (id, name, assignment, is_default, created_at)
             SELECT $1, 'Complaints', 'manual', TRUE, $2
             WHERE NOT EXISTS (SELECT 1 FROM teams)"
        )
        .bind(FIRST_TEAM)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every team, by name, with its members.
    pub async fn list(&self) -> Result<Vec<Team>, StoreError> {
        let teams: Vec<TeamRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, name, assignment, is_default FROM teams ORDER BY name, id"
        )
        .fetch_all(pool)
        .await)?;
        let members: Vec<MemberRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT m.team_id, a.id, a.name, m.manager, a.away, a.active
               FROM team_members m JOIN staff_accounts a ON a.id = m.account_id
              ORDER BY a.name, a.id"
        )
        .fetch_all(pool)
        .await)?;
        teams
            .into_iter()
            .map(|(id, name, assignment, is_default)| {
                let assignment = Assignment::parse(&assignment).ok_or_else(|| {
                    StoreError::Corrupt(format!("team {id} assigns {assignment:?}"))
                })?;
                Ok(Team {
                    id,
                    name,
                    assignment,
                    is_default,
                    members: members
                        .iter()
                        .filter(|m| m.0 == id)
                        .map(|(_, account_id, name, manager, away, active)| TeamMember {
                            account_id: *account_id,
                            name: name.clone(),
                            manager: *manager,
                            away: *away,
                            active: *active,
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// One team.
    pub async fn get(&self, id: Uuid) -> Result<Option<Team>, StoreError> {
        Ok(self.list().await?.into_iter().find(|t| t.id == id))
    }

    /// The team unrouted complaints go to.
    pub async fn default_team(&self) -> Result<Option<Team>, StoreError> {
        Ok(self.list().await?.into_iter().find(|t| t.is_default))
    }

    /// The teams `account` belongs to.
    pub async fn of_member(&self, account: Uuid) -> Result<Vec<Uuid>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT team_id FROM team_members WHERE account_id = $1 ORDER BY team_id"
        )
        .bind(account)
        .fetch_all(pool)
        .await)?)
    }

    /// Creates a team; returns its id.
    pub async fn create(
        &self,
        name: &str,
        assignment: Assignment,
        now: DateTime<Utc>,
    ) -> Result<Result<Uuid, TeamError>, StoreError> {
        let name = match self.check_name(None, name).await? {
            Ok(name) => name,
            Err(refused) => return Ok(Err(refused)),
        };
        let id = Uuid::new_v4();
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO teams (id, name, assignment, is_default, created_at)
             VALUES ($1, $2, $3, FALSE, $4)"
        )
        .bind(id)
        .bind(&name)
        .bind(assignment.code())
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(Ok(id))
    }

    /// Renames a team, changes how it gives out work, and sets its members (each with whether
    /// they manage it), all at once.
    pub async fn update(
        &self,
        id: Uuid,
        name: &str,
        assignment: Assignment,
        members: &[(Uuid, bool)],
    ) -> Result<Result<(), TeamError>, StoreError> {
        if self.get(id).await?.is_none() {
            return Ok(Err(TeamError::NotFound));
        }
        let name = match self.check_name(Some(id), name).await? {
            Ok(name) => name,
            Err(refused) => return Ok(Err(refused)),
        };
        let active: Vec<Uuid> = crate::Accounts::new(self.db.clone())
            .active()
            .await?
            .into_iter()
            .map(|a| a.id)
            .collect();
        if members.iter().any(|(m, _)| !active.contains(m)) {
            return Ok(Err(TeamError::UnknownMember));
        }
        let mut tx = self.db.begin().await?;
        crate::on_db!(&mut tx, |q| sqlx::query(
            "UPDATE teams SET name = $1, assignment = $2 WHERE id = $3"
        )
        .bind(&name)
        .bind(assignment.code())
        .bind(id)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        crate::on_db!(&mut tx, |q| sqlx::query(
            "DELETE FROM team_members WHERE team_id = $1"
        )
        .bind(id)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        let mut seen = std::collections::HashSet::new();
        for (account, manager) in members {
            if !seen.insert(*account) {
                continue;
            }
            crate::on_db!(&mut tx, |q| sqlx::query(
                "INSERT INTO team_members (team_id, account_id, manager) VALUES ($1, $2, $3)"
            )
            .bind(id)
            .bind(account)
            .bind(manager)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    /// Makes `id` the team unrouted complaints go to.
    pub async fn make_default(&self, id: Uuid) -> Result<Result<(), TeamError>, StoreError> {
        if self.get(id).await?.is_none() {
            return Ok(Err(TeamError::NotFound));
        }
        let mut tx = self.db.begin().await?;
        for (sql, bind) in [
            (
                "UPDATE teams SET is_default = FALSE WHERE is_default AND id <> $1",
                id,
            ),
            ("UPDATE teams SET is_default = TRUE WHERE id = $1", id),
        ] {
            crate::on_db!(&mut tx, |q| sqlx::query(sql)
                .bind(bind)
                .execute(q)
                .await
                .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn check_name(
        &self,
        id: Option<Uuid>,
        name: &str,
    ) -> Result<Result<String, TeamError>, StoreError> {
        let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
        if name.is_empty() {
            return Ok(Err(TeamError::NoName));
        }
        if name.chars().count() > MAX_NAME {
            return Ok(Err(TeamError::LongName));
        }
        let taken = self
            .list()
            .await?
            .into_iter()
            .any(|t| Some(t.id) != id && t.name.to_lowercase() == name.to_lowercase());
        if taken {
            return Ok(Err(TeamError::NameTaken(name)));
        }
        Ok(Ok(name))
    }
}
