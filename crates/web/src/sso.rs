//! Single sign-on with the company's OpenID Connect provider: the authorization code flow
//! with PKCE (the `openidconnect` crate).
//!
//! - `/sign-in/sso` discovers the provider (kept ten minutes), keeps a fresh `state`, `nonce`
//!   and PKCE verifier in this browser's encrypted session cookie, and sends the browser to the
//!   provider.
//! - `/sign-in/sso/callback` takes the provider's answer once: the `state` must be the one this
//!   browser was given (within ten minutes), the code is exchanged with the verifier, and the
//!   ID token's signature (the provider's published keys), issuer, audience (this client),
//!   expiry and nonce are checked, then the access token's hash when it carries one.
//! - The person is the account with the token's address, which the provider must say it
//!   verified. An unknown address gets an account (limited to single sign-on) only when the
//!   installation allows it, with the role it names. A deactivated account stays out.
//! - Every refusal is a page that says what went wrong, is audited, counts toward the
//!   address's sign-in limit, and changes nothing.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use actix_session::Session;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Duration, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    TokenResponse,
};
use redress_domain::Language;
use redress_store::{AuditAction, AuditActor, Role, StaffAccount, accounts};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::auth::{MAX_SIGN_INS_PER_ADDRESS, SIGN_IN_WINDOW_SECONDS, safe_next, start_session};
use crate::error::AppError;
use crate::locale::{of_request, text, text_with};
use crate::{AppState, render};

/// Where the sign-in under way is kept (the encrypted session cookie).
const PENDING_KEY: &str = "sso_pending";
/// How long the provider has to send the person back.
const PENDING_MINUTES: i64 = 10;
/// How long the provider's metadata and keys are kept before they are read again.
const DISCOVERY_TTL: StdDuration = StdDuration::from_secs(600);

/// Single sign-on, as configured.
#[derive(Clone)]
pub struct SsoSettings {
    /// The provider's issuer URL (its discovery document is under it).
    pub issuer: String,
    /// This installation's client id at the provider.
    pub client_id: String,
    /// Its client secret.
    pub client_secret: String,
    /// What the sign-in button calls the provider ("Okta", "Microsoft").
    pub name: String,
    /// The role of accounts made at a first sign-in; `None`: unknown addresses are refused.
    pub new_accounts: Option<Role>,
    /// Where the provider sends people back (`<public URL>/sign-in/sso/callback`).
    pub redirect_url: String,
}

impl std::fmt::Debug for SsoSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SsoSettings")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &"(hidden)")
            .field("name", &self.name)
            .field("new_accounts", &self.new_accounts)
            .finish()
    }
}

/// Single sign-on, running: the settings, an HTTP client that follows no redirects (the
/// library's advice against request forgery), and the provider's metadata once read.
pub struct Sso {
    settings: SsoSettings,
    http: reqwest::Client,
    discovered: Arc<Mutex<Option<(Instant, CoreProviderMetadata)>>>,
}

impl Sso {
    /// Single sign-on with `settings`.
    pub fn new(settings: SsoSettings) -> Self {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(StdDuration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            settings,
            http,
            discovered: Arc::new(Mutex::new(None)),
        }
    }

    /// What the sign-in page's button calls the provider.
    pub fn name(&self) -> &str {
        &self.settings.name
    }

    async fn metadata(&self) -> Result<CoreProviderMetadata, String> {
        let mut kept = self.discovered.lock().await;
        if let Some((at, metadata)) = kept.as_ref()
            && at.elapsed() < DISCOVERY_TTL
        {
            return Ok(metadata.clone());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| e.to_string())?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &self.http)
            .await
            .map_err(|e| error_chain(&e))?;
        *kept = Some((Instant::now(), metadata.clone()));
        Ok(metadata)
    }

    /// Forgets the metadata (after a token signed with a key it did not list: the provider
    /// may have rotated its keys).
    async fn forget_metadata(&self) {
        *self.discovered.lock().await = None;
    }
}

/// An error and its causes, on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

/// A sign-in sent to the provider, waiting in this browser.
#[derive(Debug, Serialize, Deserialize)]
struct Pending {
    state: String,
    nonce: String,
    verifier: String,
    next: String,
    at: DateTime<Utc>,
}

fn sso(state: &AppState) -> Result<&Sso, AppError> {
    state.sign_in.sso.as_ref().ok_or(AppError::NotFound)
}

/// A page that says why single sign-on did not sign the person in, audited, and counted
/// toward the address's limit.
struct Refusal<'a> {
    state: &'a AppState,
    request: &'a HttpRequest,
    language: Language,
}

impl Refusal<'_> {
    /// The provider could not be read (502).
    async fn unreachable(&self, error: &str) -> Result<HttpResponse, AppError> {
        self.refuse(
            502,
            &text(self.language, "sso-unreachable"),
            &format!("the provider could not be read ({error})"),
            "single sign-on",
        )
        .await
    }

    async fn refuse(
        &self,
        status: u16,
        message: &str,
        audited: &str,
        who: &str,
    ) -> Result<HttpResponse, AppError> {
        let now = self.state.store.clock.now();
        let address = crate::security::client_address(self.request);
        self.state
            .store
            .audit
            .record(
                now,
                AuditAction::SignInFailed,
                &AuditActor::anonymous(who),
                who,
                &format!("single sign-on: {audited}"),
                &address,
            )
            .await?;
        self.state
            .store
            .rate_limits
            .count_hit(&format!("sign-in:{address}"), now, SIGN_IN_WINDOW_SECONDS)
            .await?;
        tracing::info!(reason = audited, "single sign-on refused");
        let mut context = tera::Context::new();
        context.insert("lang", self.language.code());
        context.insert("error", message);
        render(self.state, "auth/sso_refused.html", &context, status)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct StartQuery {
    next: Option<String>,
}

/// GET /sign-in/sso: off to the provider.
pub(crate) async fn start(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, AppError> {
    let sso = sso(&state)?;
    let language = of_request(&request);
    let refusal = Refusal {
        state: &state,
        request: &request,
        language,
    };
    let now = state.store.clock.now();
    let address = crate::security::client_address(&request);
    if state
        .store
        .rate_limits
        .count(&format!("sign-in:{address}"), now, SIGN_IN_WINDOW_SECONDS)
        .await?
        >= MAX_SIGN_INS_PER_ADDRESS
    {
        let message = text_with(
            language,
            "note-too-many-here",
            &[("minutes", (SIGN_IN_WINDOW_SECONDS / 60).to_string())],
        );
        let mut context = tera::Context::new();
        context.insert("lang", language.code());
        context.insert("error", &message);
        return render(&state, "auth/sso_refused.html", &context, 429);
    }
    let client = match client(sso).await? {
        Ok(client) => client,
        Err(error) => return refusal.unreachable(&error).await,
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();
    session
        .insert(
            PENDING_KEY,
            Pending {
                state: csrf.secret().clone(),
                nonce: nonce.secret().clone(),
                verifier: verifier.secret().clone(),
                next: safe_next(query.next.as_deref()),
                at: now,
            },
        )
        .map_err(AppError::session)?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, url.to_string()))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The client for the provider as it describes itself now, or why it cannot be read.
async fn client(sso: &Sso) -> Result<Result<Client, String>, AppError> {
    let metadata = match sso.metadata().await {
        Ok(metadata) => metadata,
        Err(error) => {
            tracing::warn!(%error, issuer = %sso.settings.issuer, "single sign-on: the provider cannot be read");
            return Ok(Err(error));
        }
    };
    let redirect = RedirectUrl::new(sso.settings.redirect_url.clone())
        .map_err(|e| AppError::Internal(format!("the SSO redirect address: {e}").into()))?;
    Ok(Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(sso.settings.client_id.clone()),
        Some(ClientSecret::new(sso.settings.client_secret.clone())),
    )
    .set_redirect_uri(redirect)))
}

#[derive(Debug, Deserialize)]
pub(crate) struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// GET /sign-in/sso/callback: the provider's answer.
pub(crate) async fn callback(
    state: web::Data<AppState>,
    session: Session,
    request: HttpRequest,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, AppError> {
    let sso = sso(&state)?;
    let language = of_request(&request);
    let refusal = Refusal {
        state: &state,
        request: &request,
        language,
    };
    let now = state.store.clock.now();
    // Taken once: a second answer with the same state finds nothing.
    let pending: Option<Pending> = session.remove_as(PENDING_KEY).and_then(Result::ok);
    let Some(pending) = pending.filter(|p| now - p.at <= Duration::minutes(PENDING_MINUTES)) else {
        return refusal
            .refuse(
                400,
                &text(language, "sso-no-sign-in-started"),
                "no sign-in was started in this browser (or it took too long)",
                "single sign-on",
            )
            .await;
    };
    let answered_state = query.state.as_deref().unwrap_or("");
    if !crate::auth::constant_time_eq(answered_state.as_bytes(), pending.state.as_bytes()) {
        return refusal
            .refuse(
                400,
                &text(language, "sso-wrong-state"),
                "the state does not match the sign-in this browser started",
                "single sign-on",
            )
            .await;
    }
    if let Some(error) = query.error.as_deref() {
        let described = query.error_description.as_deref().unwrap_or("");
        let said: String = format!("{error} {described}").chars().take(300).collect();
        return refusal
            .refuse(
                401,
                &text_with(language, "sso-provider-refused", &[("error", said.clone())]),
                &format!("the provider answered {said}"),
                "single sign-on",
            )
            .await;
    }
    let Some(code) = query.code.clone().filter(|c| !c.is_empty()) else {
        return refusal
            .refuse(
                400,
                &text(language, "sso-no-code"),
                "the answer carries no code",
                "single sign-on",
            )
            .await;
    };
    let client = match client(sso).await? {
        Ok(client) => client,
        Err(error) => return refusal.unreachable(&error).await,
    };
    let exchange = match client.exchange_code(AuthorizationCode::new(code)) {
        Ok(request) => {
            request
                .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
                .request_async(&sso.http)
                .await
        }
        Err(error) => {
            return Err(AppError::Internal(
                format!("the provider lists no token endpoint: {error}").into(),
            ));
        }
    };
    let tokens = match exchange {
        Ok(tokens) => tokens,
        Err(error) => {
            return refusal
                .refuse(
                    401,
                    &text(language, "sso-code-refused"),
                    &format!("the code was not accepted ({})", error_chain(&error)),
                    "single sign-on",
                )
                .await;
        }
    };
    let Some(id_token) = tokens.id_token() else {
        return refusal
            .refuse(
                401,
                &text(language, "sso-token-refused"),
                "the provider sent no ID token",
                "single sign-on",
            )
            .await;
    };
    let verifier = client.id_token_verifier();
    let nonce = Nonce::new(pending.nonce.clone());
    let claims = match id_token.claims(&verifier, &nonce) {
        Ok(claims) => claims,
        Err(error) => {
            if matches!(error, ClaimsVerificationError::SignatureVerification(_)) {
                sso.forget_metadata().await;
            }
            let (key, why) = refused_claims(&error);
            return refusal
                .refuse(
                    401,
                    &text(language, key),
                    &format!("{why} ({error})"),
                    "single sign-on",
                )
                .await;
        }
    };
    if let Some(expected) = claims.access_token_hash() {
        let matches = id_token
            .signing_alg()
            .ok()
            .zip(id_token.signing_key(&verifier).ok())
            .and_then(|(alg, key)| {
                AccessTokenHash::from_token(tokens.access_token(), alg, key).ok()
            })
            .is_some_and(|actual| actual == *expected);
        if !matches {
            return refusal
                .refuse(
                    401,
                    &text(language, "sso-token-refused"),
                    "the access token does not match the ID token's hash of it",
                    "single sign-on",
                )
                .await;
        }
    }
    let Some(email) = claims.email().map(|e| e.as_str().trim().to_lowercase()) else {
        return refusal
            .refuse(
                401,
                &text(language, "sso-no-email"),
                "the ID token carries no email address",
                "single sign-on",
            )
            .await;
    };
    if claims.email_verified() != Some(true) {
        return refusal
            .refuse(
                403,
                &text_with(language, "sso-unverified", &[("email", email.clone())]),
                "the provider has not verified the address",
                &email,
            )
            .await;
    }
    let name = claims
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
    let account = match state.store.accounts.credentials(&email).await? {
        Some((account, _)) => account,
        None => match sso.settings.new_accounts {
            Some(role) => create_account(&state, &request, &email, &name, role).await?,
            None => {
                return refusal
                    .refuse(
                        403,
                        &text_with(language, "sso-no-account", &[("email", email.clone())]),
                        "no account has this address, and single sign-on makes none",
                        &email,
                    )
                    .await;
            }
        },
    };
    if !account.active {
        return refusal
            .refuse(
                403,
                &text(language, "note-deactivated"),
                "the account is deactivated",
                &email,
            )
            .await;
    }
    start_session(&state, &session, &request, &account, "single sign-on").await?;
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, pending.next))
        .finish())
}

/// The staff text and the audit's words for an ID token whose claims were refused.
fn refused_claims(error: &ClaimsVerificationError) -> (&'static str, &'static str) {
    match error {
        ClaimsVerificationError::Expired(_) => ("sso-expired", "the ID token has expired"),
        ClaimsVerificationError::InvalidNonce(_) => (
            "sso-wrong-nonce",
            "the ID token's nonce is not this sign-in's",
        ),
        ClaimsVerificationError::InvalidAudience(_) => (
            "sso-other-client",
            "the ID token was issued to another client",
        ),
        ClaimsVerificationError::InvalidIssuer(_) => (
            "sso-token-refused",
            "the ID token comes from another issuer",
        ),
        ClaimsVerificationError::SignatureVerification(_) => (
            "sso-token-refused",
            "the ID token's signature does not verify",
        ),
        _ => ("sso-token-refused", "the ID token was refused"),
    }
}

/// An account for someone the provider vouched for, limited to single sign-on (its password
/// is random and never shown).
async fn create_account(
    state: &AppState,
    request: &HttpRequest,
    email: &str,
    name: &str,
    role: Role,
) -> Result<StaffAccount, AppError> {
    let unusable = {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bytes)
    };
    let hash = web::block(move || accounts::hash_password(&unusable))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::Internal(e.into()))?;
    let name: String = name.chars().take(100).collect();
    let account = state
        .store
        .accounts
        .create(email, &name, role, &hash)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    state
        .store
        .accounts
        .set_sso_only(account.id, true)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    state
        .store
        .audit
        .record(
            state.store.clock.now(),
            AuditAction::AccountCreated,
            &AuditActor::system("single sign-on"),
            email,
            &format!(
                "at the first single sign-on, as {}, single sign-on only",
                role.code()
            ),
            &crate::security::client_address(request),
        )
        .await?;
    tracing::info!(staff = %account.id, "account created at the first single sign-on");
    Ok(StaffAccount {
        sso_only: true,
        ..account
    })
}
