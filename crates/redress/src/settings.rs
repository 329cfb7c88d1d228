//! Settings: defaults, then an optional TOML file, then `REDRESS_*` environment variables.
//! One table ([`SETTINGS`]) documents them all; `redress --help` and the example file
//! `redress.example.toml` are generated from it (a test keeps the file in step).

use std::path::Path;

use serde::Deserialize;

/// One setting, documented.
#[derive(Debug, Clone, Copy)]
pub struct SettingDoc {
    /// Key in the file.
    pub key: &'static str,
    /// Environment variable.
    pub env: &'static str,
    /// Default value, as TOML.
    pub default: &'static str,
    /// What it does.
    pub help: &'static str,
}

/// Every setting.
pub const SETTINGS: &[SettingDoc] = &[
    SettingDoc {
        key: "database_url",
        env: "REDRESS_DATABASE_URL",
        default: "\"sqlite://data/redress.db\"",
        help: "Where events and read models live. sqlite://PATH (embedded, the default) or \
               postgres://USER:PASSWORD@HOST:PORT/DATABASE.",
    },
    SettingDoc {
        key: "bind",
        env: "REDRESS_BIND",
        default: "\"127.0.0.1:8080\"",
        help: "Address and port the web server listens on.",
    },
    SettingDoc {
        key: "database_max_connections",
        env: "REDRESS_DATABASE_MAX_CONNECTIONS",
        default: "16",
        help: "Largest number of pooled database connections (SQLite uses at most 4).",
    },
    SettingDoc {
        key: "projector_poll_ms",
        env: "REDRESS_PROJECTOR_POLL_MS",
        default: "1000",
        help: "How often projectors look for new events when no wake-up arrives, in milliseconds.",
    },
    SettingDoc {
        key: "secure_cookies",
        env: "REDRESS_SECURE_COOKIES",
        default: "false",
        help: "Mark session cookies Secure; set to true when Redress is served over HTTPS.",
    },
    SettingDoc {
        key: "public_url",
        env: "REDRESS_PUBLIC_URL",
        default: "\"http://127.0.0.1:8080\"",
        help: "The address customers reach Redress at; links in emails (to the customer's \
               status page and survey) start with it.",
    },
    SettingDoc {
        key: "organisation",
        env: "REDRESS_ORGANISATION",
        default: "\"Redress Demo Ltd\"",
        help: "Your organisation's name, as customers know it (used in every email).",
    },
    SettingDoc {
        key: "currency",
        env: "REDRESS_CURRENCY",
        default: "\"GBP\"",
        help: "The currency redress is paid in (ISO 4217, e.g. GBP, EUR, RON): amounts in emails \
               and on the customer's page are written in it, as each language writes money, \
               and the reports name it.",
    },
    SettingDoc {
        key: "mail_from",
        env: "REDRESS_MAIL_FROM",
        default: "\"Complaints <complaints@redress.example>\"",
        help: "The From address of customer emails; its domain ends every Message-ID.",
    },
    SettingDoc {
        key: "mail_reply_to",
        env: "REDRESS_MAIL_REPLY_TO",
        default: "\"\"",
        help: "Where customers' replies go (the Reply-To of their emails). Empty: with an \
               intake mailbox (imap_url) the From address, whose mail the intake reads; \
               without one, no Reply-To, and emails do not invite replies (nobody reads them).",
    },
    SettingDoc {
        key: "smtp_url",
        env: "REDRESS_SMTP_URL",
        default: "\"\"",
        help: "The SMTP server: smtp://HOST:25 (plain), smtp://HOST:587?tls=required \
               (STARTTLS) or smtps://HOST:465 (TLS); put USER:PASSWORD@ before the host to \
               authenticate. Empty: emails are written as .eml files to mail_dir.",
    },
    SettingDoc {
        key: "smtp_ca_file",
        env: "REDRESS_SMTP_CA_FILE",
        default: "\"\"",
        help: "A PEM file with the certificate authority (or self-signed certificate) of the \
               SMTP server, trusted beside the public roots. Empty: public roots only.",
    },
    SettingDoc {
        key: "mail_dir",
        env: "REDRESS_MAIL_DIR",
        default: "\"data/mail\"",
        help: "Where emails are written when no SMTP server is configured.",
    },
    SettingDoc {
        key: "mail_max_attempts",
        env: "REDRESS_MAIL_MAX_ATTEMPTS",
        default: "8",
        help: "Sending attempts before an email is marked dead and listed for admins.",
    },
    SettingDoc {
        key: "mail_retry_seconds",
        env: "REDRESS_MAIL_RETRY_SECONDS",
        default: "30",
        help: "Delay before the first retry of a failed email; each next retry waits twice as \
               long (at most six hours).",
    },
    SettingDoc {
        key: "mail_lease_seconds",
        env: "REDRESS_MAIL_LEASE_SECONDS",
        default: "120",
        help: "How long a sender holds an email it is sending; if its instance dies, another \
               sends the email once this has passed. Longer than the SMTP timeout (15 s).",
    },
    SettingDoc {
        key: "mail_templates_dir",
        env: "REDRESS_MAIL_TEMPLATES_DIR",
        default: "\"\"",
        help: "A directory of email templates (receipt.txt, receipt.html, ...) that replace \
               the built-in ones of the same name. Empty: the built-in templates.",
    },
    SettingDoc {
        key: "ombudsman",
        env: "REDRESS_OMBUDSMAN",
        default: "\"the Ombudsman Service (www.ombudsman.example, 0800 000 0000)\"",
        help: "Where a customer unhappy with the outcome can turn, as written in the outcome \
               email (an ombudsman or regulator, with how to reach them).",
    },
    SettingDoc {
        key: "ombudsman_es",
        env: "REDRESS_OMBUDSMAN_ES",
        default: "\"\"",
        help: "The same, in Spanish, for Spanish emails. Empty: the ombudsman setting (or, \
               while that is the built-in example, its Spanish translation).",
    },
    SettingDoc {
        key: "ombudsman_ro",
        env: "REDRESS_OMBUDSMAN_RO",
        default: "\"\"",
        help: "The same, in Romanian, for Romanian emails.",
    },
    SettingDoc {
        key: "ombudsman_zh",
        env: "REDRESS_OMBUDSMAN_ZH",
        default: "\"\"",
        help: "The same, in Chinese, for Chinese emails.",
    },
    SettingDoc {
        key: "imap_url",
        env: "REDRESS_IMAP_URL",
        default: "\"\"",
        help: "The complaints mailbox, read for new complaints and replies: \
               imaps://USER:PASSWORD@HOST:993 (TLS) or imap://USER:PASSWORD@HOST:143 \
               (STARTTLS, required); user and password percent-encoded. Empty: no email intake.",
    },
    SettingDoc {
        key: "imap_ca_file",
        env: "REDRESS_IMAP_CA_FILE",
        default: "\"\"",
        help: "A PEM file with the certificate authority of the IMAP server, trusted beside the \
               public roots. Empty: public roots only.",
    },
    SettingDoc {
        key: "imap_folder",
        env: "REDRESS_IMAP_FOLDER",
        default: "\"INBOX\"",
        help: "The folder new mail arrives in; every message in it is handled, then moved out.",
    },
    SettingDoc {
        key: "imap_processed_folder",
        env: "REDRESS_IMAP_PROCESSED_FOLDER",
        default: "\"Processed\"",
        help: "Where handled messages are moved (created if missing).",
    },
    SettingDoc {
        key: "imap_quarantine_folder",
        env: "REDRESS_IMAP_QUARANTINE_FOLDER",
        default: "\"Quarantine\"",
        help: "Where messages that cannot be read are moved for people to look at (created if \
               missing); admins see them listed on /admin/intake.",
    },
    SettingDoc {
        key: "imap_poll_seconds",
        env: "REDRESS_IMAP_POLL_SECONDS",
        default: "60",
        help: "How often the mailbox is looked at when the server has no IDLE; with IDLE, new \
               mail is read at once and the IDLE is renewed this often.",
    },
    SettingDoc {
        key: "intake_max_file_mb",
        env: "REDRESS_INTAKE_MAX_FILE_MB",
        default: "10",
        help: "The largest file kept from an email, in MB; larger ones are refused with a note \
               on the complaint.",
    },
    SettingDoc {
        key: "intake_max_files",
        env: "REDRESS_INTAKE_MAX_FILES",
        default: "10",
        help: "The most files kept from one email; the rest are refused with a note.",
    },
    SettingDoc {
        key: "intake_max_email_mb",
        env: "REDRESS_INTAKE_MAX_EMAIL_MB",
        default: "25",
        help: "The largest email read, in MB; a larger one is not downloaded but quarantined \
               (listed on /admin/intake with its sender and subject).",
    },
    SettingDoc {
        key: "intake_max_new_per_hour",
        env: "REDRESS_INTAKE_MAX_NEW_PER_HOUR",
        default: "5",
        help: "The most new complaints one sender's mail makes in an hour; more is set aside \
               (so a misbehaving robot or a spam run makes no flood of complaints and receipts).",
    },
    SettingDoc {
        key: "upload_max_file_mb",
        env: "REDRESS_UPLOAD_MAX_FILE_MB",
        default: "10",
        help: "The largest file staff may send with a reply, and customers may add on the form \
               or their status page, in MB.",
    },
    SettingDoc {
        key: "upload_max_files",
        env: "REDRESS_UPLOAD_MAX_FILES",
        default: "5",
        help: "The most files one reply, complaint form or addition may carry.",
    },
    SettingDoc {
        key: "intake_closed_rule",
        env: "REDRESS_INTAKE_CLOSED_RULE",
        default: "\"reopen\"",
        help: "What a closed complaint does when its customer writes again: reopen (the email \
               is what they said) or attach (recorded as a communication). A resolved complaint \
               not yet closed always keeps it as a communication.",
    },
    SettingDoc {
        key: "intake_category",
        env: "REDRESS_INTAKE_CATEGORY",
        default: "\"General\"",
        help: "The category of complaints that arrive by email: a code (or name) of the list on \
               /categories; the start is refused when the list has no such category.",
    },
    SettingDoc {
        key: "intake_language",
        env: "REDRESS_INTAKE_LANGUAGE",
        default: "\"en\"",
        help: "The language for customers who write by email when it cannot be told from their \
               words: en, es, ro or zh.",
    },
    SettingDoc {
        key: "session_idle_minutes",
        env: "REDRESS_SESSION_IDLE_MINUTES",
        default: "60",
        help: "A staff session unused this long ends (the next page asks to sign in again).",
    },
    SettingDoc {
        key: "session_absolute_hours",
        env: "REDRESS_SESSION_ABSOLUTE_HOURS",
        default: "12",
        help: "A staff session ends this long after sign-in, however busy.",
    },
    SettingDoc {
        key: "trust_forwarded_for",
        env: "REDRESS_TRUST_FORWARDED_FOR",
        default: "false",
        help: "Behind a reverse proxy that appends the client's address to X-Forwarded-For, \
               set to true: rate limits and the audit trail then use that address. Never \
               true without such a proxy (anyone can write the header).",
    },
    SettingDoc {
        key: "api_requests_per_minute",
        env: "REDRESS_API_REQUESTS_PER_MINUTE",
        default: "600",
        help: "Requests one API token may make per minute; beyond, 429 until the minute ends.",
    },
    SettingDoc {
        key: "webhook_timeout_seconds",
        env: "REDRESS_WEBHOOK_TIMEOUT_SECONDS",
        default: "10",
        help: "How long a webhook endpoint has to answer before the attempt counts as failed.",
    },
    SettingDoc {
        key: "webhook_retry_ms",
        env: "REDRESS_WEBHOOK_RETRY_MS",
        default: "10000",
        help: "The pause after a webhook delivery's first failed attempt, in milliseconds; it \
               doubles with each failure after, up to an hour.",
    },
    SettingDoc {
        key: "webhook_max_failures",
        env: "REDRESS_WEBHOOK_MAX_FAILURES",
        default: "10",
        help: "Failed attempts in a row after which a webhook endpoint is switched off (an \
               admin switches it back on at /admin/webhooks; what waited is then sent).",
    },
    SettingDoc {
        key: "recovery_score",
        env: "REDRESS_RECOVERY_SCORE",
        default: "2",
        help: "Service recovery: a customer's score of the handling at or below this (1 to 4) \
               opens a follow-up complaint on the survey channel for the first complaint's \
               owner, linked to it, with its own SLA clocks. 0 turns it off.",
    },
    SettingDoc {
        key: "survey_every_months",
        env: "REDRESS_SURVEY_EVERY_MONTHS",
        default: "0",
        help: "Periodic surveys: every contact with an address who complained once is asked \
               \"If you ran this company, what would you change?\" every this many months \
               (not while a complaint of theirs is open, never once they stop it). 0: only \
               the major contacts of key accounts, if REDRESS_SURVEY_KEY_EVERY_MONTHS says so. \
               The four survey settings apply until an admin saves rules at /admin/surveys.",
    },
    SettingDoc {
        key: "survey_key_every_months",
        env: "REDRESS_SURVEY_KEY_EVERY_MONTHS",
        default: "0",
        help: "Periodic surveys: the major contacts of key accounts are asked every this many \
               months (0: as every other contact).",
    },
    SettingDoc {
        key: "survey_min_days",
        env: "REDRESS_SURVEY_MIN_DAYS",
        default: "30",
        help: "Periodic surveys: nobody is asked twice within this many days.",
    },
    SettingDoc {
        key: "survey_per_hour",
        env: "REDRESS_SURVEY_PER_HOUR",
        default: "200",
        help: "Periodic surveys: invitations sent per hour at most; a wave is spread over as \
               many hours as it needs, so it never floods the outbox or the SMTP server.",
    },
    SettingDoc {
        key: "key_account_contact_months",
        env: "REDRESS_KEY_ACCOUNT_CONTACT_MONTHS",
        default: "3",
        help: "A key account with no meeting or call recorded for longer than this many months \
               is flagged at risk on /companies/key-accounts (as are falling satisfaction, a \
               breach or a low score in the last 90 days, and a meeting overdue).",
    },
    SettingDoc {
        key: "retention_days",
        env: "REDRESS_RETENTION_DAYS",
        default: "2190",
        help: "Days a customer's personal data is kept after their last complaint closed \
               (2190: six years; the UK FCA asks for at least three), then erased by a daily \
               job (their complaints keep their figures). 0: kept until erased on request.",
    },
    SettingDoc {
        key: "sso_issuer",
        env: "REDRESS_SSO_ISSUER",
        default: "\"\"",
        help: "Single sign-on: the issuer URL of the company's OpenID Connect provider (its \
               discovery document is under it). Empty: no single sign-on. Register Redress \
               there as a confidential web client whose redirect URI is <public_url>/sign-in/sso/callback.",
    },
    SettingDoc {
        key: "sso_client_id",
        env: "REDRESS_SSO_CLIENT_ID",
        default: "\"\"",
        help: "Single sign-on: Redress's client id at the provider.",
    },
    SettingDoc {
        key: "sso_client_secret",
        env: "REDRESS_SSO_CLIENT_SECRET",
        default: "\"\"",
        help: "Single sign-on: Redress's client secret at the provider (never logged).",
    },
    SettingDoc {
        key: "sso_name",
        env: "REDRESS_SSO_NAME",
        default: "\"single sign-on\"",
        help: "What the sign-in page's button calls the provider (\"Sign in with …\").",
    },
    SettingDoc {
        key: "sso_new_accounts",
        env: "REDRESS_SSO_NEW_ACCOUNTS",
        default: "\"\"",
        help: "The role (agent or manager) given to someone whose verified address has no \
               account when they first sign in with single sign-on; the account signs in only \
               with single sign-on. Empty: such people are refused, and an admin makes accounts.",
    },
    SettingDoc {
        key: "password_sign_in",
        env: "REDRESS_PASSWORD_SIGN_IN",
        default: "true",
        help: "Whether passwords sign in. false: only single sign-on and passkeys do, and the \
               password of break_glass_admin (for when the provider is down).",
    },
    SettingDoc {
        key: "break_glass_admin",
        env: "REDRESS_BREAK_GLASS_ADMIN",
        default: "\"\"",
        help: "The address of the one admin whose password still signs in when \
               password_sign_in is false.",
    },
    SettingDoc {
        key: "log",
        env: "REDRESS_LOG",
        default: "\"info\"",
        help: "Log filter, e.g. info or redress_store=debug,info.",
    },
    SettingDoc {
        key: "log_format",
        env: "REDRESS_LOG_FORMAT",
        default: "\"text\"",
        help: "text (for people) or json (one object per line, for log collectors). Every line \
               of a request carries its request_id, also sent back in X-Request-Id.",
    },
];

/// A secret setting (a client secret): `Debug` never shows it; the code that uses it reads it
/// through `Deref`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl std::ops::Deref for Secret {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "\"\""
        } else {
            "\"(hidden)\""
        })
    }
}

/// A setting that may carry a password (the database, SMTP and IMAP URLs): `Debug` and
/// `Display` show it with the password masked, so a log line or a panic never prints it; the
/// code that connects reads the whole text through `Deref`.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(String);

impl SecretUrl {
    /// A URL as given.
    pub fn new(url: impl Into<String>) -> Self {
        Self(url.into())
    }
}

impl std::ops::Deref for SecretUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::redact(&self.0))
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&crate::redact(&self.0))
    }
}

impl PartialEq<&str> for SecretUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

/// The settings in force.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// See [`SETTINGS`].
    pub database_url: SecretUrl,
    /// See [`SETTINGS`].
    pub bind: String,
    /// See [`SETTINGS`].
    pub database_max_connections: u32,
    /// See [`SETTINGS`].
    pub projector_poll_ms: u64,
    /// See [`SETTINGS`].
    pub secure_cookies: bool,
    /// See [`SETTINGS`].
    pub log: String,
    /// See [`SETTINGS`].
    pub log_format: String,
    /// See [`SETTINGS`].
    pub public_url: String,
    /// See [`SETTINGS`].
    pub organisation: String,
    /// See [`SETTINGS`].
    pub currency: String,
    /// See [`SETTINGS`].
    pub mail_from: String,
    /// See [`SETTINGS`].
    pub mail_reply_to: String,
    /// See [`SETTINGS`].
    pub smtp_url: SecretUrl,
    /// See [`SETTINGS`].
    pub smtp_ca_file: String,
    /// See [`SETTINGS`].
    pub mail_dir: String,
    /// See [`SETTINGS`].
    pub mail_max_attempts: u32,
    /// See [`SETTINGS`].
    pub mail_retry_seconds: u64,
    /// See [`SETTINGS`].
    pub mail_lease_seconds: u64,
    /// See [`SETTINGS`].
    pub mail_templates_dir: String,
    /// See [`SETTINGS`].
    pub ombudsman: String,
    /// See [`SETTINGS`].
    pub ombudsman_es: String,
    /// See [`SETTINGS`].
    pub ombudsman_ro: String,
    /// See [`SETTINGS`].
    pub ombudsman_zh: String,
    /// See [`SETTINGS`].
    pub session_idle_minutes: i64,
    /// See [`SETTINGS`].
    pub session_absolute_hours: i64,
    /// See [`SETTINGS`].
    pub trust_forwarded_for: bool,
    /// See [`SETTINGS`].
    pub api_requests_per_minute: i64,
    /// See [`SETTINGS`].
    pub webhook_timeout_seconds: u64,
    /// See [`SETTINGS`].
    pub webhook_retry_ms: u64,
    /// See [`SETTINGS`].
    pub webhook_max_failures: i32,
    /// See [`SETTINGS`].
    pub recovery_score: u8,
    /// See [`SETTINGS`].
    pub key_account_contact_months: u32,
    /// See [`SETTINGS`].
    pub survey_every_months: u32,
    /// See [`SETTINGS`].
    pub survey_key_every_months: u32,
    /// See [`SETTINGS`].
    pub survey_min_days: u32,
    /// See [`SETTINGS`].
    pub survey_per_hour: u32,
    /// See [`SETTINGS`].
    pub retention_days: u32,
    /// See [`SETTINGS`].
    pub sso_issuer: String,
    /// See [`SETTINGS`].
    pub sso_client_id: String,
    /// See [`SETTINGS`].
    pub sso_client_secret: Secret,
    /// See [`SETTINGS`].
    pub sso_name: String,
    /// See [`SETTINGS`].
    pub sso_new_accounts: String,
    /// See [`SETTINGS`].
    pub password_sign_in: bool,
    /// See [`SETTINGS`].
    pub break_glass_admin: String,
    /// See [`SETTINGS`].
    pub imap_url: SecretUrl,
    /// See [`SETTINGS`].
    pub imap_ca_file: String,
    /// See [`SETTINGS`].
    pub imap_folder: String,
    /// See [`SETTINGS`].
    pub imap_processed_folder: String,
    /// See [`SETTINGS`].
    pub imap_quarantine_folder: String,
    /// See [`SETTINGS`].
    pub imap_poll_seconds: u64,
    /// See [`SETTINGS`].
    pub intake_max_file_mb: u64,
    /// See [`SETTINGS`].
    pub intake_max_files: usize,
    /// See [`SETTINGS`].
    pub intake_max_email_mb: u64,
    /// See [`SETTINGS`].
    pub intake_max_new_per_hour: i64,
    /// See [`SETTINGS`].
    pub upload_max_file_mb: u64,
    /// See [`SETTINGS`].
    pub upload_max_files: usize,
    /// See [`SETTINGS`].
    pub intake_closed_rule: String,
    /// See [`SETTINGS`].
    pub intake_category: String,
    /// See [`SETTINGS`].
    pub intake_language: String,
}

/// The built-in example of `ombudsman` (translated while it is kept).
const EXAMPLE_OMBUDSMAN: &str = "the Ombudsman Service (www.ombudsman.example, 0800 000 0000)";

impl Settings {
    /// Who the periodic surveys ask, and how often.
    pub fn survey_rules(&self) -> redress_store::surveys::SurveyRules {
        redress_store::surveys::SurveyRules {
            every_months: self.survey_every_months.min(120),
            key_every_months: self.survey_key_every_months.min(120),
            min_days: self.survey_min_days.min(3650),
            per_hour: self.survey_per_hour.clamp(1, 1_000_000),
        }
    }

    /// Where an unhappy customer writing `language` may turn, in their language: its own
    /// setting, else `ombudsman`, whose built-in example is translated.
    pub fn ombudsman_for(&self, language: redress_domain::Language) -> String {
        use redress_domain::Language;
        let own = match language {
            Language::En => "",
            Language::Es => self.ombudsman_es.trim(),
            Language::Ro => self.ombudsman_ro.trim(),
            Language::Zh => self.ombudsman_zh.trim(),
        };
        if !own.is_empty() {
            return own.to_string();
        }
        if self.ombudsman == EXAMPLE_OMBUDSMAN {
            return match language {
                Language::En => EXAMPLE_OMBUDSMAN,
                Language::Es => {
                    "el Servicio del Defensor del Cliente (www.ombudsman.example, 0800 000 0000)"
                }
                Language::Ro => "Serviciul Ombudsman (www.ombudsman.example, 0800 000 0000)",
                Language::Zh => "申诉专员服务机构（www.ombudsman.example，0800 000 0000）",
            }
            .to_string();
        }
        self.ombudsman.clone()
    }

    /// The currency redress is paid in.
    pub fn currency(&self) -> anyhow::Result<redress_domain::Currency> {
        redress_domain::Currency::parse(&self.currency)
            .map_err(|e| anyhow::anyhow!("currency (REDRESS_CURRENCY): {e}"))
    }

    /// Where customers' replies go: `mail_reply_to`, else, when a mailbox is read
    /// (`imap_url`), the From address; else nowhere.
    pub fn reply_to(&self) -> Option<String> {
        let explicit = self.mail_reply_to.trim();
        if !explicit.is_empty() {
            Some(explicit.to_string())
        } else if !self.imap_url.trim().is_empty() {
            Some(self.mail_from.clone())
        } else {
            None
        }
    }

    /// Loads the settings: defaults, then `file` if given, then the environment.
    pub fn load(file: Option<&Path>) -> Result<Self, config::ConfigError> {
        Self::load_from(file, std::env::vars())
    }

    /// Like [`Settings::load`], with the environment given (for tests).
    pub fn load_from(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, config::ConfigError> {
        let mut defaults = String::new();
        for setting in SETTINGS {
            defaults.push_str(&format!("{} = {}\n", setting.key, setting.default));
        }
        let mut builder = config::Config::builder()
            .add_source(config::File::from_str(&defaults, config::FileFormat::Toml));
        if let Some(file) = file {
            builder = builder.add_source(
                config::File::from(file)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let known: Vec<(String, String)> = env
            .into_iter()
            .filter(|(name, _)| SETTINGS.iter().any(|s| s.env == name))
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("REDRESS")
                .try_parsing(true)
                .source(Some(known.into_iter().collect())),
        );
        builder.build()?.try_deserialize()
    }
}

/// The settings as help text for `redress --help`.
pub fn help_text() -> String {
    let mut text =
        String::from("Settings (defaults, then --config FILE, then environment variables):\n");
    for setting in SETTINGS {
        text.push_str(&format!(
            "  {:<34} {}\n  {:<34} default: {}\n",
            setting.env, setting.help, "", setting.default
        ));
    }
    text
}

/// An example configuration file with every setting at its default.
pub fn example_file() -> String {
    let mut text = String::from(
        "# Redress settings. Every key is optional; environment variables (shown) win over\n\
         # this file. Generated by `redress example-config`.\n",
    );
    for setting in SETTINGS {
        text.push_str(&format!(
            "\n# {}\n# Environment: {}\n{} = {}\n",
            setting.help, setting.env, setting.key, setting.default
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let settings = Settings::load_from(None, []).unwrap();
        assert_eq!(settings.database_url, "sqlite://data/redress.db");
        assert_eq!(settings.bind, "127.0.0.1:8080");
        assert_eq!(settings.database_max_connections, 16);
    }

    #[test]
    fn the_environment_wins_over_the_file_which_wins_over_defaults() {
        let dir = std::env::temp_dir().join(format!("redress-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("redress.toml");
        std::fs::write(&file, "bind = \"0.0.0.0:9000\"\nprojector_poll_ms = 50\n").unwrap();
        let settings = Settings::load_from(
            Some(&file),
            [
                ("REDRESS_BIND".to_string(), "127.0.0.1:7000".to_string()),
                (
                    "REDRESS_TEST_DATABASE_URL".to_string(),
                    "ignored".to_string(),
                ),
            ],
        )
        .unwrap();
        assert_eq!(settings.bind, "127.0.0.1:7000");
        assert_eq!(settings.projector_poll_ms, 50);
        assert_eq!(settings.database_url, "sqlite://data/redress.db");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_bad_value_is_reported_with_its_key() {
        let error = Settings::load_from(
            None,
            [(
                "REDRESS_DATABASE_MAX_CONNECTIONS".to_string(),
                "many".to_string(),
            )],
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("database_max_connections"),
            "{error}"
        );
    }

    #[test]
    fn passwords_in_urls_never_reach_debug_output_or_logs() {
        let settings = Settings::load_from(
            None,
            [
                (
                    "REDRESS_DATABASE_URL".to_string(),
                    "postgres://redress:db-s3cret@db.example:5432/redress".to_string(),
                ),
                (
                    "REDRESS_SMTP_URL".to_string(),
                    "smtp://mailer:smtp-s3cret@mail.example:587".to_string(),
                ),
                (
                    "REDRESS_IMAP_URL".to_string(),
                    "imaps://complaints:imap-s3cret@mail.example/INBOX".to_string(),
                ),
            ],
        )
        .unwrap();
        let shown = format!("{settings:?} {} {}", settings.smtp_url, settings.imap_url);
        for secret in ["db-s3cret", "smtp-s3cret", "imap-s3cret"] {
            assert!(!shown.contains(secret), "{secret} shown: {shown}");
        }
        assert!(
            shown.contains("postgres://redress:***@db.example:5432/redress"),
            "{shown}"
        );
        // The code that connects still reads them whole.
        assert!(settings.database_url.contains("db-s3cret"));
        assert!(settings.smtp_url.starts_with("smtp://mailer:smtp-s3cret@"));
    }

    #[test]
    fn the_ombudsman_is_named_in_each_customers_language_and_the_currency_checked() {
        use redress_domain::Language;
        let load = |env: &[(&str, &str)]| {
            Settings::load_from(
                None,
                env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            )
        };
        let defaults = load(&[]).unwrap();
        assert_eq!(defaults.ombudsman_for(Language::En), EXAMPLE_OMBUDSMAN);
        assert!(
            defaults
                .ombudsman_for(Language::Es)
                .starts_with("el Servicio del Defensor")
        );
        assert!(
            defaults
                .ombudsman_for(Language::Ro)
                .starts_with("Serviciul Ombudsman")
        );
        // An installation's own ombudsman, and a translation where given.
        let own = load(&[
            (
                "REDRESS_OMBUDSMAN",
                "the Financial Ombudsman Service (0800 023 4567)",
            ),
            (
                "REDRESS_OMBUDSMAN_RO",
                "Autoritatea Națională pentru Protecția Consumatorilor",
            ),
        ])
        .unwrap();
        assert_eq!(
            own.ombudsman_for(Language::Ro),
            "Autoritatea Națională pentru Protecția Consumatorilor"
        );
        assert_eq!(
            own.ombudsman_for(Language::Es),
            "the Financial Ombudsman Service (0800 023 4567)"
        );
        assert_eq!(defaults.currency().unwrap().code(), "GBP");
        assert_eq!(
            load(&[("REDRESS_CURRENCY", "ron")])
                .unwrap()
                .currency()
                .unwrap()
                .code(),
            "RON"
        );
        let error = load(&[("REDRESS_CURRENCY", "pounds")])
            .unwrap()
            .currency()
            .unwrap_err();
        assert!(error.to_string().contains("ISO 4217"), "{error}");
    }

    #[test]
    fn replies_go_to_the_mailbox_that_is_read() {
        let load = |env: &[(&str, &str)]| {
            Settings::load_from(
                None,
                env.iter().map(|(k, v)| (k.to_string(), v.to_string())),
            )
            .unwrap()
        };
        assert_eq!(load(&[]).reply_to(), None, "no mailbox read: no Reply-To");
        let read = load(&[
            ("REDRESS_IMAP_URL", "imaps://u:p@mail.example:993"),
            ("REDRESS_MAIL_FROM", "Complaints <c@shop.example>"),
        ]);
        assert_eq!(
            read.reply_to().as_deref(),
            Some("Complaints <c@shop.example>")
        );
        let chosen = load(&[("REDRESS_MAIL_REPLY_TO", " help@shop.example ")]);
        assert_eq!(chosen.reply_to().as_deref(), Some("help@shop.example"));
    }

    #[test]
    fn the_example_file_in_the_repository_is_up_to_date() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../redress.example.toml");
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert_eq!(
            committed,
            example_file(),
            "redress.example.toml is stale: run `cargo run -- example-config > redress.example.toml`"
        );
    }

    #[test]
    fn the_example_file_loads_as_the_defaults() {
        let dir = std::env::temp_dir().join(format!("redress-example-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("example.toml");
        std::fs::write(&file, example_file()).unwrap();
        let settings = Settings::load_from(Some(&file), []).unwrap();
        assert_eq!(settings.bind, "127.0.0.1:8080");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
