//! The SLA policy editor (admins, `/admin/sla`) and the page that explains the clocks
//! (`/sla/rules`): every field by name, read back into a policy or refused field by field,
//! each save a new version; a preset only after a confirmation.

use std::collections::BTreeMap;

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{NaiveDate, NaiveTime};
use redress_domain::sla::PolicyError;
use redress_domain::{
    BusinessCalendar, Language, Preset, Priority, SlaClock, SlaPolicy, Target, Tier,
};
use serde::Deserialize;

use crate::auth::{CurrentStaff, csrf_protected};
use crate::error::AppError;
use crate::locale;
use crate::signed::Signed;
use crate::{AppState, page_context, render};

/// The days of the week: (code, key of its name).
const WEEKDAYS: [(&str, &str); 7] = [
    ("mon", "dash-weekday-mon"),
    ("tue", "dash-weekday-tue"),
    ("wed", "dash-weekday-wed"),
    ("thu", "dash-weekday-thu"),
    ("fri", "dash-weekday-fri"),
    ("sat", "dash-weekday-sat"),
    ("sun", "dash-weekday-sun"),
];

/// The days of the week in `language`: (code, name).
fn weekdays(language: Language) -> Vec<(&'static str, String)> {
    WEEKDAYS
        .iter()
        .map(|(code, key)| (*code, locale::text(language, key)))
        .collect()
}

/// The policy as the editor's fields.
fn fields_of(policy: &SlaPolicy) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    fields.insert("name".into(), policy.name.clone());
    fields.insert(
        "time_zone".into(),
        policy.calendar.time_zone.name().to_string(),
    );
    fields.insert("at_risk_percent".into(), policy.at_risk_percent.to_string());
    for (i, (code, _)) in WEEKDAYS.iter().enumerate() {
        let hours: Vec<String> = policy.calendar.hours[i]
            .iter()
            .map(|(from, to)| {
                let to = if *to == NaiveTime::MIN {
                    "24:00".to_string()
                } else {
                    to.format("%H:%M").to_string()
                };
                format!("{}-{to}", from.format("%H:%M"))
            })
            .collect();
        fields.insert(format!("hours_{code}"), hours.join(", "));
    }
    let holidays: Vec<String> = policy
        .calendar
        .holidays
        .iter()
        .map(|d| d.to_string())
        .collect();
    fields.insert("holidays".into(), holidays.join("\n"));
    for tier in Tier::ALL {
        for priority in Priority::ALL {
            for clock in SlaClock::ALL {
                fields.insert(
                    target_field(*tier, *priority, clock),
                    policy
                        .target(*tier, *priority, clock)
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                );
            }
        }
    }
    fields
}

fn target_field(tier: Tier, priority: Priority, clock: SlaClock) -> String {
    format!("t_{}_{}_{}", tier.code(), priority.code(), clock.code())
}

fn time(text: &str) -> Option<NaiveTime> {
    if text.trim() == "24:00" {
        return Some(NaiveTime::MIN);
    }
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// Reads the editor's fields into a policy, or every problem found (in `language`), each
/// naming its field.
fn policy_from(
    fields: &BTreeMap<String, String>,
    preset: Option<String>,
    language: Language,
) -> Result<SlaPolicy, Vec<String>> {
    let get = |name: &str| fields.get(name).map(|v| v.trim()).unwrap_or_default();
    let say = |key: &str, args: &[(&str, String)]| locale::text_with(language, key, args);
    let mut problems = Vec::new();
    let time_zone = match get("time_zone").parse() {
        Ok(zone) => zone,
        Err(_) => {
            problems.push(say(
                "dash-policy-time-zone",
                &[("value", format!("{:?}", get("time_zone")))],
            ));
            chrono_tz::UTC
        }
    };
    let mut hours: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
    for (i, (code, label)) in weekdays(language).iter().enumerate() {
        let text = get(&format!("hours_{code}"));
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let interval = part
                .split_once('-')
                .and_then(|(from, to)| Some((time(from)?, time(to)?)));
            match interval {
                Some(interval) => hours[i].push(interval),
                None => problems.push(say(
                    "dash-policy-hours",
                    &[("day", label.clone()), ("value", format!("{part:?}"))],
                )),
            }
        }
    }
    let mut holidays = std::collections::BTreeSet::new();
    for line in get("holidays")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
    {
        let date = line.split_whitespace().next().unwrap_or_default();
        match NaiveDate::parse_from_str(date, "%Y-%m-%d") {
            Ok(date) => {
                holidays.insert(date);
            }
            Err(_) => problems.push(say(
                "dash-policy-holiday",
                &[("value", format!("{line:?}"))],
            )),
        }
    }
    let at_risk_percent = match get("at_risk_percent").parse::<u8>() {
        Ok(p) => p,
        Err(_) => {
            problems.push(say("dash-policy-at-risk", &[]));
            25
        }
    };
    let mut policy = SlaPolicy {
        name: get("name").to_string(),
        preset,
        calendar: BusinessCalendar {
            time_zone,
            hours,
            holidays,
        },
        at_risk_percent,
        standard: Default::default(),
        key_account: Default::default(),
    };
    for tier in Tier::ALL {
        for priority in Priority::ALL {
            for clock in SlaClock::ALL {
                let text = get(&target_field(*tier, *priority, clock));
                if text.is_empty() {
                    continue;
                }
                match Target::parse(text) {
                    Ok(target) => policy.set_target(*tier, *priority, clock, Some(target)),
                    Err(e) => problems.push(say(
                        "dash-policy-target",
                        &[
                            ("tier", tier.label().to_string()),
                            ("priority", priority.label().to_lowercase()),
                            ("clock", clock.label().to_lowercase()),
                            ("error", e.to_string()),
                        ],
                    )),
                }
            }
        }
    }
    if let Err(error) = policy.validate() {
        problems.push(match error {
            PolicyError::Calendar(e) => {
                say("dash-policy-working-hours", &[("error", e.to_string())])
            }
            other => format!(
                "{}{}.",
                other.to_string()[..1].to_uppercase(),
                &other.to_string()[1..]
            ),
        });
    }
    if problems.is_empty() {
        Ok(policy)
    } else {
        Err(problems)
    }
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PolicyQuery {
    saved: Option<String>,
}

/// What the policy page says above the editor, besides what to fix.
enum Above {
    Nothing,
    /// What was just done.
    Notice(String),
    /// A preset chosen, to be confirmed: it replaces the whole policy.
    Confirm(Preset),
}

async fn policy_page(
    state: &AppState,
    staff: &CurrentStaff,
    session: &Session,
    fields: BTreeMap<String, String>,
    problems: Vec<String>,
    above: Above,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let (notice, confirming) = match above {
        Above::Nothing => (None, None),
        Above::Notice(text) => (Some(text), None),
        Above::Confirm(p) => (None, Some((p.code(), p.label(), p.description()))),
    };
    let current = state.store.sla.policies.current().await?;
    let versions = state.store.sla.policies.versions().await?;
    // Every field the page shows has a value (empty when the form did not send it).
    let mut all = fields_of(&SlaPolicy::default());
    for value in all.values_mut() {
        value.clear();
    }
    all.extend(fields);
    let mut context = page_context(staff, session)?;
    context.insert("current", &current);
    context.insert("versions", &versions);
    context.insert("fields", &all);
    context.insert("problems", &problems);
    context.insert("notice", &notice);
    context.insert("confirming", &confirming);
    context.insert("weekdays", &weekdays(staff.language()));
    let clocks: Vec<(&str, &str, &str)> = SlaClock::ALL
        .iter()
        .map(|c| (c.code(), c.label(), c.rule()))
        .collect();
    context.insert("tiers", &Tier::options());
    context.insert("priorities", &Priority::options());
    context.insert("clocks", &clocks);
    let presets: Vec<(&str, &str, &str)> = Preset::ALL
        .iter()
        .map(|p| (p.code(), p.label(), p.description()))
        .collect();
    context.insert("presets", &presets);
    render(state, "admin/sla.html", &context, status)
}

/// GET /admin/sla
pub(crate) async fn policy(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
    query: web::Query<PolicyQuery>,
) -> Result<HttpResponse, AppError> {
    let current = state.store.sla.policies.current().await?;
    let notice = query.saved.as_deref().map(|v| {
        locale::text_with(
            staff.language(),
            "dash-policy-saved",
            &[("version", v.to_string())],
        )
    });
    policy_page(
        &state,
        &staff,
        &session,
        fields_of(&current.policy),
        vec![],
        notice.map_or(Above::Nothing, Above::Notice),
        200,
    )
    .await
}

/// The editor's form: every field by name.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PolicyForm {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    fields: BTreeMap<String, String>,
}

/// POST /admin/sla: saves the edited policy as a new version, or shows what to fix (nothing
/// is saved then).
pub(crate) async fn save_policy(
    state: web::Data<AppState>,
    Signed {
        staff,
        session,
        form,
    }: Signed<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let fields = form.fields;
    let current = state.store.sla.policies.current().await?;
    let policy = if let Some(code) = fields.get("preset").filter(|c| !c.is_empty()) {
        // A preset keeps the team's calendar and replaces the name and targets.
        let preset = Preset::parse(code).ok_or_else(|| {
            AppError::BadForm(locale::text_with(
                staff.language(),
                "dash-policy-bad-preset",
                &[("value", format!("{code:?}"))],
            ))
        })?;
        // It replaces the whole policy: asked once more, nothing saved until confirmed.
        if fields.get("confirm").map(String::as_str) != Some("yes") {
            return policy_page(
                &state,
                &staff,
                &session,
                fields_of(&current.policy),
                vec![],
                Above::Confirm(preset),
                200,
            )
            .await;
        }
        preset.policy(current.policy.calendar.clone())
    } else {
        match policy_from(&fields, current.policy.preset.clone(), staff.language()) {
            Ok(policy) => policy,
            Err(problems) => {
                return policy_page(
                    &state,
                    &staff,
                    &session,
                    fields,
                    problems,
                    Above::Nothing,
                    422,
                )
                .await;
            }
        }
    };
    if policy == *current.policy {
        return policy_page(
            &state,
            &staff,
            &session,
            fields_of(&policy),
            vec![locale::text(staff.language(), "dash-policy-unchanged")],
            Above::Nothing,
            422,
        )
        .await;
    }
    let note = fields.get("note").cloned().unwrap_or_default();
    let note = if note.trim().is_empty() {
        match fields.get("preset").filter(|c| !c.is_empty()) {
            Some(code) => format!(
                "Applied the {} preset.",
                Preset::parse(code).map_or("", |p| p.label())
            ),
            None => String::new(),
        }
    } else {
        note
    };
    let version = state
        .store
        .sla
        .policies
        .save(&policy, &note, &staff.0.name)
        .await?;
    tracing::info!(version, staff = %staff.0.id, "SLA policy saved");
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/admin/sla?saved={version}")))
        .finish())
}

/// GET /sla/rules: how the clocks work, and the policy in effect.
pub(crate) async fn rules(
    state: web::Data<AppState>,
    Signed { staff, session, .. }: Signed,
) -> Result<HttpResponse, AppError> {
    let current = state.store.sla.policies.current().await?;
    let fields = fields_of(&current.policy);
    let hours: Vec<(String, String)> = weekdays(staff.language())
        .into_iter()
        .map(|(code, label)| {
            let hours = fields.get(&format!("hours_{code}")).cloned();
            (label, hours.unwrap_or_default())
        })
        .collect();
    let holidays: Vec<String> = current
        .policy
        .calendar
        .holidays
        .iter()
        .map(|d| d.to_string())
        .collect();
    let targets: Vec<serde_json::Value> = Tier::ALL
        .iter()
        .map(|tier| {
            let rows: Vec<serde_json::Value> = Priority::ALL
                .iter()
                .map(|priority| {
                    let targets: Vec<Option<String>> = SlaClock::ALL
                        .iter()
                        .map(|clock| {
                            current
                                .policy
                                .target(*tier, *priority, *clock)
                                .map(|t| t.to_string())
                        })
                        .collect();
                    serde_json::json!({ "label": priority.label(), "targets": targets })
                })
                .collect();
            serde_json::json!({ "label": tier.label(), "rows": rows })
        })
        .collect();
    let clocks: Vec<(&str, &str, &str)> = SlaClock::ALL
        .iter()
        .map(|c| (c.code(), c.label(), c.rule()))
        .collect();
    let mut context = page_context(&staff, &session)?;
    context.insert("current", &current);
    context.insert("hours", &hours);
    context.insert("holidays", &holidays);
    context.insert("targets", &targets);
    context.insert("clocks", &clocks);
    render(&state, "sla/rules.html", &context, 200)
}

csrf_protected!(PolicyForm);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_reads_back_what_it_shows() {
        for preset in Preset::ALL {
            let policy = preset.policy(BusinessCalendar::weekdays(
                "Europe/Bucharest".parse().unwrap(),
                NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
                NaiveTime::MIN,
                [NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()],
            ));
            let fields = fields_of(&policy);
            assert_eq!(fields["hours_mon"], "08:30-24:00");
            assert_eq!(
                policy_from(&fields, policy.preset.clone(), Language::En),
                Ok(policy)
            );
        }
    }

    #[test]
    fn every_problem_is_named_with_its_field() {
        let mut fields = fields_of(&SlaPolicy::default());
        fields.insert("time_zone".into(), "Mars/Olympus".into());
        fields.insert("hours_tue".into(), "nine to five".into());
        fields.insert("holidays".into(), "Christmas".into());
        fields.insert("t_key_account_urgent_resolve".into(), "soon".into());
        let problems = policy_from(&fields, None, Language::En).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("Time zone"));
        assert!(problems[1].starts_with("Tuesday"));
        assert!(problems[2].starts_with("Holidays"));
        assert!(problems[3].starts_with("Key account, urgent priority, resolve"));
        let mut closed = fields_of(&SlaPolicy::default());
        for (code, _) in WEEKDAYS {
            closed.insert(format!("hours_{code}"), String::new());
        }
        let problems = policy_from(&closed, None, Language::En).unwrap_err();
        assert_eq!(
            problems,
            vec!["Working hours: the calendar has no working hours."]
        );
    }
}
