//! The customer's pages in their language: English, Spanish, Romanian and Chinese, from
//! Fluent files (`crates/web/locales/{lang}/customer.ftl`), as the emails are. Templates ask
//! `t(key=…, lang=lang)`; handlers ask [`text`]. The language is the complaint's on its
//! status page, and on the public form the one asked for (`?lang=`, a switch on every page),
//! else the browser's first supported choice (`Accept-Language`), else English.
//!
//! Staff pages speak the language each person chose on `/account`, else their browser's
//! (`crate::auth::CurrentStaff`); their texts are in `staff-*.ftl` beside the customer's.

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{FluentLoader, Loader, static_loader};
use redress_domain::Language;
use tera::Tera;

static_loader! {
    static CUSTOMER = {
        locales: "./locales",
        fallback_language: "en",
        // Text goes into HTML through tera's escaping; isolation marks would show in titles.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// Lets templates call `t(key=…, lang=…, …)`, `label(kind=…, code=…, lang=…)` for the word
/// of a code ([`label`]), and write moments as their reader does (`| local(lang=…,
/// timezone=…)`).
pub fn register(tera: &mut Tera) {
    tera.register_function("t", FluentLoader::new(&*CUSTOMER));
    tera.register_filter("local", local_filter);
    tera.register_function(
        "label",
        |args: &HashMap<String, tera::Value>| -> tera::Result<tera::Value> {
            let arg = |name: &str| args.get(name).and_then(tera::Value::as_str).unwrap_or("");
            let language = Language::parse(arg("lang")).unwrap_or(Language::En);
            let code = arg("code");
            Ok(tera::Value::String(label(
                language,
                arg("kind"),
                code,
                &code.replace('_', " "),
            )))
        },
    );
}

/// Formats a moment (or a date) as a reader of `lang` writes it, in `timezone`: English keeps
/// ISO dates (`2026-12-07 14:05 CET`); Spanish `07/12/2026 14:05 CET`; Romanian
/// `07.12.2026 14:05 CET`; Chinese `2026年12月7日 14:05 CET`. `part`: `datetime` (the default,
/// with the zone), `minutes` (no zone), `seconds` (with seconds and the zone) or `date`.
fn local_filter(
    value: &tera::Value,
    args: &HashMap<String, tera::Value>,
) -> tera::Result<tera::Value> {
    let arg = |name: &str| args.get(name).and_then(tera::Value::as_str);
    let language = arg("lang")
        .and_then(|code| Language::parse(code).ok())
        .unwrap_or(Language::En);
    let zone: chrono_tz::Tz = arg("timezone")
        .and_then(|name| name.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let part = arg("part").unwrap_or("datetime");
    let Some(text) = value.as_str() else {
        return Ok(value.clone());
    };
    let date_format = match language {
        Language::En => "%Y-%m-%d",
        Language::Es => "%d/%m/%Y",
        Language::Ro => "%d.%m.%Y",
        Language::Zh => "%Y年%-m月%-d日",
    };
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(tera::Value::String(date.format(date_format).to_string()));
    }
    let moment = match chrono::DateTime::parse_from_rfc3339(text) {
        Ok(moment) => moment.to_utc(),
        // A moment without its offset is in UTC (as tera's own `date` reads it).
        Err(_) => match chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
            Ok(naive) => naive.and_utc(),
            Err(_) => return Ok(value.clone()),
        },
    };
    let local = moment.with_timezone(&zone);
    let format = match part {
        "date" => date_format.to_string(),
        "minutes" => format!("{date_format} %H:%M"),
        "seconds" => format!("{date_format} %H:%M:%S %Z"),
        _ => format!("{date_format} %H:%M %Z"),
    };
    Ok(tera::Value::String(local.format(&format).to_string()))
}

/// The word for a code of one kind (a priority, channel, step, clock, role…) in `language`:
/// `label-{kind}-{code}` in `staff-labels.ftl`, else `english` (the code's own label).
pub fn label(language: Language, kind: &str, code: &str, english: &str) -> String {
    CUSTOMER
        .try_lookup(&id(language), &format!("label-{kind}-{code}"))
        .unwrap_or_else(|| english.to_string())
}

/// A list of (code, English label) choices in `language`.
pub fn options(
    language: Language,
    kind: &str,
    choices: &[(&'static str, &'static str)],
) -> Vec<(&'static str, String)> {
    choices
        .iter()
        .map(|(code, english)| (*code, label(language, kind, code, english)))
        .collect()
}

fn id(language: Language) -> fluent_templates::LanguageIdentifier {
    language
        .code()
        .parse()
        .unwrap_or_else(|_| fluent_templates::LanguageIdentifier::default())
}

/// One message in `language`.
pub fn text(language: Language, key: &str) -> String {
    CUSTOMER.lookup(&id(language), key)
}

/// One message in `language`, with its arguments.
pub fn text_with(language: Language, key: &str, args: &[(&str, String)]) -> String {
    let args: HashMap<Cow<'static, str>, FluentValue> = args
        .iter()
        .map(|(name, value)| {
            (
                Cow::Owned(name.to_string()),
                FluentValue::from(value.clone()),
            )
        })
        .collect();
    CUSTOMER.lookup_with_args(&id(language), key, &args)
}

/// The browser's first supported language in an `Accept-Language` header (by its weights,
/// then its order), if any.
pub fn from_accept_language(header: &str) -> Option<Language> {
    let mut choices: Vec<(f32, usize, Language)> = header
        .split(',')
        .enumerate()
        .filter_map(|(order, part)| {
            let mut pieces = part.split(';');
            let tag = pieces.next()?.trim();
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
            let language = Language::parse(&primary).ok()?;
            (weight > 0.0).then_some((weight, order, language))
        })
        .collect();
    choices.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    choices.first().map(|(_, _, language)| *language)
}

/// The browser's first supported language for a request, else English (pages seen before
/// signing in, and staff who have not chosen one).
pub fn of_request(request: &actix_web::HttpRequest) -> Language {
    request
        .headers()
        .get(actix_web::http::header::ACCEPT_LANGUAGE)
        .and_then(|value| value.to_str().ok())
        .and_then(from_accept_language)
        .unwrap_or(Language::En)
}

/// The language a customer page speaks: the one asked for in the query, else the browser's.
pub fn chosen(query: Option<&str>, accept: Option<&str>) -> Language {
    query
        .and_then(|l| Language::parse(l).ok())
        .or_else(|| accept.and_then(from_accept_language))
        .unwrap_or(Language::En)
}

/// A date as a person writing in `language` would write it (as the emails write dates).
pub fn date(language: Language, date: chrono::NaiveDate) -> String {
    redress_notify::render::long_date(date, language)
}

/// A moment as a person writing in `language` reads it: the date in words and the time, in
/// UTC (the customer's zone is not known).
pub fn moment(language: Language, at: chrono::DateTime<chrono::Utc>) -> String {
    format!(
        "{}, {} UTC",
        date(language, at.date_naive()),
        at.format("%H:%M")
    )
}

/// The languages to switch to, as a switch shows them: (code, name in its own language).
pub fn switch() -> Vec<(&'static str, &'static str)> {
    Language::options()
}

/// The key of a field's name in a refusal, from the name the domain gives it.
fn field_key(field: &str) -> &'static str {
    match field {
        "The customer's name" => "field-name-words",
        "The phone number" => "field-phone-words",
        "The company" => "field-company-words",
        "The summary" => "field-summary-words",
        "What happened" => "field-description-words",
        "What the customer would like" => "field-remedy-words",
        "What the customer said"
        | "The customer's response"
        | "The summary of the communication" => "field-text-words",
        "The comment" => "field-comment-words",
        "What the customer would change" => "field-would-change-words",
        "A file's name" => "field-file-words",
        _ => "field-text-words",
    }
}

/// A refusal of the complaint, in the words of the customer who filled in the form.
pub fn refusal(language: Language, error: &redress_domain::ComplaintError) -> String {
    use redress_domain::ComplaintError as E;
    let field = |f: &str| text(language, field_key(f));
    match error {
        E::Empty { field: f } => text_with(language, "error-empty", &[("field", field(f))]),
        E::TooLong { field: f, max } => text_with(
            language,
            "error-too-long",
            &[("field", field(f)), ("max", max.to_string())],
        ),
        E::ControlCharacter { field: f } => {
            text_with(language, "error-control", &[("field", field(f))])
        }
        E::MultiLine { field: f } => text_with(language, "error-multiline", &[("field", field(f))]),
        E::TooManyFiles { max } => text_with(
            language,
            "error-too-many-files",
            &[("max", max.to_string())],
        ),
        E::Invalid(redress_domain::InvalidValue::Email(_)) => text(language, "error-email"),
        E::Invalid(redress_domain::InvalidValue::Language(_)) => text(language, "error-language"),
        E::Closed { .. } | E::AlreadyResolved { .. } | E::PersonalDataErased => {
            text(language, "add-closed")
        }
        _ => text(language, "error-generic"),
    }
}

/// A refused upload, in the customer's words.
pub fn upload_refusal(language: Language, refusal: &crate::uploads::UploadRefusal) -> String {
    use crate::uploads::UploadRefusal as R;
    match refusal {
        R::FileTooLarge { name, max_mb } => text_with(
            language,
            "error-file-too-large",
            &[("name", name.clone()), ("size", max_mb.clone())],
        ),
        R::TooManyFiles { max } => text_with(
            language,
            "error-too-many-files",
            &[("max", max.to_string())],
        ),
        R::FormTooLarge => text(language, "error-form-too-large"),
        R::Malformed(_) => text(language, "error-malformed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_dates_are_written_as_each_language_writes_them() {
        let render = |value: &str, lang: &str, part: &str| {
            let args: HashMap<String, tera::Value> = [
                ("lang".to_string(), tera::Value::from(lang)),
                (
                    "timezone".to_string(),
                    tera::Value::from("Europe/Bucharest"),
                ),
                ("part".to_string(), tera::Value::from(part)),
            ]
            .into();
            local_filter(&tera::Value::from(value), &args)
                .unwrap()
                .as_str()
                .unwrap()
                .to_string()
        };
        let at = "2026-12-07T12:05:09Z";
        assert_eq!(render(at, "en", "datetime"), "2026-12-07 14:05 EET");
        assert_eq!(render(at, "es", "datetime"), "07/12/2026 14:05 EET");
        assert_eq!(render(at, "ro", "seconds"), "07.12.2026 14:05:09 EET");
        assert_eq!(render(at, "zh", "minutes"), "2026年12月7日 14:05");
        assert_eq!(render("2026-03-02", "es", "date"), "02/03/2026");
        assert_eq!(render("not a date", "es", "date"), "not a date");
    }

    #[test]
    fn the_browser_s_first_supported_language_is_chosen_by_weight_then_order() {
        assert_eq!(
            from_accept_language("ro-RO,ro;q=0.9,en-US;q=0.8,en;q=0.7"),
            Some(Language::Ro)
        );
        assert_eq!(
            from_accept_language("fr-FR, de;q=0.9, es;q=0.5, en;q=0.4"),
            Some(Language::Es)
        );
        assert_eq!(from_accept_language("zh-CN"), Some(Language::Zh));
        assert_eq!(from_accept_language("fr, de"), None);
        assert_eq!(from_accept_language("en;q=0, ro;q=0.1"), Some(Language::Ro));
        assert_eq!(from_accept_language(""), None);
        assert_eq!(chosen(Some("es"), Some("ro")), Language::Es);
        assert_eq!(chosen(Some("xx"), Some("ro")), Language::Ro);
        assert_eq!(chosen(None, None), Language::En);
    }

    #[test]
    fn every_key_of_the_english_files_is_in_every_language() {
        let dir = |lang: &str| format!("{}/locales/{lang}", env!("CARGO_MANIFEST_DIR"));
        let mut files: Vec<String> = std::fs::read_dir(dir("en"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert!(files.len() >= 6, "{files:?}");
        let keys = |lang: &str, file: &str| -> Vec<String> {
            let path = format!("{}/{file}", dir(lang));
            std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{path}: {e}"))
                .lines()
                .filter(|l| !l.starts_with('#') && l.contains(" = "))
                .map(|l| l.split(" = ").next().unwrap_or_default().to_string())
                .collect()
        };
        let mut seen = std::collections::BTreeSet::new();
        for file in &files {
            let english = keys("en", file);
            for key in &english {
                assert!(seen.insert(key.clone()), "{key} is in two files");
            }
            for lang in ["es", "ro", "zh"] {
                assert_eq!(keys(lang, file), english, "{lang}/{file} differs from en");
            }
        }
        for language in Language::ALL {
            for key in ["nav-complaints", "categories-title", "admin-users-title"] {
                let text = CUSTOMER.try_lookup(&id(*language), key);
                assert!(
                    text.as_deref().is_some_and(|t| !t.is_empty() && t != key),
                    "{language:?} has no {key}"
                );
            }
        }
        assert_eq!(
            text(Language::Es, "categories-title"),
            "Categorías",
            "the staff's files load beside the customer's"
        );
        for language in Language::ALL {
            assert!(!text(*language, "form-title").is_empty());
            assert_ne!(
                text(*language, "status-closed"),
                "status-closed",
                "{language:?} has no status-closed"
            );
        }
        assert_eq!(
            text_with(Language::Ro, "line-point", &[("number", "2".into())]),
            "Punctul 2"
        );
    }
}
