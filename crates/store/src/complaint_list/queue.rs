//! The queue: the complaint list filtered, ordered and paged for staff and the API.

use super::*;

/// A page of the list, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct ComplaintListPage {
    /// The rows.
    pub rows: Vec<ComplaintListRow>,
    /// All complaints.
    pub total: i64,
}

/// Which complaints the queue shows. Every field is optional; all given must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// Status codes to include; empty means every status but closed.
    pub statuses: Vec<String>,
    /// The next step's code.
    pub step: Option<String>,
    /// Owned by this staff member.
    pub owner: Option<Uuid>,
    /// Only complaints nobody owns.
    pub unassigned: bool,
    /// Priority code.
    pub priority: Option<String>,
    /// A category's code: the complaints filed under it or under a value mapped to it
    /// (or, for text no category claims, that text).
    pub category: Option<String>,
    /// Channel code.
    pub channel: Option<String>,
    /// Text to find in the reference, customer name or email, company or summary.
    pub search: Option<String>,
    /// Only those breached (or at risk) at this moment, by the SLA read model.
    pub sla: Option<(SlaState, DateTime<Utc>)>,
    /// In one of these teams (empty: any team).
    pub teams: Vec<Uuid>,
    /// With this tag (canonical, as `redress_domain::tags::normalize` makes it).
    pub tag: Option<String>,
}

/// An SLA state the queue can be narrowed to (as the SLA dashboard counts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlaState {
    /// A clock is past due.
    Breached,
    /// Not breached, and less than the at-risk share of a clock's time is left.
    AtRisk,
}

impl SlaState {
    /// Reads `breached` or `at_risk`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "breached" => Some(SlaState::Breached),
            "at_risk" => Some(SlaState::AtRisk),
            _ => None,
        }
    }
}

/// The queue's order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueSort {
    /// Newest complaints first.
    #[default]
    Newest,
    /// Oldest complaints first.
    Oldest,
    /// Those who have waited longest to hear from us first.
    LongestSilence,
    /// Most urgent first, then oldest.
    Priority,
}

impl QueueSort {
    /// Every order, with its code.
    pub const ALL: [QueueSort; 4] = [
        QueueSort::Newest,
        QueueSort::Oldest,
        QueueSort::LongestSilence,
        QueueSort::Priority,
    ];

    /// The code used in URLs.
    pub fn code(self) -> &'static str {
        match self {
            QueueSort::Newest => "newest",
            QueueSort::Oldest => "oldest",
            QueueSort::LongestSilence => "silence",
            QueueSort::Priority => "priority",
        }
    }

    /// A label for people.
    pub fn label(self) -> &'static str {
        match self {
            QueueSort::Newest => "Newest first",
            QueueSort::Oldest => "Oldest first",
            QueueSort::LongestSilence => "Longest without news first",
            QueueSort::Priority => "Most urgent first",
        }
    }

    /// The order with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// (ORDER BY, the keyset comparison after a cursor.)
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            QueueSort::Newest => (
                "received_at DESC, reference DESC",
                "(received_at, reference) < ({t}, {r})",
            ),
            QueueSort::Oldest => (
                "received_at ASC, reference ASC",
                "(received_at, reference) > ({t}, {r})",
            ),
            QueueSort::LongestSilence => (
                "last_heard_at ASC, reference ASC",
                "(last_heard_at, reference) > ({t}, {r})",
            ),
            QueueSort::Priority => (
                "priority_rank DESC, received_at ASC, reference ASC",
                "(priority_rank < {p} OR (priority_rank = {p} AND (received_at, reference) > ({t}, {r})))",
            ),
        }
    }
}

/// Where a page of the queue ends: the next page starts after it. Travels in URLs as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCursor {
    /// The sort's time (received or last heard).
    pub at: DateTime<Utc>,
    /// The priority rank (priority order only).
    pub rank: i32,
    /// The reference, to break ties.
    pub reference: String,
}

impl QueueCursor {
    /// As text for a URL.
    pub fn encode(&self) -> String {
        format!(
            "{}~{}~{}",
            self.rank,
            self.at.timestamp_micros(),
            self.reference
        )
    }

    /// From a URL; `None` if it is not one of ours.
    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.splitn(3, '~');
        let rank = parts.next()?.parse().ok()?;
        let at = DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
        let reference = parts.next()?.to_string();
        (reference.len() <= 20).then_some(Self {
            at,
            rank,
            reference,
        })
    }
}

/// A page of the queue.
#[derive(Debug, Clone, Serialize)]
pub struct QueuePage {
    /// The rows.
    pub rows: Vec<ComplaintListRow>,
    /// How many complaints match the filter, counted up to [`COUNT_CAP`].
    pub total: i64,
    /// Whether more than [`COUNT_CAP`] match (then `total` is the cap).
    pub more_than: bool,
    /// Where the next page starts, if there is one.
    #[serde(skip)]
    pub next: Option<QueueCursor>,
}

/// The queue counts matches up to this many: an exact count of a large backlog costs a scan
/// on every page load, and "more than 1,000" says all a person needs.
pub const COUNT_CAP: i64 = 1_000;

enum Bind {
    Text(String),
    Id(Uuid),
    Time(DateTime<Utc>),
    Int(i32),
}

/// Queries over the complaint list.
#[derive(Debug, Clone)]
pub struct ComplaintList {
    pub(super) db: Database,
}

impl ComplaintList {
    /// Queries on `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// A page of the queue: filtered, sorted, starting after `after`. Keyset pagination, so
    /// page 1,000 costs what page 1 does.
    pub async fn queue(
        &self,
        filter: &QueueFilter,
        sort: QueueSort,
        after: Option<&QueueCursor>,
        limit: i64,
    ) -> Result<QueuePage, StoreError> {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let param = |binds: &mut Vec<Bind>, value: Bind| {
            binds.push(value);
            format!("${}", binds.len())
        };
        if filter.statuses.is_empty() {
            conditions.push(format!("closed = {}", bool_literal(&self.db, false)));
        } else {
            let list: Vec<String> = filter
                .statuses
                .iter()
                .map(|s| param(&mut binds, Bind::Text(s.clone())))
                .collect();
            conditions.push(format!("status IN ({})", list.join(", ")));
        }
        for (column, value) in [
            ("step", &filter.step),
            ("priority", &filter.priority),
            ("channel", &filter.channel),
        ] {
            if let Some(value) = value {
                let p = param(&mut binds, Bind::Text(value.clone()));
                conditions.push(format!("{column} = {p}"));
            }
        }
        if let Some(category) = &filter.category {
            let p = param(&mut binds, Bind::Text(category.clone()));
            conditions.push(crate::categories::matches_sql("category", &p));
        }
        if let Some(owner) = filter.owner {
            let p = param(&mut binds, Bind::Id(owner));
            conditions.push(format!("owner_id = {p}"));
        }
        if filter.unassigned {
            conditions.push("owner_id IS NULL".into());
        }
        if !filter.teams.is_empty() {
            let list: Vec<String> = filter
                .teams
                .iter()
                .map(|t| param(&mut binds, Bind::Id(*t)))
                .collect();
            conditions.push(format!("team_id IN ({})", list.join(", ")));
        }
        if let Some(tag) = &filter.tag {
            let p = param(&mut binds, Bind::Text(tag.clone()));
            conditions.push(format!(
                "reference IN (SELECT t.reference FROM complaint_tags t WHERE t.tag = {p})"
            ));
        }
        if let Some((state, now)) = filter.sla {
            // The SLA dashboard's own rules (crate::sla's dashboard).
            let n = param(&mut binds, Bind::Time(now));
            let state = match state {
                SlaState::Breached => format!("s.urgent_at <= {n}"),
                SlaState::AtRisk => format!("s.urgent_at > {n} AND s.at_risk_from <= {n}"),
            };
            conditions.push(format!(
                "reference IN (SELECT s.reference FROM sla_complaints s WHERE s.open AND {state})"
            ));
        }
        if let Some(search) = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            let lower = search.to_lowercase();
            if matches!(self.db, Database::Sqlite(_)) && lower.chars().count() >= 3 {
                // The FTS5 trigram index (migration 0009): a quoted phrase matches any
                // substring of three characters or more.
                let phrase = format!("\"{}\"", lower.replace('"', "\"\""));
                let p = param(&mut binds, Bind::Text(phrase));
                conditions.push(format!(
                    "rowid IN (SELECT rowid FROM complaint_search WHERE complaint_search MATCH {p})"
                ));
            } else {
                let escaped = lower
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                let p = param(&mut binds, Bind::Text(format!("%{escaped}%")));
                conditions.push(format!("search_text LIKE {p} ESCAPE '\\'"));
            }
        }
        let filtered = conditions.join(" AND ");
        let count_binds = binds.len();
        let (order, keyset) = sort.sql();
        let mut page_conditions = filtered.clone();
        if let Some(after) = after {
            let t = param(&mut binds, Bind::Time(after.at));
            let r = param(&mut binds, Bind::Text(after.reference.clone()));
            let p = param(&mut binds, Bind::Int(after.rank));
            let keyset = keyset
                .replace("{t}", &t)
                .replace("{r}", &r)
                .replace("{p}", &p);
            page_conditions = format!("{page_conditions} AND {keyset}");
        }
        let limit_param = param(&mut binds, Bind::Int(limit.clamp(1, 500) as i32 + 1));
        let sql = format!(
            "SELECT {COLUMNS} FROM complaint_list WHERE {page_conditions} ORDER BY {order} LIMIT {limit_param}"
        );
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM complaint_list WHERE {filtered} LIMIT {}) AS capped",
            COUNT_CAP + 1
        );
        let mut rows: Vec<ComplaintListRow> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql);
            for bind in &binds {
                query = match bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::Id(v) => query.bind(v),
                    Bind::Time(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                };
            }
            query.fetch_all(pool).await
        })?;
        let total: i64 = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_scalar(&count_sql);
            for bind in &binds[..count_binds] {
                query = match bind {
                    Bind::Text(v) => query.bind(v),
                    Bind::Id(v) => query.bind(v),
                    Bind::Time(v) => query.bind(v),
                    Bind::Int(v) => query.bind(v),
                };
            }
            query.fetch_one(pool).await
        })?;
        let limit = limit.clamp(1, 500) as usize;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|last| QueueCursor {
                at: match sort {
                    QueueSort::LongestSilence => last.last_heard_at.unwrap_or(last.received_at),
                    _ => last.received_at,
                },
                rank: last.priority_rank,
                reference: last.reference.clone(),
            })
        } else {
            None
        };
        Ok(QueuePage {
            rows,
            total: total.min(COUNT_CAP),
            more_than: total > COUNT_CAP,
            next,
        })
    }

    /// The tags in use, with how many complaints carry each, most used first.
    pub async fn tags(&self) -> Result<Vec<(String, i64)>, StoreError> {
        Ok(on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT tag, complaints FROM complaint_tag_counts WHERE complaints > 0
              ORDER BY complaints DESC, tag LIMIT 500",
            )
            .fetch_all(pool)
            .await
        })?)
    }

    /// The complaints carrying `tag`, by reference.
    pub async fn tagged(&self, tag: &str) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT reference FROM complaint_tags WHERE tag = $1 ORDER BY reference"
        )
        .bind(tag)
        .fetch_all(pool)
        .await)?)
    }

    /// The tags of each of `references`.
    pub async fn tags_of(
        &self,
        references: &[&str],
    ) -> Result<std::collections::HashMap<String, Vec<String>>, StoreError> {
        let mut tags: std::collections::HashMap<String, Vec<String>> = Default::default();
        for chunk in references.chunks(500) {
            if chunk.is_empty() {
                continue;
            }
            let placeholders = crate::db::placeholders(self.db.backend(), 1, chunk.len());
            let sql = format!(
                "SELECT reference, tag FROM complaint_tags WHERE reference IN ({placeholders})
                 ORDER BY reference, tag"
            );
            let rows: Vec<(String, String)> = on_pool!(&self.db, |pool| {
                let mut query = sqlx::query_as(&sql);
                for reference in chunk {
                    query = query.bind(*reference);
                }
                query.fetch_all(pool).await
            })?;
            for (reference, tag) in rows {
                tags.entry(reference).or_default().push(tag);
            }
        }
        Ok(tags)
    }

    /// The categories in use, for the queue's filter.
    pub async fn categories(&self) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT category FROM complaint_categories ORDER BY category LIMIT 500"
        )
        .fetch_all(pool)
        .await)?)
    }

    /// One page, newest first.
    pub async fn page(&self, offset: i64, limit: i64) -> Result<ComplaintListPage, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM complaint_list ORDER BY received_at DESC, reference LIMIT $1 OFFSET $2"
        );
        let rows: Vec<ComplaintListRow> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await)?;
        let total: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM complaint_list"
        )
        .fetch_one(pool)
        .await)?;
        Ok(ComplaintListPage { rows, total })
    }

    /// One complaint's row.
    pub async fn get(&self, reference: &str) -> Result<Option<ComplaintListRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM complaint_list WHERE reference = $1");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(reference)
            .fetch_optional(pool)
            .await)?)
    }

    /// Every row, by reference: for comparing a rebuilt projection with the live one.
    pub async fn all(&self) -> Result<Vec<ComplaintListRow>, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM complaint_list ORDER BY reference");
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .fetch_all(pool)
            .await)?)
    }

    /// The references of one customer's complaints.
    pub async fn references_of(&self, customer: CustomerId) -> Result<Vec<String>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT reference FROM complaint_list WHERE customer_id = $1 ORDER BY reference"
        )
        .bind(customer.0)
        .fetch_all(pool)
        .await)?)
    }
}
