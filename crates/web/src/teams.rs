//! Teams and routing (`/teams`): everyone sees the teams, who is in them and who is away;
//! admins create teams, choose their members, managers and how they give out work, and keep
//! the routing rules that give each new complaint its team.

use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use redress_domain::Language;
use redress_store::{Assignment, RuleField, Team, TeamError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::locale::{self, text, text_with};
use crate::signed::Signed;

/// The teams page.
#[derive(Debug, Serialize)]
struct TeamsView {
    teams: Vec<Team>,
    rules: Vec<RuleView>,
    assignments: Vec<(&'static str, String)>,
    fields: Vec<(&'static str, String)>,
    notice: Option<String>,
    error: Option<String>,
    /// The new team's name, kept when refused.
    name: String,
    /// The new rule's fields, kept when refused.
    rule: RuleDraft,
}

/// A new rule as typed (empty on a fresh page).
#[derive(Debug, Default, Serialize)]
struct RuleDraft {
    field: String,
    value: String,
    team_id: String,
}

impl RuleDraft {
    fn from(fields: &BTreeMap<String, String>) -> Self {
        let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
        Self {
            field: get("field"),
            value: get("value"),
            team_id: get("team_id"),
        }
    }
}

#[derive(Debug, Serialize)]
struct RuleView {
    id: Uuid,
    position: i32,
    field: String,
    value: String,
    team: String,
}

/// The ways a team gives out work, in `language`: (code, words).
fn assignments(language: Language) -> Vec<(&'static str, String)> {
    Assignment::ALL
        .map(|a| {
            (
                a.code(),
                locale::label(language, "assignment", a.code(), a.label()),
            )
        })
        .to_vec()
}

/// What a routing rule looks at, in `language`.
fn field_words(language: Language, field: RuleField) -> String {
    locale::label(language, "field", field.code(), field.label())
}

/// Why a change to the teams was refused, in `language` (a rule's value the store refuses is
/// in the store's words).
fn team_refusal(language: Language, error: &TeamError) -> String {
    match error {
        TeamError::NoName => text(language, "note-team-no-name"),
        TeamError::LongName => text_with(
            language,
            "note-team-long-name",
            &[("max", redress_store::teams::MAX_NAME.to_string())],
        ),
        TeamError::NameTaken(name) => {
            text_with(language, "note-team-name-taken", &[("name", name.clone())])
        }
        TeamError::NotFound => text(language, "note-team-not-found"),
        TeamError::UnknownMember => text(language, "note-team-unknown-member"),
        TeamError::BadRule(words) => words.clone(),
    }
}

async fn render_list(
    state: &AppState,
    signed: &Signed<impl Sized>,
    notice: Option<String>,
    error: Option<String>,
    name: String,
    rule: RuleDraft,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let language = signed.staff.language();
    let teams = state.store.teams.list().await?;
    let rules = state
        .store
        .teams
        .rules()
        .await?
        .into_iter()
        .map(|r| RuleView {
            id: r.id,
            position: r.position,
            field: field_words(language, r.field),
            value: r.value,
            team: teams
                .iter()
                .find(|t| t.id == r.team_id)
                .map(|t| t.name.clone())
                .unwrap_or_default(),
        })
        .collect();
    let view = TeamsView {
        teams,
        rules,
        assignments: assignments(language),
        fields: RuleField::ALL
            .map(|f| (f.code(), field_words(language, f)))
            .to_vec(),
        notice,
        error,
        name,
        rule,
    };
    crate::page::Page::new(&signed.staff, &signed.session, view)?.render(
        state,
        "teams/list.html",
        status,
    )
}

#[derive(Debug, Deserialize)]
pub(crate) struct ListQuery {
    #[serde(default)]
    done: Option<String>,
}

/// GET /teams
pub(crate) async fn list(
    state: web::Data<AppState>,
    me: Signed,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let notice = match query.done.as_deref() {
        Some("created") => Some("note-team-created"),
        Some("saved") => Some("note-team-saved"),
        Some("default") => Some("note-team-default"),
        Some("rule") => Some("note-rules-saved"),
        Some("away") => Some("note-away"),
        Some("back") => Some("note-back"),
        _ => None,
    }
    .map(|key| text(me.staff.language(), key));
    render_list(
        &state,
        &me,
        notice,
        None,
        String::new(),
        RuleDraft::default(),
        200,
    )
    .await
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location.to_string()))
        .finish()
}

#[derive(Debug, Deserialize)]
pub(crate) struct CreateForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    assignment: String,
}

/// POST /teams: a new team.
pub(crate) async fn create(
    state: web::Data<AppState>,
    signed: Signed<CreateForm>,
) -> Result<HttpResponse, AppError> {
    let form = &signed.form;
    let assignment = Assignment::parse(&form.assignment).unwrap_or(Assignment::Manual);
    match state
        .store
        .teams
        .create(&form.name, assignment, state.store.clock.now())
        .await?
    {
        Ok(id) => Ok(see_other(&format!("/teams/{id}?done=created"))),
        Err(refused) => {
            let name = form.name.clone();
            render_list(
                &state,
                &signed,
                None,
                Some(team_refusal(signed.staff.language(), &refused)),
                name,
                RuleDraft::default(),
                422,
            )
            .await
        }
    }
}

/// A team's page for admins: its name, how it gives out work, and its people.
#[derive(Debug, Serialize)]
struct EditView {
    team: Team,
    /// Every active person, with their place in the team: "", "member" or "manager".
    people: Vec<(Uuid, String, &'static str)>,
    assignments: Vec<(&'static str, String)>,
    notice: Option<String>,
    error: Option<String>,
}

async fn render_edit(
    state: &AppState,
    signed: &Signed<impl Sized>,
    team: Team,
    notice: Option<String>,
    error: Option<String>,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let people = state
        .store
        .accounts
        .active()
        .await?
        .into_iter()
        .map(|a| {
            let place = match team.members.iter().find(|m| m.account_id == a.id) {
                Some(m) if m.manager => "manager",
                Some(_) => "member",
                None => "",
            };
            (a.id, a.name, place)
        })
        .collect();
    let view = EditView {
        team,
        people,
        assignments: assignments(signed.staff.language()),
        notice,
        error,
    };
    crate::page::Page::new(&signed.staff, &signed.session, view)?.render(
        state,
        "teams/edit.html",
        status,
    )
}

fn team_id(path: web::Path<String>) -> Result<Uuid, AppError> {
    Uuid::parse_str(path.into_inner().trim()).map_err(|_| AppError::NotFound)
}

/// GET /teams/{id}
pub(crate) async fn edit(
    state: web::Data<AppState>,
    me: Signed,
    path: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let id = team_id(path)?;
    let team = state.store.teams.get(id).await?.ok_or(AppError::NotFound)?;
    let notice = match query.done.as_deref() {
        Some("created") => Some(text(me.staff.language(), "note-team-created-edit")),
        _ => None,
    };
    render_edit(&state, &me, team, notice, None, 200).await
}

/// The team form: `name`, `assignment`, and `person_{id}` = `member` or `manager` for each
/// person in it.
#[derive(Debug, Deserialize)]
pub(crate) struct TeamForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// POST /teams/{id}: saves a team's name, way of giving out work, members and managers.
pub(crate) async fn save(
    state: web::Data<AppState>,
    signed: Signed<TeamForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = team_id(path)?;
    let mut team = state.store.teams.get(id).await?.ok_or(AppError::NotFound)?;
    let language = signed.staff.language();
    let fields = &signed.form.fields;
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let assignment = Assignment::parse(&field("assignment"))
        .ok_or_else(|| AppError::BadForm(text(language, "note-team-choose-assignment")))?;
    let mut members = Vec::new();
    for (name, value) in fields {
        let Some(person) = name.strip_prefix("person_") else {
            continue;
        };
        let person = Uuid::parse_str(person).map_err(|_| {
            AppError::BadForm(text_with(
                language,
                "note-team-bad-person",
                &[("value", format!("{name:?}"))],
            ))
        })?;
        match value.as_str() {
            "" => {}
            "member" => members.push((person, false)),
            "manager" => members.push((person, true)),
            other => {
                return Err(AppError::BadForm(text_with(
                    language,
                    "note-team-bad-place",
                    &[(
                        "value",
                        format!("{:?}", other.chars().take(20).collect::<String>()),
                    )],
                )));
            }
        }
    }
    match state
        .store
        .teams
        .update(id, &field("name"), assignment, &members)
        .await?
    {
        Ok(()) => Ok(see_other("/teams?done=saved")),
        Err(TeamError::NotFound) => Err(AppError::NotFound),
        Err(refused) => {
            team.name = field("name");
            team.assignment = assignment;
            let refusal = team_refusal(language, &refused);
            render_edit(&state, &signed, team, None, Some(refusal), 422).await
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PlainForm {
    #[serde(default)]
    csrf: String,
}

/// POST /teams/{id}/default: complaints no rule routes go to this team.
pub(crate) async fn make_default(
    state: web::Data<AppState>,
    _signed: Signed<PlainForm>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = team_id(path)?;
    match state.store.teams.make_default(id).await? {
        Ok(()) => Ok(see_other("/teams?done=default")),
        Err(_) => Err(AppError::NotFound),
    }
}

/// The routing rule forms: a new rule (`field`, `value`, `team_id`), or a change to one
/// (`rule` and `change`: `up`, `down` or `remove`).
#[derive(Debug, Deserialize)]
pub(crate) struct RuleForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// POST /routing-rules: adds a rule after the others.
pub(crate) async fn add_rule(
    state: web::Data<AppState>,
    signed: Signed<RuleForm>,
) -> Result<HttpResponse, AppError> {
    let fields = &signed.form.fields;
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let refused = |error: String| async {
        render_list(
            &state,
            &signed,
            None,
            Some(error),
            String::new(),
            RuleDraft::from(fields),
            422,
        )
        .await
    };
    let language = signed.staff.language();
    let Some(rule_field) = RuleField::parse(&field("field")) else {
        return refused(text(language, "note-rule-no-field")).await;
    };
    let Ok(team) = Uuid::parse_str(field("team_id").trim()) else {
        return refused(text(language, "note-rule-no-team")).await;
    };
    match state
        .store
        .teams
        .add_rule(rule_field, &field("value"), team)
        .await?
    {
        Ok(_) => Ok(see_other("/teams?done=rule#rules")),
        Err(error) => refused(team_refusal(language, &error)).await,
    }
}

/// POST /routing-rules/change: moves a rule up or down, or removes it.
pub(crate) async fn change_rule(
    state: web::Data<AppState>,
    signed: Signed<RuleForm>,
) -> Result<HttpResponse, AppError> {
    let fields = &signed.form.fields;
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let language = signed.staff.language();
    let id = Uuid::parse_str(field("rule").trim())
        .map_err(|_| AppError::BadForm(text(language, "note-rule-which")))?;
    let found = match field("change").as_str() {
        "up" => state.store.teams.move_rule(id, true).await?,
        "down" => state.store.teams.move_rule(id, false).await?,
        "remove" => state.store.teams.remove_rule(id).await?,
        _ => {
            return Err(AppError::BadForm(text(language, "note-rule-change")));
        }
    };
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/teams?done=rule#rules"))
}

#[derive(Debug, Deserialize)]
pub(crate) struct AwayForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    away: String,
}

/// POST /account/away: marks oneself away (no new complaints are given to you) or back.
pub(crate) async fn set_away(
    state: web::Data<AppState>,
    signed: Signed<AwayForm>,
) -> Result<HttpResponse, AppError> {
    let away = match signed.form.away.as_str() {
        "true" => true,
        "false" => false,
        _ => {
            return Err(AppError::BadForm(text(
                signed.staff.language(),
                "note-away-bad",
            )));
        }
    };
    let me: &CurrentStaff = &signed.staff;
    state
        .store
        .accounts
        .set_away(me.0.id, away)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(see_other(if away {
        "/teams?done=away"
    } else {
        "/teams?done=back"
    }))
}

csrf_protected!(CreateForm, TeamForm, PlainForm, RuleForm, AwayForm);
