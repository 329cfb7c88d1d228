//! The customer's status page, reached from the signed, expiring link in every email (no
//! account), in the customer's language: which of the six steps are done, who is responsible,
//! what we committed to and by when, when they will next hear from us, and every message of
//! the conversation the customer may read (the domain decides which:
//! [`redress_domain::for_customer`]; nothing staff wrote for each other is here). A form adds
//! words and files; once the complaint is closed, the satisfaction survey. An expired or
//! changed link gets a page that offers a fresh link by email, sent only to the complaint's
//! own address.

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use redress_domain::{
    Actor, AttachedFile, Channel, Complaint, ComplaintAction, ComplaintChange, ComplaintCommand,
    ComplaintEvent, CustomerEmail, Language, Reference, Said, Step, for_customer,
};
use redress_store::{CommandError, LinkError, OpenError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::{Checked, check_csrf, csrf_protected, csrf_token};
use crate::complaints::{Opener, load, opener_for};
use crate::error::AppError;
use crate::locale::{self, text, text_with};
use crate::{AppState, render};

/// Fresh links one client address may ask for per hour.
pub const MAX_LINK_REQUESTS: i64 = 5;

/// Longest text a customer adds at once.
const MAX_ADDITION: usize = 20_000;

/// A file the customer may open from their page.
#[derive(Debug, Serialize)]
struct FileLink {
    id: String,
    name: String,
    size: String,
}

/// One message of the conversation, as the customer reads it.
#[derive(Debug, Serialize)]
pub(crate) struct Message {
    from_us: bool,
    title: String,
    at: DateTime<Utc>,
    when: String,
    lines: Vec<(String, String)>,
    points: Vec<String>,
    files: Vec<FileLink>,
}

/// One of the six steps, as the customer sees it.
#[derive(Debug, Serialize)]
struct StepView {
    number: u8,
    title: String,
    done: bool,
    current: bool,
    when: Option<String>,
    at: Option<DateTime<Utc>>,
}

fn files(files: &[AttachedFile], opener: &Opener) -> Vec<FileLink> {
    files
        .iter()
        .map(|f| FileLink {
            id: f.id.to_string(),
            name: opener.open(&f.name),
            size: crate::complaints::timeline::size_words(f.size),
        })
        .collect()
}

/// The conversation as the customer may read it, newest first (also what a customer's
/// export gives as what was said between us).
pub(crate) fn messages(
    language: Language,
    currency: &redress_domain::Currency,
    events: &[ComplaintEvent],
    opener: &Opener,
) -> Vec<Message> {
    let t = |key: &str| text(language, key);
    let mut out: Vec<Message> = for_customer(events)
        .into_iter()
        .map(|entry| {
            let mut message = Message {
                from_us: !entry.from_customer,
                title: String::new(),
                at: entry.at,
                when: locale::moment(language, entry.at),
                lines: Vec::new(),
                points: Vec::new(),
                files: Vec::new(),
            };
            match entry.said {
                Said::Complaint {
                    description,
                    remedy_requested,
                    taken_down_by_us,
                } => {
                    message.title = t(if taken_down_by_us {
                        "entry-complaint-taken"
                    } else {
                        "entry-complaint"
                    });
                    message
                        .lines
                        .push((t("line-what-happened"), opener.open(description)));
                    if let Some(remedy) = remedy_requested {
                        message
                            .lines
                            .push((t("line-asked-for"), opener.open(remedy)));
                    }
                }
                Said::Apology(apology) => {
                    message.title = t("entry-apology");
                    message.lines.push((String::new(), apology.to_string()));
                }
                Said::TheirWords(words) => {
                    message.title = t("entry-their-words");
                    message.lines.push((String::new(), opener.open(words)));
                }
                Said::OurSummary(words) => {
                    message.title = t("entry-our-summary");
                    message.lines.push((String::new(), opener.open(words)));
                }
                Said::Points(points) => {
                    message.title = t("entry-points");
                    message.points = points.iter().map(|p| opener.open(p)).collect();
                }
                Said::Commitment { action, due_on } => {
                    message.title = t("entry-commitment");
                    message.lines.push((String::new(), action.to_string()));
                    message
                        .lines
                        .push((t("line-by"), locale::date(language, due_on)));
                }
                Said::Owner(name) => {
                    message.title = t("entry-owner");
                    message.lines.push((
                        String::new(),
                        text_with(
                            language,
                            "line-is-responsible",
                            &[("name", name.to_string())],
                        ),
                    ));
                }
                Said::Update {
                    message: update,
                    next_update_on,
                } => {
                    message.title = t("entry-update");
                    message.lines.push((String::new(), update.to_string()));
                    message.lines.push((
                        t("line-next-update"),
                        locale::date(language, next_update_on),
                    ));
                }
                Said::Request(request) => {
                    message.title = t("entry-request");
                    message.lines.push((String::new(), request.to_string()));
                }
                Said::Reply {
                    message: reply,
                    attachments,
                } => {
                    message.title = t("entry-reply");
                    message.lines.push((String::new(), opener.open(reply)));
                    message.files = files(attachments, opener);
                }
                Said::Outcome {
                    outcome,
                    reasons,
                    remedy,
                    redress_paid_cents,
                    decisions,
                } => {
                    message.title = format!(
                        "{}: {}",
                        t("entry-outcome"),
                        t(&format!("outcome-{}", outcome.code()))
                    );
                    for (decision, point) in decisions {
                        message.lines.push((
                            format!(
                                "{} · {}",
                                text_with(
                                    language,
                                    "line-point",
                                    &[("number", decision.point.to_string())]
                                ),
                                t(&format!("outcome-{}", decision.outcome.code()))
                            ),
                            match point {
                                Some(point) => {
                                    format!("{}\n{}", opener.open(point), decision.reasons)
                                }
                                None => decision.reasons.clone(),
                            },
                        ));
                    }
                    message.lines.push((t("line-reasons"), reasons.to_string()));
                    if let Some(remedy) = remedy {
                        message.lines.push((t("line-remedy"), remedy.to_string()));
                    }
                    if let Some(cents) = redress_paid_cents.filter(|c| *c > 0) {
                        message
                            .lines
                            .push((t("line-paid"), currency.format(cents, language)));
                    }
                }
                Said::Files(added) => {
                    message.title = t("entry-files");
                    message.files = files(added, opener);
                }
                Said::Rating {
                    score,
                    comment,
                    would_change,
                } => {
                    message.title =
                        text_with(language, "entry-rating", &[("score", score.to_string())]);
                    if let Some(comment) = comment {
                        message
                            .lines
                            .push((t("line-comment"), opener.open(comment)));
                    }
                    if let Some(change) = would_change {
                        message
                            .lines
                            .push((t("line-would-change"), opener.open(change)));
                    }
                }
                Said::Reopened => message.title = t("entry-reopened"),
                Said::Closed => message.title = t("entry-closed"),
            }
            message
        })
        .collect();
    out.reverse();
    out
}

/// The six steps as the customer sees them, in their language.
fn steps(language: Language, events: &[ComplaintEvent], complaint: &Complaint) -> Vec<StepView> {
    let progress = complaint.progress();
    let current = match progress.step() {
        Step::Acknowledge => Some(1),
        Step::Listen => Some(2),
        Step::EstablishFacts => Some(3),
        Step::CommitToAction => Some(4),
        Step::NameOwner => Some(5),
        Step::KeepInformed => Some(6),
        Step::Resolved | Step::Closed => None,
    };
    let last = |pick: &dyn Fn(&ComplaintChange) -> bool| {
        events
            .iter()
            .rev()
            .find(|e| pick(&e.change))
            .map(|e| e.occurred_at)
    };
    let done = [
        (
            progress.acknowledged,
            last(&|c| matches!(c, ComplaintChange::ComplaintAcknowledged { .. })),
        ),
        (
            progress.listened || progress.investigation_concluded,
            last(&|c| matches!(c, ComplaintChange::PointsOfComplaintRecorded { .. })),
        ),
        (
            progress.investigation_concluded,
            last(&|c| matches!(c, ComplaintChange::InvestigationConcluded { .. })),
        ),
        (
            progress.action_committed,
            last(&|c| matches!(c, ComplaintChange::ActionCommitted { .. })),
        ),
        (
            progress.owner_named,
            last(&|c| matches!(c, ComplaintChange::OwnerAssigned { .. })),
        ),
        (
            progress.resolved,
            last(&|c| matches!(c, ComplaintChange::ComplaintResolved { .. })),
        ),
    ];
    done.into_iter()
        .enumerate()
        .map(|(i, (done, at))| {
            let number = i as u8 + 1;
            let at = at.filter(|_| done);
            StepView {
                number,
                title: text(language, &format!("step-{number}")),
                done,
                current: current == Some(number),
                when: at.map(|at| locale::date(language, at.date_naive())),
                at,
            }
        })
        .collect()
}

fn satisfaction_given(events: &[ComplaintEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e.change, ComplaintChange::SatisfactionRecorded { .. }))
}

/// The complaint's own language (the customer's choice).
fn language_of(events: &[ComplaintEvent]) -> Language {
    match events.first().map(|e| &e.change) {
        Some(ComplaintChange::ComplaintReceived { language, .. }) => *language,
        _ => Language::En,
    }
}

/// The language a request asks for with `?lang=`, or its browser's.
fn asked(request: &HttpRequest, query: Option<&str>) -> Language {
    locale::chosen(
        query,
        request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// What a link opens: the complaint, or the page saying why not (in `language`).
async fn open(
    state: &AppState,
    session: &Session,
    token: &str,
    language: Language,
) -> Result<Result<Reference, HttpResponse>, AppError> {
    match state.store.links.open(token, Utc::now()) {
        Ok(reference) => Ok(Ok(reference)),
        Err(error) => {
            let (status, expired, reference) = match error {
                LinkError::Expired(reference) => (410, true, Some(reference.to_string())),
                LinkError::Invalid => (404, false, None),
            };
            let mut context = customer_context(language);
            context.insert("csrf", &csrf_token(session)?);
            context.insert("expired", &expired);
            context.insert("reference", &reference);
            context.insert("sent", &false);
            Ok(Err(render(state, "public/link.html", &context, status)?))
        }
    }
}

/// The context every customer page starts from: its language and the switch.
pub(crate) fn customer_context(language: Language) -> tera::Context {
    let mut context = tera::Context::new();
    context.insert("lang", language.code());
    context.insert("languages", &locale::switch());
    context
}

#[derive(Debug, Default, Serialize)]
struct Refusal {
    form: &'static str,
    message: String,
    text: String,
}

#[expect(
    clippy::too_many_arguments,
    reason = "each argument is a different thing the caller holds; a struct for one call would only rename them"
)]
async fn render_status(
    state: &AppState,
    session: &Session,
    token: &str,
    reference: &Reference,
    asked: Option<Language>,
    notice: Option<&str>,
    refusal: Refusal,
    status: u16,
) -> Result<HttpResponse, AppError> {
    let (_, events, complaint) = load(state, reference.as_str()).await?;
    let customer = complaint
        .customer()
        .ok_or_else(|| AppError::Internal("a complaint without a customer".into()))?;
    let language = asked.unwrap_or_else(|| language_of(&events));
    if complaint.personal_data_erased() {
        // As a link that opens nothing: a customer's page, in their language, with no way
        // into the staff's pages.
        let mut context = customer_context(language);
        context.insert("csrf", &csrf_token(session)?);
        context.insert("expired", &false);
        context.insert("reference", &None::<String>);
        context.insert("sent", &false);
        return render(state, "public/link.html", &context, 404);
    }
    let opener = opener_for(state, customer).await?;
    let next_update = events.iter().rev().find_map(|e| match &e.change {
        ComplaintChange::ProgressUpdateSent { next_update_on, .. } => Some(*next_update_on),
        _ => None,
    });
    let mut context = customer_context(language);
    context.insert("csrf", &csrf_token(session)?);
    context.insert("token", token);
    context.insert("reference", reference.as_str());
    context.insert("steps", &steps(language, &events, &complaint));
    context.insert(
        "status_label",
        &text(language, &format!("status-{}", complaint.status().code())),
    );
    context.insert("closed", &complaint.progress().closed);
    context.insert("owner", &complaint.owner().map(|o| o.name.clone()));
    context.insert(
        "commitment",
        &complaint.commitment().map(|c| {
            serde_json::json!({
                "action": c.action,
                "due": locale::date(language, c.due_on),
                "due_on": c.due_on,
            })
        }),
    );
    context.insert(
        "next_update",
        &next_update.map(|d| serde_json::json!({ "words": locale::date(language, d), "date": d })),
    );
    context.insert(
        "outcome",
        &complaint
            .outcome()
            .map(|o| text(language, &format!("outcome-{}", o.code()))),
    );
    context.insert(
        "messages",
        &messages(language, &state.currency, &events, &opener),
    );
    context.insert(
        "survey_open",
        &(complaint.progress().closed && !satisfaction_given(&events)),
    );
    context.insert("survey_done", &satisfaction_given(&events));
    context.insert("notice", &notice.map(|key| text(language, key)));
    context.insert("refusal", &refusal);
    context.insert("max_files", &state.uploads.max_files);
    context.insert("max_file_mb", &state.uploads.max_file_mb());
    render(state, "public/status.html", &context, status)
}

#[derive(Debug, Deserialize)]
pub(crate) struct StatusQuery {
    #[serde(default)]
    done: Option<String>,
    #[serde(default)]
    lang: Option<String>,
}

fn chosen_language(lang: Option<&str>) -> Option<Language> {
    lang.and_then(|l| Language::parse(l).ok())
}

/// GET /status/{token}
pub(crate) async fn page(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let reference = match open(
        &state,
        &session,
        &token,
        asked(&request, query.lang.as_deref()),
    )
    .await?
    {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let notice = match query.done.as_deref() {
        Some("added") => Some("add-done"),
        Some("rated") => Some("survey-done"),
        _ => None,
    };
    render_status(
        &state,
        &session,
        &token,
        &reference,
        chosen_language(query.lang.as_deref()),
        notice,
        Refusal::default(),
        200,
    )
    .await
}

fn back_to(token: &str, lang: Option<Language>, done: &str, anchor: &str) -> HttpResponse {
    let lang = lang.map_or(String::new(), |l| format!("&lang={}", l.code()));
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("/status/{token}?done={done}{lang}{anchor}"),
        ))
        .finish()
}

/// POST /status/{token}/add: words, files, or both (a form with files).
pub(crate) async fn add(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
    form: Multipart,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let upload = crate::uploads::read(form, state.uploads).await;
    let fields_lang = upload
        .as_ref()
        .ok()
        .and_then(|u| u.fields.get("lang").cloned());
    let lang = chosen_language(fields_lang.as_deref());
    let reference = match open(
        &state,
        &session,
        &token,
        asked(&request, fields_lang.as_deref()),
    )
    .await?
    {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let (_, events, complaint) = load(&state, reference.as_str()).await?;
    let language = lang.unwrap_or_else(|| language_of(&events));
    let refuse = |message: String, text: String, status: u16| {
        let refusal = Refusal {
            form: "add",
            message,
            text,
        };
        render_status(
            &state, &session, &token, &reference, lang, None, refusal, status,
        )
    };
    let upload = match upload {
        Ok(upload) => upload,
        Err(refused) => {
            return refuse(
                locale::upload_refusal(language, &refused),
                String::new(),
                refused.status(),
            )
            .await;
        }
    };
    check_csrf(&session, &upload.text("csrf"))?;
    let words = upload.text("text");
    if words.chars().count() > MAX_ADDITION {
        let message = text_with(
            language,
            "error-too-long",
            &[
                ("field", text(language, "field-text-words")),
                ("max", MAX_ADDITION.to_string()),
            ],
        );
        return refuse(message, words, 422).await;
    }
    let Some(customer) = complaint.customer() else {
        return Err(AppError::NotFound);
    };
    if complaint.progress().closed {
        return refuse(text(language, "add-closed"), words, 422).await;
    }
    let stored = upload
        .store_files(&state.store, reference.as_str(), customer)
        .await?;
    let command = ComplaintCommand::new(
        Actor::Customer,
        ComplaintAction::AddInformation {
            text: (!words.trim().is_empty()).then(|| words.clone()),
            files: stored.clone(),
            channel: Channel::WebForm,
        },
    );
    match state.store.complaints.execute(&reference, command).await {
        Ok(()) => Ok(back_to(&token, lang, "added", "#messages")),
        Err(error) => {
            crate::uploads::discard(&state.store, &stored).await?;
            match error {
                CommandError::Rejected(rejection) => {
                    refuse(locale::refusal(language, &rejection), words, 422).await
                }
                other => Err(other.into()),
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct SurveyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    would_change: String,
}

/// POST /status/{token}/survey
pub(crate) async fn survey(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<String>,
    form: Checked<SurveyForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let lang = chosen_language(form.lang.as_deref());
    let reference = match open(
        &state,
        &session,
        &token,
        asked(&request, form.lang.as_deref()),
    )
    .await?
    {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let form = form.into_inner();
    let (_, events, _) = load(&state, reference.as_str()).await?;
    let language = lang.unwrap_or_else(|| language_of(&events));
    let refuse = |key: &str| Refusal {
        form: "survey",
        message: text(language, key),
        text: String::new(),
    };
    let score = match form.score.trim().parse::<u8>() {
        Ok(score @ 1..=5) => score,
        _ => {
            let refusal = refuse("survey-score");
            return render_status(
                &state, &session, &token, &reference, lang, None, refusal, 422,
            )
            .await;
        }
    };
    if satisfaction_given(&events) {
        let refusal = refuse("survey-twice");
        return render_status(
            &state, &session, &token, &reference, lang, None, refusal, 409,
        )
        .await;
    }
    let blank_to_none = |s: &str| (!s.trim().is_empty()).then(|| s.to_string());
    let command = ComplaintCommand::new(
        Actor::Customer,
        ComplaintAction::RecordSatisfaction {
            score,
            comment: blank_to_none(&form.comment),
            would_change: blank_to_none(&form.would_change),
        },
    );
    match state.store.complaints.execute(&reference, command).await {
        Ok(()) => Ok(back_to(&token, lang, "rated", "")),
        Err(CommandError::Rejected(rejection)) => {
            let refusal = Refusal {
                form: "survey",
                message: locale::refusal(language, &rejection),
                text: String::new(),
            };
            render_status(
                &state, &session, &token, &reference, lang, None, refusal, 422,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /status/{token}/files/{id}: a file of the conversation the customer may read (a
/// reply's, or their own), to save.
pub(crate) async fn file(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (token, id) = path.into_inner();
    let language = asked(&request, None);
    let reference = match open(&state, &session, &token, language).await? {
        Ok(reference) => reference,
        Err(page) => return Ok(page),
    };
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let (_, events, complaint) = load(&state, reference.as_str()).await?;
    let customer = complaint.customer().ok_or(AppError::NotFound)?;
    // Only what the customer may read: the domain's view lists it.
    let meta = for_customer(&events)
        .into_iter()
        .find_map(|entry| match entry.said {
            Said::Reply { attachments, .. } | Said::Files(attachments) => {
                attachments.iter().find(|f| f.id == id).cloned()
            }
            _ => None,
        });
    let Some(meta) = meta else {
        return Err(AppError::NotFound);
    };
    let opened = match state.store.attachments.open(id).await? {
        Some(Ok(opened)) if opened.reference == reference.as_str() => opened,
        Some(Err(OpenError::Erased)) | None | Some(Ok(_)) => return Err(AppError::NotFound),
        Some(Err(OpenError::Damaged)) => {
            return Err(AppError::Internal(
                format!("file {id} does not open").into(),
            ));
        }
    };
    let opener = opener_for(&state, customer).await?;
    Ok(crate::emails::download(
        &opener.open(&meta.name),
        &meta.content_type,
        opened.bytes,
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct FreshLinkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    email: String,
}

/// POST /status/fresh-link: queues an email with a fresh link when the address is the
/// complaint's own. The answer is the same either way, so it tells nobody whose complaint
/// it is.
pub(crate) async fn fresh_link(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: Checked<FreshLinkForm>,
) -> Result<HttpResponse, AppError> {
    let language = asked(&request, form.lang.as_deref());
    let client = format!("link:{}", crate::security::client_address(&request));
    let mut context = customer_context(language);
    context.insert("csrf", &csrf_token(&session)?);
    context.insert("expired", &false);
    context.insert("reference", &form.reference.trim());
    let recent = state
        .store
        .public_intake
        .recent(&client, Utc::now() - Duration::hours(1))
        .await?;
    if recent >= MAX_LINK_REQUESTS {
        context.insert("sent", &false);
        context.insert("error", &text(language, "link-too-many"));
        return render(&state, "public/link.html", &context, 429);
    }
    state.store.public_intake.record(&client).await?;
    if let (Ok(reference), Ok(email)) = (
        Reference::parse(&form.reference),
        CustomerEmail::parse(&form.email),
    ) && let Some(customer) = state.store.vault.find_customer(&email).await?
        && let Some(row) = state.store.complaint_list.get(reference.as_str()).await?
        && row.customer_id == customer.0
        && !row.personal_data_erased
    {
        state
            .store
            .outbox
            .enqueue_link(&reference, customer, &row.language, Utc::now())
            .await?;
        state.store.projections.mail_due().notify();
        tracing::info!(%reference, "a fresh status link was asked for and queued");
    }
    context.insert("sent", &true);
    render(&state, "public/link.html", &context, 200)
}

csrf_protected!(FreshLinkForm, SurveyForm);
