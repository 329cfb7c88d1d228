//! Passkeys (WebAuthn, with kanidm's `webauthn-rs`): a person registers one or more on
//! `/account` and signs in with one instead of a password and a code (a passkey is already two
//! factors: the device, and the screen lock or PIN that user verification requires).
//!
//! - Registering asks the authenticator to keep the passkey (a discoverable credential), so
//!   signing in needs no address first: the sign-in page's button lets the browser offer the
//!   passkeys it has for this site, and the one chosen names its account. Nobody can learn from
//!   the sign-in page which addresses have accounts or passkeys.
//! - Each ceremony's state (the challenge) waits in this browser's encrypted session cookie for
//!   five minutes and is taken once; the browser never sees it.
//! - The forms are posted as ordinary forms with the CSRF token; the credential travels as a
//!   JSON field. Answers are JSON: `{"location": …}` or `{"error": …}` in the person's
//!   language.
//! - Passkeys need Redress at a domain name (`REDRESS_PUBLIC_URL`): browsers refuse WebAuthn
//!   for an IP address, and for plain HTTP anywhere but `localhost`.

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use redress_store::{AuditAction, AuditActor, StoredPasskey};
use serde::{Deserialize, Serialize};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Webauthn, WebauthnBuilder,
};

use crate::AppState;
use crate::auth::{
    Checked, MAX_SIGN_INS_PER_ADDRESS, SIGN_IN_WINDOW_SECONDS, csrf_protected, safe_next,
    start_session,
};
use crate::error::AppError;
use crate::locale::{of_request, text, text_with};
use crate::signed::Signed;

/// Where a registration waits for the browser's answer.
const REGISTERING_KEY: &str = "passkey_registration";
/// Where a sign-in waits for the browser's answer.
const SIGNING_IN_KEY: &str = "passkey_sign_in";
/// How long a ceremony waits.
const CEREMONY_MINUTES: i64 = 5;
/// The most passkeys one person keeps.
pub const MAX_PER_PERSON: usize = 10;

/// This installation as a WebAuthn relying party.
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl RelyingParty {
    /// The relying party at `public_url`, unless browsers would refuse it one (an IP address).
    pub fn new(public_url: &str) -> Option<Self> {
        let origin = Url::parse(public_url.trim_end_matches('/')).ok()?;
        let rp_id = origin.domain()?.to_string();
        let webauthn = WebauthnBuilder::new(&rp_id, &origin)
            .ok()?
            .rp_name("Redress")
            .build()
            .ok()?;
        Some(Self { webauthn })
    }
}

fn relying_party(state: &AppState) -> Result<&Webauthn, AppError> {
    state
        .sign_in
        .passkeys
        .as_ref()
        .map(|rp| &rp.webauthn)
        .ok_or(AppError::NotFound)
}

/// A ceremony waiting in the session cookie.
#[derive(Serialize, Deserialize)]
struct Waiting<T> {
    state: T,
    at: DateTime<Utc>,
    #[serde(default)]
    next: String,
}

fn json(status: u16, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .insert_header((header::CACHE_CONTROL, "no-store"))
    .json(body)
}

fn error(status: u16, message: &str) -> HttpResponse {
    json(status, serde_json::json!({ "error": message }))
}

fn credential_id(passkey: &Passkey) -> String {
    URL_SAFE_NO_PAD.encode(passkey.cred_id().as_ref() as &[u8])
}

/// A person's passkeys as `/account` lists them.
#[derive(Debug, Serialize)]
pub(crate) struct Listed {
    id: String,
    name: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

/// What `/account` shows of passkeys: whether they can be used here, and the person's.
pub(crate) async fn listed(
    state: &AppState,
    account: uuid::Uuid,
) -> Result<(bool, Vec<Listed>), AppError> {
    let available = state.sign_in.passkeys.is_some();
    let mine = state.store.passkeys.of(account).await?;
    Ok((
        available,
        mine.into_iter()
            .map(|p: StoredPasskey| Listed {
                id: p.id.to_string(),
                name: p.name,
                created_at: p.created_at,
                last_used_at: p.last_used_at,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CeremonyForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    next: Option<String>,
}

/// POST /account/passkeys/options: what the browser needs to make a passkey.
pub(crate) async fn registration_options(
    state: web::Data<AppState>,
    signed: Signed<CeremonyForm>,
) -> Result<HttpResponse, AppError> {
    let webauthn = relying_party(&state)?;
    let account = &signed.staff.0;
    let language = signed.staff.language();
    let mine = state.store.passkeys.of(account.id).await?;
    if mine.len() >= MAX_PER_PERSON {
        return Ok(error(
            422,
            &text_with(
                language,
                "passkey-too-many",
                &[("count", MAX_PER_PERSON.to_string())],
            ),
        ));
    }
    let exclude = mine
        .iter()
        .filter_map(|p| serde_json::from_str::<Passkey>(&p.passkey).ok())
        .map(|p| p.cred_id().clone())
        .collect::<Vec<_>>();
    let (options, registration) = webauthn
        .start_passkey_registration(account.id, &account.email, &account.name, Some(exclude))
        .map_err(|e| AppError::Internal(format!("a passkey registration: {e}").into()))?;
    signed
        .session
        .insert(
            REGISTERING_KEY,
            Waiting {
                state: registration,
                at: state.store.clock.now(),
                next: String::new(),
            },
        )
        .map_err(AppError::session)?;
    // Ask the authenticator to keep the passkey, so that signing in needs no address first.
    // (The library's passkey registration leaves that to the authenticator; what it checks
    // when the answer comes does not depend on it.)
    let mut options = serde_json::to_value(options)?;
    if let Some(selection) = options
        .pointer_mut("/publicKey/authenticatorSelection")
        .and_then(|s| s.as_object_mut())
    {
        selection.insert("residentKey".into(), "required".into());
        selection.insert("requireResidentKey".into(), true.into());
    }
    Ok(json(200, options))
}

#[derive(Debug, Deserialize)]
pub(crate) struct RegisterForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    credential: String,
}

/// POST /account/passkeys: the browser's new passkey.
pub(crate) async fn register(
    state: web::Data<AppState>,
    request: HttpRequest,
    signed: Signed<RegisterForm>,
) -> Result<HttpResponse, AppError> {
    let webauthn = relying_party(&state)?;
    let account = &signed.staff.0;
    let language = signed.staff.language();
    let now = state.store.clock.now();
    let waiting: Option<Waiting<PasskeyRegistration>> = signed
        .session
        .remove_as(REGISTERING_KEY)
        .and_then(Result::ok);
    let Some(waiting) = waiting.filter(|w| now - w.at <= Duration::minutes(CEREMONY_MINUTES))
    else {
        return Ok(error(400, &text(language, "passkey-no-ceremony")));
    };
    let name = signed.form.name.trim();
    if name.is_empty() || name.chars().count() > redress_store::passkeys::MAX_NAME_CHARS {
        return Ok(error(
            422,
            &text_with(
                language,
                "passkey-bad-name",
                &[("max", redress_store::passkeys::MAX_NAME_CHARS.to_string())],
            ),
        ));
    }
    let Ok(credential) =
        serde_json::from_str::<RegisterPublicKeyCredential>(&signed.form.credential)
    else {
        return Ok(error(400, &text(language, "passkey-unreadable")));
    };
    let passkey = match webauthn.finish_passkey_registration(&credential, &waiting.state) {
        Ok(passkey) => passkey,
        Err(e) => {
            tracing::info!(staff = %account.id, error = %e, "passkey registration refused");
            return Ok(error(400, &text(language, "passkey-refused")));
        }
    };
    let record = serde_json::to_string(&passkey)?;
    let Some(stored) = state
        .store
        .passkeys
        .add(account.id, &credential_id(&passkey), name, &record, now)
        .await?
    else {
        return Ok(error(409, &text(language, "passkey-known")));
    };
    state
        .store
        .audit
        .record(
            now,
            AuditAction::PasskeyAdded,
            &AuditActor::staff(account),
            &account.email,
            &format!("passkey \"{}\"", stored.name),
            &crate::security::client_address(&request),
        )
        .await?;
    tracing::info!(staff = %account.id, "passkey added");
    Ok(json(
        200,
        serde_json::json!({ "location": "/account?done=passkey_added#passkeys" }),
    ))
}

/// POST /account/passkeys/{id}/remove
pub(crate) async fn remove(
    state: web::Data<AppState>,
    request: HttpRequest,
    path: web::Path<String>,
    signed: Signed<CeremonyForm>,
) -> Result<HttpResponse, AppError> {
    let id = uuid::Uuid::parse_str(path.trim()).map_err(|_| AppError::NotFound)?;
    let account = &signed.staff.0;
    let Some(removed) = state.store.passkeys.remove(account.id, id).await? else {
        // Removed already (the form sent twice), or not theirs: nothing to do, and said so.
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/account?done=passkey_gone#passkeys"))
            .finish());
    };
    state
        .store
        .audit
        .record(
            state.store.clock.now(),
            AuditAction::PasskeyRemoved,
            &AuditActor::staff(account),
            &account.email,
            &format!("passkey \"{}\"", removed.name),
            &crate::security::client_address(&request),
        )
        .await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/account?done=passkey_removed#passkeys"))
        .finish())
}

/// POST /sign-in/passkey/options: a challenge for whichever passkey the browser offers.
pub(crate) async fn sign_in_options(
    state: web::Data<AppState>,
    session: Session,
    form: Checked<CeremonyForm>,
) -> Result<HttpResponse, AppError> {
    let webauthn = relying_party(&state)?;
    let (options, authentication) = webauthn
        .start_discoverable_authentication()
        .map_err(|e| AppError::Internal(format!("a passkey sign-in: {e}").into()))?;
    session
        .insert(
            SIGNING_IN_KEY,
            Waiting {
                state: authentication,
                at: state.store.clock.now(),
                next: safe_next(form.next.as_deref()),
            },
        )
        .map_err(AppError::session)?;
    Ok(json(200, serde_json::to_value(options)?))
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    credential: String,
}

/// POST /sign-in/passkey: the browser's signed answer.
pub(crate) async fn sign_in(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    form: Checked<SignInForm>,
) -> Result<HttpResponse, AppError> {
    let webauthn = relying_party(&state)?;
    let language = of_request(&request);
    let now = state.store.clock.now();
    let address = crate::security::client_address(&request);
    let client_key = format!("sign-in:{address}");
    let refuse = |status: u16, key: &str, why: &str, who: String| {
        let state = state.clone();
        let (client_key, address, why, message) = (
            client_key.clone(),
            address.clone(),
            why.to_string(),
            text(language, key),
        );
        async move {
            state
                .store
                .rate_limits
                .count_hit(&client_key, now, SIGN_IN_WINDOW_SECONDS)
                .await?;
            state
                .store
                .audit
                .record(
                    now,
                    AuditAction::SignInFailed,
                    &AuditActor::anonymous(&who),
                    &who,
                    &format!("passkey: {why}"),
                    &address,
                )
                .await?;
            Ok::<_, AppError>(error(status, &message))
        }
    };
    if state
        .store
        .rate_limits
        .count(&client_key, now, SIGN_IN_WINDOW_SECONDS)
        .await?
        >= MAX_SIGN_INS_PER_ADDRESS
    {
        return Ok(error(
            429,
            &text_with(
                language,
                "note-too-many-here",
                &[("minutes", (SIGN_IN_WINDOW_SECONDS / 60).to_string())],
            ),
        ));
    }
    let waiting: Option<Waiting<DiscoverableAuthentication>> =
        session.remove_as(SIGNING_IN_KEY).and_then(Result::ok);
    let Some(waiting) = waiting.filter(|w| now - w.at <= Duration::minutes(CEREMONY_MINUTES))
    else {
        return refuse(
            400,
            "passkey-no-ceremony",
            "no sign-in was started in this browser (or it took too long)",
            "passkey".into(),
        )
        .await;
    };
    let Ok(credential) = serde_json::from_str::<PublicKeyCredential>(&form.credential) else {
        return refuse(
            400,
            "passkey-unreadable",
            "the browser's answer could not be read",
            "passkey".into(),
        )
        .await;
    };
    let Ok((account_id, raw_id)) = webauthn.identify_discoverable_authentication(&credential)
    else {
        return refuse(
            401,
            "passkey-unknown",
            "the answer names no account",
            "passkey".into(),
        )
        .await;
    };
    let credential_id = URL_SAFE_NO_PAD.encode(raw_id);
    let stored = state
        .store
        .passkeys
        .of(account_id)
        .await?
        .into_iter()
        .find(|p| p.credential_id == credential_id);
    let Some(stored) = stored else {
        return refuse(
            401,
            "passkey-unknown",
            "no account has this passkey (removed?)",
            "passkey".into(),
        )
        .await;
    };
    let Ok(mut passkey) = serde_json::from_str::<Passkey>(&stored.passkey) else {
        return Err(AppError::Internal(
            format!("passkey {} cannot be read", stored.id).into(),
        ));
    };
    let Some(account) = state.store.accounts.get(account_id).await? else {
        return refuse(
            401,
            "passkey-unknown",
            "the passkey's account is gone",
            "passkey".into(),
        )
        .await;
    };
    let result = match webauthn.finish_discoverable_authentication_v2(
        &credential,
        waiting.state,
        &passkey,
    ) {
        Ok(result) => result,
        Err(e) => {
            return refuse(
                401,
                "passkey-refused",
                &format!("the signature was refused ({e})"),
                account.email.clone(),
            )
            .await;
        }
    };
    if !account.active {
        return refuse(
            403,
            "note-deactivated",
            "the account is deactivated",
            account.email.clone(),
        )
        .await;
    }
    if let Err(refused) = state.sign_in.passkey_allowed(&account) {
        return refuse(403, refused.key(), refused.reason(), account.email.clone()).await;
    }
    passkey.update_credential(&result);
    state
        .store
        .passkeys
        .used(stored.id, &serde_json::to_string(&passkey)?, now)
        .await?;
    start_session(
        &state,
        &session,
        &request,
        &account,
        &format!("passkey \"{}\"", stored.name),
    )
    .await?;
    Ok(json(200, serde_json::json!({ "location": waiting.next })))
}

csrf_protected!(CeremonyForm, RegisterForm, SignInForm);
