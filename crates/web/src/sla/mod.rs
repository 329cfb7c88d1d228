//! `/sla`: the SLA dashboard (every role); the policy editor and the page that explains the
//! clocks are [`policy`].
//!
//! The dashboard's filters live in its URL, so a view can be bookmarked and shared; with
//! JavaScript on, it fetches its own live part again every 30 seconds
//! (`?partial=1`: the same HTML in a small document of its own, whose body the page takes).

pub mod policy;

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use redress_domain::{Language, Priority, SlaClock, Tier};
use redress_store::sla::{DashboardRow, SlaFilter};

use crate::clocks::words;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
use crate::locale;
use crate::signed::Signed;
use crate::{AppState, viewer_zone};

/// Rows per list: the most urgent; the rest are a link away, in the queue (which pages).
const LIST_LIMIT: i64 = 10;

/// The dashboard's query: its filters.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct DashboardQuery {
    owner: Option<String>,
    category: Option<String>,
    tier: Option<String>,
    priority: Option<String>,
    /// A team's id.
    team: Option<String>,
    period: Option<String>,
    partial: Option<String>,
    /// A past moment to show the dashboard at (time travel).
    at: Option<String>,
}

/// A list line, with the time left in words.
#[derive(Debug, Serialize)]
struct Line {
    #[serde(flatten)]
    row: DashboardRow,
    clock_label: &'static str,
    left: String,
}

/// Time overdue or left, in `language`.
fn time_words(language: Language, key: &str, seconds: i64) -> String {
    locale::text_with(language, key, &[("time", words(seconds))])
}

/// Each line names its most urgent clock (`urgent`: the oldest breach, else the next due
/// time), or its next due clock.
fn lines(
    rows: Vec<DashboardRow>,
    now: DateTime<Utc>,
    urgent: bool,
    language: Language,
) -> Vec<Line> {
    rows.into_iter()
        .map(|row| {
            let clock = if urgent {
                row.urgent_clock.as_deref()
            } else {
                row.next_due_clock.as_deref()
            };
            let clock_label = clock.and_then(SlaClock::parse).map_or("", |c| c.label());
            let breached_since = if urgent { row.breached_since } else { None };
            let left = match (breached_since, row.next_due_at) {
                (Some(since), _) => {
                    time_words(language, "dash-overdue", (now - since).num_seconds())
                }
                (None, Some(due)) if due <= now => {
                    time_words(language, "dash-overdue", (now - due).num_seconds())
                }
                (None, Some(due)) => time_words(language, "dash-left", (due - now).num_seconds()),
                (None, None) => String::new(),
            };
            Line {
                row,
                clock_label,
                left,
            }
        })
        .collect()
}

fn blank(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// What the dashboard shows (its live part, and around it the filters' choices).
#[derive(Debug, Serialize)]
struct Dashboard {
    counts: redress_store::sla::StateCounts,
    /// Open complaints by team and state (none in a view of the past).
    by_team: Vec<TeamLine>,
    lists: [List; 3],
    tallies: [Tally; 4],
    periods: [i64; 4],
    period: i64,
    now: DateTime<Utc>,
    /// The filters as a query string, for the live part's own link.
    query: String,
    past: Option<DateTime<Utc>>,
    /// The moment shown, as the time-travel field takes it.
    at_local: Option<String>,
    /// Each filter's value as chosen (empty: none).
    selected: BTreeMap<&'static str, String>,
    /// The filters' choices (the whole page only).
    #[serde(flatten)]
    filters: Option<Filters>,
}

/// One team's open complaints by state, with a link to the dashboard narrowed to it.
#[derive(Debug, Serialize)]
struct TeamLine {
    name: String,
    link: Option<String>,
    breached: i64,
    at_risk: i64,
    on_track: i64,
    paused: i64,
}

/// What the dashboard's filters offer.
#[derive(Debug, Serialize)]
struct Filters {
    owners: Vec<(String, String)>,
    /// (value, words).
    categories: Vec<(String, String)>,
    tiers: Vec<(&'static str, &'static str)>,
    priorities: Vec<(&'static str, &'static str)>,
    teams: Vec<(String, String)>,
}

/// One list: breached, at risk or due today.
#[derive(Debug, Serialize)]
struct List {
    id: &'static str,
    title: String,
    note: String,
    empty: String,
    lines: Vec<Line>,
    /// "Showing the 10 most urgent of 42."
    more: Option<String>,
    /// All of them in the queue.
    queue: Option<String>,
    total: i64,
    /// How many each owner has, each a link to theirs (when the list is cut).
    owners: Vec<OwnerGroup>,
}

/// One owner's share of a list.
#[derive(Debug, Serialize)]
struct OwnerGroup {
    name: String,
    /// The complaints no one owns (`name` says so in the reader's words).
    unowned: bool,
    count: i64,
    queue: String,
}

/// Open clocks counted by one column (step, owner, category, tier).
#[derive(Debug, Serialize)]
struct Tally {
    /// The column's name, in the reader's words.
    column: String,
    rows: Vec<(String, i64)>,
}

/// The periods the dashboard can count met and missed clocks over, in days.
const PERIODS: [i64; 4] = [7, 30, 90, 365];

/// GET /sla
pub(crate) async fn dashboard(
    state: web::Data<AppState>,
    me: Signed,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, AppError> {
    let language = me.staff.language();
    let t = |key: &str| locale::text(language, key);
    let refused = |key: &str, value: &str| {
        AppError::BadForm(locale::text_with(
            language,
            key,
            &[("value", format!("{value:?}"))],
        ))
    };
    let owner = match blank(&query.owner).as_deref() {
        None => None,
        Some("none") => Some(Uuid::nil()),
        Some("me") => Some(me.staff.0.id),
        Some(id) => Some(Uuid::parse_str(id).map_err(|_| refused("dash-bad-owner", id))?),
    };
    let bad = |e: redress_domain::InvalidValue| AppError::BadForm(e.to_string());
    let tier = blank(&query.tier)
        .map(|t| Tier::parse(&t).map(|t| t.code().to_string()))
        .transpose()
        .map_err(bad)?;
    let priority = blank(&query.priority)
        .map(|p| Priority::parse(&p).map(|p| p.code().to_string()))
        .transpose()
        .map_err(bad)?;
    let period: i64 = match blank(&query.period).as_deref() {
        None => 30,
        Some(p) => p
            .parse()
            .ok()
            .filter(|d| PERIODS.contains(d))
            .ok_or_else(|| refused("dash-bad-period", p))?,
    };
    let team = blank(&query.team)
        .map(|team| uuid::Uuid::parse_str(&team).map_err(|_| refused("dash-bad-team", &team)))
        .transpose()?;
    let filter = SlaFilter {
        owner,
        category: blank(&query.category),
        tier,
        priority,
        team,
    };
    let zone = viewer_zone(&me.staff);
    let present = state.store.sla.now();
    let past = match blank(&query.at) {
        None => None,
        Some(text) => {
            let at = crate::complaints::parse_moment(&text, zone)?;
            (at < present).then_some(at)
        }
    };
    let now = past.unwrap_or(present);
    let today = now.with_timezone(&zone).date_naive();
    let midnight = |date: NaiveDate| {
        zone.from_local_datetime(&date.and_time(NaiveTime::MIN))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or(now)
    };
    let day = (midnight(today), midnight(today.succ_opt().unwrap_or(today)));
    let mut dashboard = match past {
        None => {
            state
                .store
                .sla
                .dashboard(&filter, now, day, now - Duration::days(period), LIST_LIMIT)
                .await?
        }
        Some(at) => state
            .store
            .sla
            .dashboard_at(
                &state.store.complaints,
                &filter,
                at,
                day,
                at - Duration::days(period),
                LIST_LIMIT,
            )
            .await
            .map_err(|e| match e {
                redress_store::StoreError::Config(message) => AppError::BadForm(message),
                other => other.into(),
            })?,
    };
    // Categories in the reader's words (the dashboard counts each managed category once).
    let categories = state.store.categories.map().await?;
    for row in dashboard
        .breached
        .iter_mut()
        .chain(dashboard.at_risk.iter_mut())
        .chain(dashboard.due_today.iter_mut())
    {
        row.category = categories.label(&row.category, language);
    }
    for tally in &mut dashboard.by_category {
        tally.key = categories.label(&tally.key, language);
    }
    // The queue narrowed as the dashboard is (what it can narrow by), for the rest of a list.
    let queue_owner = match blank(&query.owner).as_deref() {
        Some("none") => Some("unassigned".to_string()),
        Some("me") => Some("mine".to_string()),
        other => other.map(str::to_string),
    };
    let queue_link = |state: &str, owner: Option<String>| {
        let mut params: Vec<(&str, String)> =
            vec![("sla", state.to_string()), ("sort", "priority".into())];
        // The queue shows an agent their teams' complaints unless told otherwise.
        let team = Some(
            filter
                .team
                .map_or_else(|| "all".to_string(), |t| t.to_string()),
        );
        for (name, value) in [
            ("owner", owner),
            ("category", filter.category.clone()),
            ("priority", filter.priority.clone()),
            ("team", team),
        ] {
            if let Some(value) = value {
                params.push((name, value));
            }
        }
        format!(
            "/complaints?{}",
            serde_urlencoded::to_string(&params).unwrap_or_default()
        )
    };
    let groups = |state: &str, owners: &[redress_store::sla::OwnerCount]| {
        owners
            .iter()
            .map(|o| {
                let owner = Some(
                    o.owner_id
                        .map_or_else(|| "unassigned".to_string(), |id| id.to_string()),
                );
                OwnerGroup {
                    name: o.owner_name.clone().unwrap_or_else(|| t("dash-no-owner")),
                    unowned: o.owner_name.is_none(),
                    count: o.count,
                    queue: queue_link(state, owner),
                }
            })
            .collect::<Vec<_>>()
    };
    // Each list shows the LIST_LIMIT most urgent lines, says how many there are, and links
    // to all of them in the queue, by owner too.
    // Each list's words are `dash-{id}-title`, `-note` and `-empty`.
    let list = |id: &'static str, rows, urgent, total: i64, owners: Vec<OwnerGroup>| {
        let lines = lines(rows, now, urgent, language);
        let shown = lines.len() as i64;
        let state = (id != "due_today" && past.is_none()).then_some(id);
        let part = |part: &str| t(&format!("dash-{}-{part}", id.replace('_', "-")));
        List {
            id,
            title: part("title"),
            note: part("note"),
            empty: part("empty"),
            lines,
            more: (total > shown).then(|| {
                locale::text_with(
                    language,
                    "dash-showing",
                    &[("shown", shown.to_string()), ("total", total.to_string())],
                )
            }),
            queue: state
                .filter(|_| total > shown)
                .map(|s| queue_link(s, queue_owner.clone())),
            total,
            owners: if total > shown { owners } else { Vec::new() },
        }
    };
    let (breached_total, at_risk_total) = (dashboard.counts.breached, dashboard.counts.at_risk);
    let due_today_total = dashboard.due_today.len() as i64;
    let lists = [
        list(
            "breached",
            dashboard.breached,
            true,
            breached_total,
            groups("breached", &dashboard.breached_by_owner),
        ),
        list(
            "at_risk",
            dashboard.at_risk,
            true,
            at_risk_total,
            groups("at_risk", &dashboard.at_risk_by_owner),
        ),
        list(
            "due_today",
            dashboard.due_today,
            false,
            due_today_total,
            Vec::new(),
        ),
    ];
    let tally = |column: &str,
                 tallies: &[redress_store::sla::Tally],
                 parse: &dyn Fn(&str) -> Option<&'static str>| Tally {
        column: t(column),
        rows: tallies
            .iter()
            .map(|t| {
                let label = parse(&t.key).map_or_else(|| t.key.clone(), str::to_string);
                (label, t.count)
            })
            .collect(),
    };
    let none = |_: &str| None;
    let tallies = [
        tally("dash-col-step", &dashboard.by_clock, &|k| {
            SlaClock::parse(k).map(|c| c.label())
        }),
        tally("dash-col-owner", &dashboard.by_owner, &none),
        tally("dash-col-category", &dashboard.by_category, &none),
        tally("dash-col-tier", &dashboard.by_tier, &|k| {
            Tier::parse(k).ok().map(|t| t.label())
        }),
    ];
    let mut params: Vec<(&str, String)> = Vec::new();
    for (name, value) in [
        ("owner", blank(&query.owner)),
        ("category", filter.category.clone()),
        ("tier", filter.tier.clone()),
        ("priority", filter.priority.clone()),
        ("team", filter.team.map(|t| t.to_string())),
        ("period", blank(&query.period)),
        (
            "at",
            past.map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        ),
    ] {
        if let Some(value) = value {
            params.push((name, value));
        }
    }
    let mut selected: BTreeMap<&str, String> = [
        "owner", "category", "tier", "priority", "team", "period", "at",
    ]
    .into_iter()
    .map(|name| (name, String::new()))
    .collect();
    selected.extend(params.iter().cloned());
    let teams = state.store.teams.list().await?;
    let by_team = dashboard
        .by_team
        .iter()
        .map(|line| TeamLine {
            name: line.team_id.map_or_else(
                || t("dash-no-team"),
                |id| {
                    teams
                        .iter()
                        .find(|x| x.id == id)
                        .map_or_else(|| id.to_string(), |x| x.name.clone())
                },
            ),
            link: line.team_id.map(|id| format!("/sla?team={id}")),
            breached: line.breached,
            at_risk: line.at_risk,
            on_track: line.on_track,
            paused: line.paused,
        })
        .collect();
    let mut view = Dashboard {
        by_team,
        counts: dashboard.counts,
        lists,
        tallies,
        periods: PERIODS,
        period,
        now,
        query: serde_urlencoded::to_string(&params).unwrap_or_default(),
        past,
        at_local: past.map(|at| at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string()),
        selected,
        filters: None,
    };
    if query.partial.is_some() {
        // A document of its own (with its language and title), whose body the page takes.
        return me.page(view)?.render(&state, "sla/live_document.html", 200);
    }
    view.filters = Some(Filters {
        owners: state
            .store
            .accounts
            .active()
            .await?
            .into_iter()
            .map(|a| (a.id.to_string(), a.name))
            .collect(),
        categories: crate::complaints::queue::category_choices(
            &categories,
            state.store.complaint_list.categories().await?,
            language,
        ),
        tiers: Tier::options(),
        priorities: Priority::options(),
        teams: teams
            .iter()
            .map(|t| (t.id.to_string(), t.name.clone()))
            .collect(),
    });
    me.page(view)?.render(&state, "sla/dashboard.html", 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_s_words_are_in_every_language() {
        for language in Language::ALL {
            for id in ["breached", "at-risk", "due-today"] {
                for part in ["title", "note", "empty"] {
                    let key = format!("dash-{id}-{part}");
                    let text = locale::text(*language, &key);
                    assert!(
                        !text.is_empty() && !text.contains(&key),
                        "{language:?} {key}"
                    );
                }
            }
        }
        assert_eq!(
            locale::text(Language::En, "dash-breached-empty"),
            "Nothing is breached."
        );
        assert_eq!(
            time_words(Language::En, "dash-overdue", 7_500),
            "2 h 5 min overdue"
        );
        assert_eq!(time_words(Language::Zh, "dash-left", 600), "剩余 10 min");
    }
}
