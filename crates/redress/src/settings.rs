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
        help: "Largest number of pooled database connections (SQLite uses at most 8).",
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
        key: "mail_from",
        env: "REDRESS_MAIL_FROM",
        default: "\"Complaints <complaints@redress.example>\"",
        help: "The From address of customer emails; its domain ends every Message-ID.",
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
        key: "log",
        env: "REDRESS_LOG",
        default: "\"info\"",
        help: "Log filter, e.g. info or redress_store=debug,info.",
    },
];

/// The settings in force.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// See [`SETTINGS`].
    pub database_url: String,
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
    pub public_url: String,
    /// See [`SETTINGS`].
    pub organisation: String,
    /// See [`SETTINGS`].
    pub mail_from: String,
    /// See [`SETTINGS`].
    pub smtp_url: String,
    /// See [`SETTINGS`].
    pub smtp_ca_file: String,
    /// See [`SETTINGS`].
    pub mail_dir: String,
    /// See [`SETTINGS`].
    pub mail_max_attempts: u32,
    /// See [`SETTINGS`].
    pub mail_retry_seconds: u64,
    /// See [`SETTINGS`].
    pub mail_templates_dir: String,
    /// See [`SETTINGS`].
    pub ombudsman: String,
}

impl Settings {
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
