//! The queue: the landing page after sign-in. Open complaints with their step, owner,
//! priority, age and how long the customer has gone without news; filters, search and order
//! live in the URL so a view can be bookmarked and shared; keyset pagination keeps every page
//! as fast as the first.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use redress_domain::{Channel, Priority, Step};
use redress_store::{ComplaintListRow, QueueCursor, QueueFilter, QueueSort, SlaState};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::signed::Signed;
use crate::{AppState, locale};

/// Complaints per page.
pub const PAGE_SIZE: i64 = 50;

/// The queue's URL parameters.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct QueueQuery {
    /// `active` (default: all but closed), `open`, `waiting_on_customer`, `resolved`,
    /// `closed` or `all`.
    #[serde(default)]
    pub status: Option<String>,
    /// A step code.
    #[serde(default)]
    pub step: Option<String>,
    /// `mine`, `unassigned` or a staff id.
    #[serde(default)]
    pub owner: Option<String>,
    /// A priority code.
    #[serde(default)]
    pub priority: Option<String>,
    /// A category.
    #[serde(default)]
    pub category: Option<String>,
    /// A channel code.
    #[serde(default)]
    pub channel: Option<String>,
    /// Text to search for.
    #[serde(default)]
    pub q: Option<String>,
    /// An order code.
    #[serde(default)]
    pub sort: Option<String>,
    /// Where the page starts.
    #[serde(default)]
    pub after: Option<String>,
    /// `breached` or `at_risk`: only those, now (the SLA dashboard's links to the rest).
    #[serde(default)]
    pub sla: Option<String>,
    /// `mine` (the teams I belong to; an agent's default), `all`, or a team's id.
    #[serde(default)]
    pub team: Option<String>,
    /// A tag.
    #[serde(default)]
    pub tag: Option<String>,
}

fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(String::from)
}

impl QueueQuery {
    /// The filter; `my_teams`: the teams the person belongs to.
    pub(crate) fn filter(
        &self,
        staff: &CurrentStaff,
        my_teams: &[Uuid],
        now: DateTime<Utc>,
    ) -> Result<QueueFilter, AppError> {
        let bad = |what: &str, value: &str| {
            AppError::BadForm(format!("{value:?} is not a {what} the queue knows."))
        };
        let statuses = match given(&self.status).as_deref() {
            None | Some("active") => vec![],
            Some("all") => ["open", "waiting_on_customer", "resolved", "closed"]
                .map(String::from)
                .to_vec(),
            Some(status @ ("open" | "waiting_on_customer" | "resolved" | "closed")) => {
                vec![status.to_string()]
            }
            Some(other) => return Err(bad("status", other)),
        };
        let step = given(&self.step);
        if let Some(step) = &step
            && Step::from_code(step).is_none()
        {
            return Err(bad("step", step));
        }
        let (owner, unassigned) = match given(&self.owner).as_deref() {
            None => (None, false),
            Some("mine") => (Some(staff.0.id), false),
            Some("unassigned") => (None, true),
            Some(id) => (
                Some(Uuid::parse_str(id).map_err(|_| bad("owner", id))?),
                false,
            ),
        };
        let priority = given(&self.priority);
        if let Some(p) = &priority {
            Priority::parse(p).map_err(|e| AppError::BadForm(e.to_string()))?;
        }
        let channel = given(&self.channel);
        if let Some(c) = &channel {
            Channel::parse(c).map_err(|e| AppError::BadForm(e.to_string()))?;
        }
        let sla = match given(&self.sla) {
            None => None,
            Some(code) => Some((
                SlaState::from_code(&code).ok_or_else(|| bad("service standard state", &code))?,
                now,
            )),
        };
        let teams = match self.team_choice(staff, my_teams).as_str() {
            "all" => vec![],
            "mine" => my_teams.to_vec(),
            id => vec![Uuid::parse_str(id).map_err(|_| bad("team", id))?],
        };
        let tag = match given(&self.tag) {
            None => None,
            Some(tag) => Some(
                redress_domain::tags::normalize(&tag)
                    .map_err(|e| AppError::BadForm(e.to_string()))?,
            ),
        };
        Ok(QueueFilter {
            teams,
            tag,
            sla,
            statuses,
            step,
            owner,
            unassigned,
            priority,
            category: given(&self.category),
            channel,
            search: given(&self.q).map(|q| q.chars().take(100).collect()),
        })
    }

    /// The team filter as chosen, or its default: an agent in a team sees their teams' work
    /// first; everyone else, every team.
    pub(crate) fn team_choice(&self, staff: &CurrentStaff, my_teams: &[Uuid]) -> String {
        match given(&self.team) {
            Some(choice) => choice,
            None if staff.0.role == redress_store::Role::Agent && !my_teams.is_empty() => {
                "mine".into()
            }
            None => "all".into(),
        }
    }

    /// This query as a URL query string, with `after` replaced.
    fn with_after(&self, after: Option<String>) -> String {
        let mut query = self.clone();
        query.after = after;
        let pairs: Vec<(&str, String)> = [
            ("status", &query.status),
            ("step", &query.step),
            ("owner", &query.owner),
            ("priority", &query.priority),
            ("category", &query.category),
            ("channel", &query.channel),
            ("q", &query.q),
            ("sort", &query.sort),
            ("sla", &query.sla),
            ("team", &query.team),
            ("tag", &query.tag),
            ("after", &query.after),
        ]
        .into_iter()
        .filter_map(|(k, v)| given(v).map(|v| (k, v)))
        .collect();
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// A row as the queue shows it.
#[derive(Debug, Serialize)]
pub(crate) struct QueueRow {
    #[serde(flatten)]
    row: ComplaintListRow,
    step_label: String,
    age: String,
    silence: String,
    /// Its team's name today.
    team: Option<String>,
    tags: Vec<String>,
}

/// "3 d", "5 h", "12 min": how long, for people scanning a list.
pub(crate) fn since(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let minutes = (now - then).num_minutes().max(0);
    match minutes {
        0..=59 => format!("{minutes} min"),
        60..=2879 => format!("{} h", minutes / 60),
        _ => format!("{} d", minutes / (60 * 24)),
    }
}

/// A row of a list of complaints (the queue, a company's, a customer's) in the reader's
/// words: its step, and its category's name (recorded text counts under its category).
pub(crate) fn queue_row(
    mut row: ComplaintListRow,
    now: DateTime<Utc>,
    categories: &redress_store::CategoryMap,
    language: redress_domain::Language,
) -> QueueRow {
    row.category = categories.label(&row.category, language);
    QueueRow {
        step_label: Step::from_code(&row.step).map_or_else(
            || "—".to_string(),
            |step| locale::label(language, "step", step.code(), step.label()),
        ),
        age: since(row.received_at, now),
        silence: since(row.last_heard_at.unwrap_or(row.received_at), now),
        team: None,
        tags: Vec::new(),
        row,
    }
}

/// GET /complaints
pub(crate) async fn list(
    state: web::Data<AppState>,
    me: Signed,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let mut query = query.into_inner();
    let my_teams = state.store.teams.of_member(me.staff.0.id).await?;
    let filter = query.filter(&me.staff, &my_teams, state.store.sla.now())?;
    query.team = Some(query.team_choice(&me.staff, &my_teams));
    let sort = match given(&query.sort) {
        None => QueueSort::default(),
        Some(code) => QueueSort::from_code(&code).ok_or_else(|| {
            AppError::BadForm(format!("{code:?} is not an order the queue knows."))
        })?,
    };
    let after = match given(&query.after) {
        None => None,
        Some(text) => Some(QueueCursor::decode(&text).ok_or_else(|| {
            AppError::BadForm("This page link is damaged; go back to the first page.".into())
        })?),
    };
    let page = state
        .store
        .complaint_list
        .queue(&filter, sort, after.as_ref(), PAGE_SIZE)
        .await?;
    let now = Utc::now();
    let references: Vec<&str> = page.rows.iter().map(|r| r.reference.as_str()).collect();
    let mut tags = state.store.complaint_list.tags_of(&references).await?;
    let teams = state.store.teams.list().await?;
    let map = state.store.categories.map().await?;
    let language = me.staff.language();
    let rows: Vec<QueueRow> = page
        .rows
        .into_iter()
        .map(|r| {
            let mut row = queue_row(r, now, &map, language);
            row.tags = tags.remove(&row.row.reference).unwrap_or_default();
            row.team = row
                .row
                .team_id
                .and_then(|id| teams.iter().find(|t| t.id == id))
                .map(|t| t.name.clone());
            row
        })
        .collect();
    let owners = state.store.accounts.list().await?;
    let categories = category_choices(
        &map,
        state.store.complaint_list.categories().await?,
        language,
    );
    let view = Queue {
        rows,
        total: page.total,
        more_than: page.more_than,
        first_page: after.is_none(),
        next_link: page
            .next
            .map(|cursor| format!("/complaints?{}", query.with_after(Some(cursor.encode())))),
        first_link: format!("/complaints?{}", query.with_after(None)),
        filter_query: query.with_after(None),
        bulk_limit: super::bulk::BULK_LIMIT,
        query,
        owners,
        categories,
        teams: teams.iter().map(|t| (t.id, t.name.clone())).collect(),
        has_teams: !my_teams.is_empty(),
        tags: state.store.complaint_list.tags().await?,
        steps: locale::options(language, "step", &Step::ALL.map(|s| (s.code(), s.label()))),
        priorities: locale::options(language, "priority", &Priority::options()),
        channels: locale::options(language, "channel", &Channel::options()),
        statuses: locale::options(language, "status", &STATUSES),
        sorts: locale::options(
            language,
            "sort",
            &QueueSort::ALL.map(|s| (s.code(), s.label())),
        ),
    };
    me.page(view)?.render(&state, "complaints/list.html", 200)
}

/// What a category filter offers: every managed category (by code, in the reader's words),
/// then the recorded free text no category claims yet (as itself).
pub(crate) fn category_choices(
    map: &redress_store::CategoryMap,
    recorded: Vec<String>,
    language: redress_domain::Language,
) -> Vec<(String, String)> {
    let mut choices: Vec<(String, String)> = map
        .all()
        .iter()
        .map(|c| (c.code.clone(), c.name(language).to_string()))
        .collect();
    for value in recorded {
        if map.resolve(&value).is_none() {
            choices.push((value.clone(), value));
        }
    }
    choices
}

/// What the queue's status filter offers.
const STATUSES: [(&str, &str); 6] = [
    ("active", "Not closed"),
    ("open", "Open"),
    ("waiting_on_customer", "Waiting on customer"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
    ("all", "All"),
];

/// What the queue shows: one page of rows and the filters that chose them.
#[derive(Debug, Serialize)]
struct Queue {
    rows: Vec<QueueRow>,
    /// How many match (counted up to a limit: see `more_than`).
    total: i64,
    more_than: bool,
    /// The filters as asked.
    query: QueueQuery,
    first_page: bool,
    next_link: Option<String>,
    first_link: String,
    /// The filters as a query string (for the bulk form's "every complaint matching").
    filter_query: String,
    bulk_limit: usize,
    owners: Vec<redress_store::StaffAccount>,
    /// (value, words) for the category filter.
    categories: Vec<(String, String)>,
    teams: Vec<(Uuid, String)>,
    /// Whether the person belongs to a team ("My teams" is offered).
    has_teams: bool,
    tags: Vec<(String, i64)>,
    steps: Vec<(&'static str, String)>,
    priorities: Vec<(&'static str, String)>,
    channels: Vec<(&'static str, String)>,
    statuses: Vec<(&'static str, String)>,
    sorts: Vec<(&'static str, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .to_utc();
        let ago = |minutes| since(now - chrono::Duration::minutes(minutes), now);
        assert_eq!(ago(0), "0 min");
        assert_eq!(ago(59), "59 min");
        assert_eq!(ago(60), "1 h");
        assert_eq!(ago(47 * 60), "47 h");
        assert_eq!(ago(3 * 24 * 60), "3 d");
        assert_eq!(since(now + chrono::Duration::hours(1), now), "0 min");
    }

    #[test]
    fn a_queue_link_keeps_its_filters_and_replaces_the_cursor() {
        let query = QueueQuery {
            owner: Some("mine".into()),
            q: Some("ana pop".into()),
            after: Some("old".into()),
            ..QueueQuery::default()
        };
        assert_eq!(
            query.with_after(Some("1~2~RDR".into())),
            "owner=mine&q=ana+pop&after=1%7E2%7ERDR"
        );
        assert_eq!(query.with_after(None), "owner=mine&q=ana+pop");
    }
}
