//! Routing: the rules, tried in order, that give a new complaint its team ("category is
//! Billing → Billing team"), and, when the team gives out work itself, the member who owns it.
//! The first rule whose field has the value wins; when none does, the default team.

use redress_domain::{Channel, Language, NewComplaint, Routing, StaffMember, Tier};
use serde::Serialize;
use uuid::Uuid;

use super::{Assignment, Team, TeamError, Teams};
use crate::categories::CategoryMap;
use crate::{StoreError, on_pool};

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleField {
    /// The category (any case).
    Category,
    /// The channel's code.
    Channel,
    /// The customer's language code.
    Language,
    /// The company's tier code.
    Tier,
    /// The company's name (any case).
    Company,
}

impl RuleField {
    /// Every field, in the order forms offer them.
    pub const ALL: [RuleField; 5] = [
        RuleField::Category,
        RuleField::Channel,
        RuleField::Language,
        RuleField::Tier,
        RuleField::Company,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            RuleField::Category => "category",
            RuleField::Channel => "channel",
            RuleField::Language => "language",
            RuleField::Tier => "tier",
            RuleField::Company => "company",
        }
    }

    /// Words for admins.
    pub fn label(self) -> &'static str {
        match self {
            RuleField::Category => "Category",
            RuleField::Channel => "Channel",
            RuleField::Language => "Language",
            RuleField::Tier => "Customer tier",
            RuleField::Company => "Company",
        }
    }

    /// The field with this code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == code)
    }

    /// A value as typed, made what the rule compares (codes checked, names trimmed).
    fn value(self, value: &str) -> Result<String, TeamError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(TeamError::BadRule(format!(
                "Say which {} the rule routes.",
                self.label().to_lowercase()
            )));
        }
        let bad = |e: redress_domain::InvalidValue| TeamError::BadRule(e.to_string());
        Ok(match self {
            RuleField::Category | RuleField::Company => value.to_string(),
            RuleField::Channel => Channel::parse(value).map_err(bad)?.code().to_string(),
            RuleField::Language => Language::parse(value).map_err(bad)?.code().to_string(),
            RuleField::Tier => Tier::parse(value).map_err(bad)?.code().to_string(),
        })
    }

    /// Whether the complaint has `value` in this field. A category rule names a category by
    /// its code, a mapped value or one of its names: it matches the complaints filed under it.
    fn matches(self, new: &NewComplaint, value: &str, categories: &CategoryMap) -> bool {
        match self {
            RuleField::Category => {
                new.category.trim().to_lowercase() == value.to_lowercase()
                    || categories
                        .accept(value)
                        .is_ok_and(|code| categories.key(&new.category) == code)
            }
            RuleField::Channel => new.channel.code() == value,
            RuleField::Language => new.customer.language.code() == value,
            RuleField::Tier => new.tier.code() == value,
            RuleField::Company => new
                .company
                .as_deref()
                .is_some_and(|c| c.trim().to_lowercase() == value.to_lowercase()),
        }
    }
}

/// One rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RoutingRule {
    /// Its id.
    pub id: Uuid,
    /// Where it stands (1 is tried first).
    pub position: i32,
    /// What it looks at.
    pub field: RuleField,
    /// The value it routes.
    pub value: String,
    /// The team it routes to.
    pub team_id: Uuid,
}

type RuleRow = (Uuid, i32, String, String, Uuid);

impl Teams {
    /// The rules, in the order they are tried.
    pub async fn rules(&self) -> Result<Vec<RoutingRule>, StoreError> {
        let rows: Vec<RuleRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
            "SELECT id, position, field, value, team_id FROM routing_rules ORDER BY position, id"
        )
        .fetch_all(pool)
        .await
        })?;
        rows.into_iter()
            .map(|(id, position, field, value, team_id)| {
                Ok(RoutingRule {
                    id,
                    position,
                    field: RuleField::parse(&field).ok_or_else(|| {
                        StoreError::Corrupt(format!("routing rule {id} looks at {field:?}"))
                    })?,
                    value,
                    team_id,
                })
            })
            .collect()
    }

    /// Adds a rule after the others.
    pub async fn add_rule(
        &self,
        field: RuleField,
        value: &str,
        team: Uuid,
    ) -> Result<Result<Uuid, TeamError>, StoreError> {
        let value = match field.value(value) {
            Ok(value) => value,
            Err(refused) => return Ok(Err(refused)),
        };
        if self.get(team).await?.is_none() {
            return Ok(Err(TeamError::NotFound));
        }
        let id = Uuid::new_v4();
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO routing_rules (id, position, field, value, team_id)
             SELECT $1, COALESCE(MAX(position), 0) + 1, $2, $3, $4 FROM routing_rules"
        )
        .bind(id)
        .bind(field.code())
        .bind(&value)
        .bind(team)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(Ok(id))
    }

    /// Removes a rule. Returns whether it existed.
    pub async fn remove_rule(&self, id: Uuid) -> Result<bool, StoreError> {
        let removed = on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM routing_rules WHERE id = $1"
        )
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(removed == 1)
    }

    /// Moves a rule one place earlier (`up`) or later. Returns whether it exists.
    pub async fn move_rule(&self, id: Uuid, up: bool) -> Result<bool, StoreError> {
        let mut rules = self.rules().await?;
        let Some(at) = rules.iter().position(|r| r.id == id) else {
            return Ok(false);
        };
        let other = if up { at.checked_sub(1) } else { Some(at + 1) };
        let Some(other) = other.filter(|o| *o < rules.len()) else {
            return Ok(true);
        };
        rules.swap(at, other);
        let mut tx = self.db.begin().await?;
        for (position, rule) in rules.iter().enumerate() {
            let position = i32::try_from(position + 1).unwrap_or(i32::MAX);
            crate::on_db!(&mut tx, |q| sqlx::query(
                "UPDATE routing_rules SET position = $1 WHERE id = $2"
            )
            .bind(position)
            .bind(rule.id)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Where a new complaint goes: the first matching rule's team, else the default team;
    /// and, when that team gives out work itself, the member who owns it. `None` when there
    /// is no team at all.
    pub async fn route(
        &self,
        new: &NewComplaint,
        categories: &CategoryMap,
    ) -> Result<Option<Routing>, StoreError> {
        let teams = self.list().await?;
        let rules = self.rules().await?;
        let chosen = rules.iter().find_map(|rule| {
            let team = teams.iter().find(|t| t.id == rule.team_id)?;
            rule.field.matches(new, &rule.value, categories).then(|| {
                (
                    team,
                    format!(
                        "Routing rule {}: {} is {}",
                        rule.position,
                        rule.field.label().to_lowercase(),
                        rule.value
                    ),
                )
            })
        });
        let (team, reason) = match chosen {
            Some(found) => found,
            None => match teams.iter().find(|t| t.is_default) {
                Some(team) => (
                    team,
                    "No routing rule matched: the default team".to_string(),
                ),
                None => return Ok(None),
            },
        };
        let owner = self.choose_owner(team).await?;
        Ok(Some(Routing {
            team: team.reference(),
            reason,
            owner,
        }))
    }

    /// The member a team gives its next complaint to: nobody for a team that assigns by
    /// hand, or when every member is away.
    async fn choose_owner(&self, team: &Team) -> Result<Option<StaffMember>, StoreError> {
        let available: Vec<&super::TeamMember> = team
            .members
            .iter()
            .filter(|m| m.active && !m.away)
            .collect();
        if available.is_empty() {
            return Ok(None);
        }
        let chosen = match team.assignment {
            Assignment::Manual => return Ok(None),
            Assignment::RoundRobin => {
                // The member after the last one given a complaint, by name; two receipts at
                // the same moment each move the turn on (a compare-and-set on it).
                let mut pick = None;
                for _ in 0..5 {
                    let last: Option<Uuid> = on_pool!(&self.db, |pool| sqlx::query_scalar(
                        "SELECT last_assigned FROM teams WHERE id = $1"
                    )
                    .bind(team.id)
                    .fetch_one(pool)
                    .await)?;
                    let next =
                        match last.and_then(|l| available.iter().position(|m| m.account_id == l)) {
                            Some(at) => available[(at + 1) % available.len()],
                            // The last one left the team or is away: the first after them by
                            // name, else the first.
                            None => available
                                .iter()
                                .find(|m| {
                                    last.is_some_and(|l| {
                                        team.members.iter().find(|x| x.account_id == l).is_some_and(
                                            |x| (&x.name, x.account_id) < (&m.name, m.account_id),
                                        )
                                    })
                                })
                                .copied()
                                .unwrap_or(available[0]),
                        };
                    if self.take_turn(team.id, last, next.account_id).await? {
                        pick = Some(next);
                        break;
                    }
                }
                pick.unwrap_or(available[0])
            }
            Assignment::FewestOpen => {
                let open = self
                    .open_counts(&available.iter().map(|m| m.account_id).collect::<Vec<_>>())
                    .await?;
                available
                    .iter()
                    .min_by_key(|m| {
                        (
                            open.get(&m.account_id).copied().unwrap_or(0),
                            &m.name,
                            m.account_id,
                        )
                    })
                    .copied()
                    .unwrap_or(available[0])
            }
        };
        Ok(Some(StaffMember {
            id: chosen.account_id,
            name: chosen.name.clone(),
        }))
    }

    /// Moves a team's turn from `last` to `next`; false when another receipt moved it first.
    async fn take_turn(
        &self,
        team: Uuid,
        last: Option<Uuid>,
        next: Uuid,
    ) -> Result<bool, StoreError> {
        let updated = on_pool!(&self.db, |pool| {
            sqlx::query(
            "UPDATE teams SET last_assigned = $1 WHERE id = $2 AND last_assigned IS NOT DISTINCT FROM $3"
        )
        .bind(next)
        .bind(team)
        .bind(last)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(updated == 1)
    }

    /// How many open complaints each of `accounts` owns.
    async fn open_counts(
        &self,
        accounts: &[Uuid],
    ) -> Result<std::collections::HashMap<Uuid, i64>, StoreError> {
        if accounts.is_empty() {
            return Ok(Default::default());
        }
        let placeholders = crate::db::placeholders(self.db.backend(), 1, accounts.len());
        let sql = format!(
            "SELECT owner_id, COUNT(*) FROM complaint_list
              WHERE owner_id IN ({placeholders}) AND status IN ('open', 'waiting_on_customer')
              GROUP BY owner_id"
        );
        let rows: Vec<(Uuid, i64)> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql);
            for account in accounts {
                query = query.bind(account);
            }
            query.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().collect())
    }
}
