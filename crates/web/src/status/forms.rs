//! What the customer sends from their status page: words and files, the survey, and a
//! request for a fresh link.

use super::*;

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
