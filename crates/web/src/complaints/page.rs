//! One complaint on one page: the six steps, the customer, the conversation, a form for each
//! action the complaint accepts now, the SLA clocks and the timeline, now or as it stood at a
//! past moment.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use redress_domain::{
    ActionKind, Channel, CompanyId, Complaint, ComplaintChange, ComplaintEvent, Direction, Outcome,
    Priority, Reference, StaffMember,
};
use serde::{Deserialize, Serialize};

use super::conversation::{self, Composer};
use super::steps::steps;
use super::timeline::{EmailStatus, TimelineEntry, opener_for, timeline};
use crate::auth::CurrentStaff;
use crate::error::AppError;
use crate::page::Page;
use crate::{AppState, locale};

/// Actions staff are never offered on the page: erasure goes through the customer's file,
/// which also deletes their key.
/// Actions staff are never offered in the list of actions: erasure goes through the
/// customer's file (which also deletes their key), a customer's files come from the
/// customer, and replies and notes have the composer of their own.
pub(crate) const NOT_ON_THE_PAGE: &[ActionKind] = &[
    ActionKind::ErasePersonalData,
    ActionKind::AttachFiles,
    ActionKind::SendReply,
    ActionKind::AddInternalNote,
];

/// The customer, opened from the seals (or marked erased).
#[derive(Debug, Serialize)]
struct CustomerView {
    name: String,
    /// None: the customer gave no address (nothing is emailed to them).
    email: Option<String>,
    phone: Option<String>,
    erased: bool,
}

/// An action the complaint accepts now.
#[derive(Debug, Serialize)]
struct ActionView {
    code: &'static str,
    label: String,
}

/// A form shown again with the agent's text: refused (with its reason), or with a saved
/// reply inserted (no error).
#[derive(Debug, Default, Serialize)]
pub(crate) struct FailedForm {
    pub(crate) code: String,
    pub(crate) error: String,
    pub(crate) values: BTreeMap<String, String>,
}

/// What the complaint's receipt said (opened from the seals).
#[derive(Debug, Serialize)]
struct Received {
    language: &'static str,
    company: Option<String>,
    company_id: Option<uuid::Uuid>,
    tier: String,
    customer_id: uuid::Uuid,
    channel: String,
    /// The category now (after any change of category), in the reader's words.
    category: String,
    /// What the complaint records of it now: a code, or free text from before the list.
    category_code: String,
    /// The category it arrived with, in the reader's words.
    original_category: String,
    summary: String,
    description: String,
    remedy_requested: Option<String>,
    received_at: DateTime<Utc>,
    received_by: String,
}

/// What the complaint page shows, now or at a past moment.
#[derive(Debug, Serialize)]
struct ComplaintPage {
    reference: String,
    customer: CustomerView,
    received: Received,
    /// The six steps, each done, current or to come.
    steps: Vec<super::steps::StepView>,
    status: &'static str,
    step_label: String,
    priority: &'static str,
    owner: Option<StaffMember>,
    /// Its team, as the events name it (then, in the past).
    team: Option<redress_domain::TeamRef>,
    tags: Vec<String>,
    /// Merged into, duplicates taken in, links.
    related: super::related::Related,
    outcome: Option<String>,
    /// The actions it accepts now (none in the past).
    actions: Vec<ActionView>,
    /// The reply and note composer (none in the past).
    composer: Option<Composer>,
    /// The points of complaint as recorded, and what a refused decision said of each.
    points: Option<conversation::PointsView>,
    point_values: Vec<[String; 2]>,
    oldest_first: bool,
    failing_emails: usize,
    /// A refused form shown again (empty when none).
    failed: FailedForm,
    /// Who can be made owner: the complaint's team first (`.1`: in its team).
    owners: Vec<(StaffMember, bool)>,
    /// Every team, for moving it.
    teams: Vec<(uuid::Uuid, String)>,
    /// Tags in use, offered as one is typed.
    known_tags: Vec<String>,
    /// The root causes offered (code, name, grouped under its category), and those it names.
    root_causes: Vec<(String, String, bool)>,
    named_causes: Vec<String>,
    /// The categories offered (code, words).
    categories: Vec<(String, String)>,
    channels: Vec<(&'static str, String)>,
    priorities: Vec<(&'static str, String)>,
    outcomes: Vec<(&'static str, String)>,
    directions: Vec<(&'static str, String)>,
    /// Today in the viewer's zone (the date fields' default).
    today: String,
    erased: bool,
    /// The moment shown, when it is not now (time travel).
    past: Option<DateTime<Utc>>,
    at_query: Option<String>,
    received_local: String,
    at_local: Option<String>,
    sla: Option<super::sla_view::SlaView>,
    breaches: Vec<super::sla_view::BreachView>,
    timeline: Vec<TimelineEntry>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct PageQuery {
    order: Option<String>,
    resubmitted: Option<String>,
    /// A past moment to show the complaint at (time travel).
    at: Option<String>,
}

/// Reads a moment: RFC 3339 (`2026-03-02T10:15:00Z`), or a local date and time as a
/// `datetime-local` field sends it (`2026-03-02T10:15`, in `zone`).
pub(crate) fn parse_moment(text: &str, zone: chrono_tz::Tz) -> Result<DateTime<Utc>, AppError> {
    use chrono::TimeZone;
    let text = text.trim();
    use chrono::Datelike;
    let sane = |year: i32| (1970..=9999).contains(&year);
    if let Ok(at) = DateTime::parse_from_rfc3339(text)
        && sane(at.year())
    {
        return Ok(at.to_utc());
    }
    for format in ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"] {
        if let Ok(local) = chrono::NaiveDateTime::parse_from_str(text, format)
            && sane(local.year())
        {
            return zone
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| {
                    AppError::BadForm(format!(
                        "{text} does not exist in {} (the clocks went forward); choose another time.",
                        zone.name()
                    ))
                });
        }
    }
    Err(AppError::BadForm(format!(
        "{text:?} is not a moment; give a date and time like 2026-03-02T10:15."
    )))
}

pub(crate) async fn load(
    state: &AppState,
    reference: &str,
) -> Result<(Reference, Vec<ComplaintEvent>, Complaint), AppError> {
    let reference = Reference::parse(reference).map_err(|_| AppError::NotFound)?;
    let events = state.store.complaints.events_of(&reference).await?;
    if events.is_empty() {
        return Err(AppError::NotFound);
    }
    let complaint = Complaint::from_events(&events);
    Ok((reference, events, complaint))
}

#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a different thing the caller holds; a struct for one call would only rename them"
)]
pub(crate) async fn render_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    reference: &str,
    oldest_first: bool,
    failed: Option<FailedForm>,
    status: u16,
    past: Option<DateTime<Utc>>,
) -> Result<HttpResponse, AppError> {
    let (reference, mut events, mut complaint) = load(state, reference).await?;
    if let Some(at) = past {
        // Time travel: the complaint as its events up to that moment made it.
        let received = events[0].occurred_at;
        events.retain(|e| e.occurred_at <= at);
        if events.is_empty() {
            let moment = |at: DateTime<Utc>| {
                at.with_timezone(&crate::viewer_zone(staff))
                    .format("%Y-%m-%d %H:%M %Z")
                    .to_string()
            };
            return Err(AppError::BadForm(locale::text_with(
                staff.language(),
                "note-not-arrived-yet",
                &[
                    ("reference", reference.to_string()),
                    ("at", moment(at)),
                    ("received", moment(received)),
                ],
            )));
        }
        complaint = Complaint::from_events(&events);
    }
    let customer = complaint
        .customer()
        .ok_or_else(|| AppError::Internal("a received complaint without a customer".into()))?;
    let opener = opener_for(state, customer).await?;
    let category_map = state.store.categories.map().await?;
    let reader = staff.language();
    let (customer_view, received) = match &events[0].change {
        ComplaintChange::ComplaintReceived {
            customer: sealed,
            language,
            company,
            channel,
            category,
            summary,
            description,
            remedy_requested,
            ..
        } => (
            CustomerView {
                name: opener.open(&sealed.name),
                email: sealed.email.as_ref().map(|e| opener.open(e)),
                phone: sealed.phone.as_ref().map(|p| opener.open(p)),
                erased: opener.key.is_none() || complaint.personal_data_erased(),
            },
            Received {
                language: language.label(),
                company: company.clone(),
                company_id: company.as_deref().map(|c| CompanyId::for_name(c).0),
                tier: locale::label(
                    reader,
                    "tier",
                    complaint.tier().code(),
                    complaint.tier().label(),
                ),
                customer_id: customer.0,
                channel: locale::label(reader, "channel", channel.code(), channel.label()),
                category: category_map.label(complaint.category(), reader),
                category_code: category_map.key(complaint.category()).to_string(),
                original_category: category_map.label(category, reader),
                summary: summary.clone(),
                description: opener.open(description),
                remedy_requested: remedy_requested.as_ref().map(|r| opener.open(r)),
                received_at: events[0].occurred_at,
                received_by: events[0].by.display_name().to_string(),
            },
        ),
        _ => {
            return Err(AppError::Internal(
                "the first event is not a receipt".into(),
            ));
        }
    };
    let mut timeline: Vec<TimelineEntry> = timeline(&events, &opener, reader, &category_map);
    let mut failing_emails = 0;
    for row in state.store.outbox.of_complaint(reference.as_str()).await? {
        // The timeline shows the customer's emails; alerts and notifications went to staff.
        if redress_store::EmailKind::from_code(&row.kind).is_none_or(|k| k.is_for_staff()) {
            continue;
        }
        let mut email = EmailStatus::of(row, reader);
        if let Some(at) = past {
            email.as_at(at);
        }
        failing_emails += usize::from(email.failing);
        let sequence = email
            .id
            .split('.')
            .nth(1)
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(entry) = sequence.and_then(|n| timeline.get_mut(n.wrapping_sub(1))) {
            entry.email = Some(email);
        }
    }
    if !oldest_first {
        timeline.reverse();
    }
    let failed = failed.unwrap_or_default();
    // Nothing can be done in the past.
    let mut kinds = if past.is_some() {
        Vec::new()
    } else {
        complaint.allowed_actions()
    };
    // A refused action stays on the page, with its reason and the agent's text, even when
    // the complaint does not offer it now.
    if let Some(kind) = ActionKind::from_code(&failed.code)
        && !kinds.contains(&kind)
    {
        kinds.insert(0, kind);
    }
    let actions: Vec<ActionView> = kinds
        .into_iter()
        .filter(|kind| !NOT_ON_THE_PAGE.contains(kind))
        .map(|kind| ActionView {
            code: kind.code(),
            label: locale::label(staff.language(), "action", kind.code(), kind.label()),
        })
        .collect();
    let teams = state.store.teams.list().await?;
    let in_team: Vec<uuid::Uuid> = complaint
        .team()
        .and_then(|t| teams.iter().find(|x| x.id == t.id))
        .map(|t| t.members.iter().map(|m| m.account_id).collect())
        .unwrap_or_default();
    let mut owners: Vec<(StaffMember, bool)> = state
        .store
        .accounts
        .active()
        .await?
        .into_iter()
        .map(|a| {
            let member = in_team.contains(&a.id);
            (a.member(), member)
        })
        .collect();
    owners.sort_by_key(|(_, member)| !member);
    let composer: Option<Composer> = if past.is_some() {
        None
    } else {
        Some(conversation::composer(state, &events, &complaint, &opener).await?)
    };
    let points = conversation::points(&events, &opener);
    // What a refused decision said of each point, to show it again.
    let point_values: Vec<[String; 2]> = (1..=points.as_ref().map_or(0, |p| p.len()))
        .map(|n| {
            let value = |name: String| {
                Some(&failed)
                    .filter(|f| f.code == "resolve")
                    .and_then(|f| f.values.get(&name).cloned())
                    .unwrap_or_default()
            };
            [
                value(format!("point_outcome_{n}")),
                value(format!("point_reasons_{n}")),
            ]
        })
        .collect();
    let zone = crate::viewer_zone(staff);
    let (sla, breaches) = super::sla_view::sla_of(
        state,
        reference.as_str(),
        &events,
        &mut timeline,
        past,
        reader,
    )
    .await?;
    let view = ComplaintPage {
        composer,
        points,
        point_values,
        reference: reference.as_str().to_string(),
        customer: customer_view,
        received,
        steps: steps(&events, &complaint, reader),
        status: complaint.status().code(),
        step_label: locale::label(
            staff.language(),
            "step",
            complaint.progress().step().code(),
            complaint.progress().step().label(),
        ),
        priority: complaint.priority().code(),
        owner: complaint.owner().cloned(),
        team: complaint.team().cloned(),
        related: super::related::related(state, &complaint, reader, &category_map).await?,
        tags: complaint.tags().iter().cloned().collect(),
        teams: teams.iter().map(|t| (t.id, t.name.clone())).collect(),
        root_causes: crate::causes::offered(state, category_map.key(complaint.category()), reader)
            .await?,
        named_causes: state
            .store
            .root_causes
            .of_complaint(complaint.reference().map_or("", |r| r.as_str()))
            .await?,
        known_tags: state
            .store
            .complaint_list
            .tags()
            .await?
            .into_iter()
            .map(|(tag, _)| tag)
            .collect(),
        categories: category_map
            .offered()
            .map(|c| (c.code.clone(), c.name(reader).to_string()))
            .collect(),
        outcome: complaint
            .outcome()
            .map(|o| locale::label(staff.language(), "outcome", o.code(), o.label())),
        actions,
        oldest_first,
        failing_emails,
        failed,
        owners,
        channels: locale::options(staff.language(), "channel", &Channel::options()),
        priorities: locale::options(staff.language(), "priority", &Priority::options()),
        outcomes: locale::options(staff.language(), "outcome", &Outcome::options()),
        directions: locale::options(staff.language(), "direction", &Direction::options()),
        today: Utc::now().with_timezone(&zone).date_naive().to_string(),
        erased: complaint.personal_data_erased(),
        past,
        at_query: past.map(|at| {
            serde_urlencoded::to_string([("at", at.to_rfc3339_opts(SecondsFormat::AutoSi, true))])
                .unwrap_or_default()
        }),
        received_local: events[0]
            .occurred_at
            .with_timezone(&zone)
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string(),
        at_local: past.map(|at| {
            at.with_timezone(&zone)
                .format("%Y-%m-%dT%H:%M:%S")
                .to_string()
        }),
        sla,
        breaches,
        timeline,
    };
    Page::new(staff, session, view)?.render(state, "complaints/show.html", status)
}

pub(crate) async fn show(
    state: web::Data<AppState>,
    staff: CurrentStaff,
    session: Session,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let oldest_first = query.order.as_deref() == Some("oldest");
    let failed = query.resubmitted.is_some().then(|| FailedForm {
        code: "resubmitted".into(),
        error: locale::text(staff.language(), "note-resubmitted"),
        values: BTreeMap::new(),
    });
    let past = match query.at.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(text) => {
            let at = parse_moment(text, crate::viewer_zone(&staff))?;
            // The present (or a moment not yet come) is the live page.
            (at < state.store.sla.now()).then_some(at)
        }
    };
    render_page(
        &state,
        &staff,
        &session,
        &path,
        oldest_first,
        failed,
        200,
        past,
    )
    .await
}
