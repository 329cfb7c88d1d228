//! Why a command on a complaint was refused, in the words of the member of staff who sent it:
//! every [`ComplaintError`] in their language, from `locales/{lang}/staff-refusals.ftl`. The
//! English texts are exactly the domain's own (`to_string()`), which the JSON API still
//! answers with. Field names and actions the domain gives in English (`"The summary"`,
//! `"record facts"`) are passed through as they are.

use redress_domain::{ComplaintError, InvalidValue, Language, Outcome};

use crate::locale::{text, text_with};

/// A refusal of a command on a complaint, in `language`. The match is exhaustive on purpose:
/// a new refusal does not compile until it has its words in every language.
pub fn refusal(language: Language, error: &ComplaintError) -> String {
    use ComplaintError as E;
    let say = |key: &str| text(language, key);
    let with = |key: &str, args: &[(&str, String)]| text_with(language, key, args);
    let date = |date: &chrono::NaiveDate| date.format("%Y-%m-%d").to_string();
    match error {
        E::UnknownComplaint => say("refusal-unknown-complaint"),
        E::AlreadyReceived => say("refusal-already-received"),
        E::EmailAlreadyRecorded => say("refusal-email-already-recorded"),
        E::Invalid(invalid) => invalid_value(language, invalid),
        E::Empty { field } => with("refusal-empty", &[("field", field.to_string())]),
        E::TooLong { field, max } => with(
            "refusal-too-long",
            &[("field", field.to_string()), ("max", max.to_string())],
        ),
        E::ControlCharacter { field } => {
            with("refusal-control-character", &[("field", field.to_string())])
        }
        E::MultiLine { field } => with("refusal-multi-line", &[("field", field.to_string())]),
        E::NegativeRedress => say("refusal-negative-redress"),
        E::DateInPast {
            field,
            date: given,
            today,
        } => with(
            "refusal-date-in-past",
            &[
                ("field", field.to_string()),
                ("date", date(given)),
                ("today", date(today)),
            ],
        ),
        E::DatePastResolution {
            field,
            date: given,
            resolve_by,
        } => with(
            "refusal-date-past-resolution",
            &[
                ("field", field.to_string()),
                ("date", date(given)),
                ("resolve_by", date(resolve_by)),
            ],
        ),
        E::NotAcknowledged { action } => with(
            "refusal-not-acknowledged",
            &[("action", action.to_string())],
        ),
        E::AlreadyAcknowledged => say("refusal-already-acknowledged"),
        E::InvestigationAlreadyConcluded => say("refusal-investigation-already-concluded"),
        E::NoFactsRecorded => say("refusal-no-facts-recorded"),
        E::NoPoints => say("refusal-no-points"),
        E::TooManyPoints { max } => with("refusal-too-many-points", &[("max", max.to_string())]),
        E::UnknownPoint(point) => with("refusal-unknown-point", &[("point", point.to_string())]),
        E::PointDecidedTwice(point) => with(
            "refusal-point-decided-twice",
            &[("point", point.to_string())],
        ),
        E::PointsUndecided(points) => with(
            "refusal-points-undecided",
            &[("points", points_words(language, points))],
        ),
        E::NoPointsToDecide => say("refusal-no-points-to-decide"),
        E::OutcomeDisagrees { given, follows } => with(
            "refusal-outcome-disagrees",
            &[
                ("given", outcome_words(language, given)),
                ("follows", outcome_words(language, follows)),
            ],
        ),
        E::OutcomeMissing => say("refusal-outcome-missing"),
        E::TooManyFiles { max } => with("refusal-too-many-files", &[("max", max.to_string())]),
        E::InvestigationNotConcluded => say("refusal-investigation-not-concluded"),
        E::NoOwner => say("refusal-no-owner"),
        E::NoCommitment => say("refusal-no-commitment"),
        E::SameOwner { name } => with("refusal-same-owner", &[("name", name.clone())]),
        E::Unchanged { field, value } => with(
            "refusal-unchanged",
            &[("field", field.to_string()), ("value", value.clone())],
        ),
        E::SameTeam { name } => with("refusal-same-team", &[("name", name.clone())]),
        E::AlreadyTagged { tag } => with("refusal-already-tagged", &[("tag", tag.clone())]),
        E::NotTagged { tag } => with("refusal-not-tagged", &[("tag", tag.clone())]),
        E::NoTags => say("refusal-no-tags"),
        E::RootCausesBeforeResolution => say("refusal-root-causes-too-early"),
        E::NoRootCause => say("refusal-no-root-cause"),
        E::TooManyRootCauses { max } => {
            with("refusal-too-many-root-causes", &[("max", max.to_string())])
        }
        E::BadRootCause { cause } => {
            with("refusal-bad-root-cause", &[("cause", format!("{cause:?}"))])
        }
        E::TooManyTags { max } => with("refusal-too-many-tags", &[("max", max.to_string())]),
        E::BadTag { tag, character } => with(
            "refusal-bad-tag",
            &[
                ("tag", tag.clone()),
                ("character", format!("{character:?}")),
            ],
        ),
        E::SameComplaint => say("refusal-same-complaint"),
        E::UnknownCategory { given, known } => with(
            "refusal-unknown-category",
            &[("given", debug_inside(given)), ("known", known.clone())],
        ),
        E::NoSuchComplaint { reference } => with(
            "refusal-no-such-complaint",
            &[("reference", reference.clone())],
        ),
        E::MergeIntoClosed { reference } => with(
            "refusal-merge-into-closed",
            &[("reference", reference.clone())],
        ),
        E::AlreadyMerged { reference } => with(
            "refusal-already-merged",
            &[("reference", reference.clone())],
        ),
        E::Merged { survivor } => with("refusal-merged", &[("survivor", survivor.clone())]),
        E::AlreadyLinked { reference } => with(
            "refusal-already-linked",
            &[("reference", reference.clone())],
        ),
        E::AlreadyWaiting => say("refusal-already-waiting"),
        E::NotWaiting => say("refusal-not-waiting"),
        E::AlreadyResolved { action } => with(
            "refusal-already-resolved",
            &[("action", action.to_string())],
        ),
        E::NotResolved => say("refusal-not-resolved"),
        E::Closed { action } => with("refusal-closed", &[("action", action.to_string())]),
        E::NotReopenable => say("refusal-not-reopenable"),
        E::ScoreOutOfRange(score) => with(
            "refusal-score-out-of-range",
            &[("score", score.to_string())],
        ),
        E::SatisfactionTooEarly => say("refusal-satisfaction-too-early"),
        E::SatisfactionAlreadyRecorded => say("refusal-satisfaction-already-recorded"),
        E::PersonalDataErased => say("refusal-personal-data-erased"),
        E::AlreadyErased => say("refusal-already-erased"),
        E::Sealing(reason) => with("refusal-sealing", &[("reason", reason.clone())]),
    }
}

/// A value that could not be parsed, in `language` (also exhaustive).
fn invalid_value(language: Language, invalid: &InvalidValue) -> String {
    use InvalidValue as V;
    let (key, value) = match invalid {
        V::Reference(value) => ("refusal-invalid-reference", value),
        V::Email(value) => ("refusal-invalid-email", value),
        V::Language(value) => ("refusal-invalid-language", value),
        V::Channel(value) => ("refusal-invalid-channel", value),
        V::Priority(value) => ("refusal-invalid-priority", value),
        V::Tier(value) => ("refusal-invalid-tier", value),
        V::Outcome(value) => ("refusal-invalid-outcome", value),
        V::Direction(value) => ("refusal-invalid-direction", value),
        V::Target(value) => ("refusal-invalid-target", value),
        V::Currency(value) => ("refusal-invalid-currency", value),
    };
    text_with(language, key, &[("value", value.clone())])
}

/// What `{text:?}` prints between its quotes (the quotes themselves are in the message).
fn debug_inside(text: &str) -> String {
    let debug = format!("{text:?}");
    debug
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap_or(&debug)
        .to_string()
}

/// "point 2 is" or "points 2, 3 and 4 are", in `language`.
fn points_words(language: Language, points: &[u32]) -> String {
    let separator = if language == Language::Zh {
        "、"
    } else {
        ", "
    };
    match points {
        [one] => text_with(
            language,
            "refusal-points-undecided-one",
            &[("point", one.to_string())],
        ),
        [rest @ .., last] => text_with(
            language,
            "refusal-points-undecided-many",
            &[
                (
                    "points",
                    rest.iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(separator),
                ),
                ("last", last.to_string()),
            ],
        ),
        [] => text(language, "refusal-points-undecided-none"),
    }
}

/// An outcome's label as the domain gives it (lower case, English), in `language`; a label
/// it does not know is passed through.
fn outcome_words(language: Language, label: &str) -> String {
    if language == Language::En {
        return label.to_string();
    }
    let key = match Outcome::ALL
        .iter()
        .find(|outcome| outcome.label().to_lowercase() == label)
    {
        Some(Outcome::Upheld) => "refusal-word-upheld",
        Some(Outcome::PartlyUpheld) => "refusal-word-partly-upheld",
        Some(Outcome::NotUpheld) => "refusal-word-not-upheld",
        None => return label.to_string(),
    };
    text(language, key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    /// One of every refusal, with awkward values where the format is awkward.
    fn every_refusal() -> Vec<ComplaintError> {
        use ComplaintError as E;
        let day = |d| NaiveDate::from_ymd_opt(2025, 3, d).unwrap();
        let mut all = vec![
            E::UnknownComplaint,
            E::AlreadyReceived,
            E::EmailAlreadyRecorded,
            E::Empty {
                field: "The summary",
            },
            E::TooLong {
                field: "What happened",
                max: 20000,
            },
            E::ControlCharacter {
                field: "The subject",
            },
            E::MultiLine {
                field: "The summary",
            },
            E::NegativeRedress,
            E::DateInPast {
                field: "The date",
                date: day(1),
                today: day(9),
            },
            E::DatePastResolution {
                field: "The date",
                date: day(28),
                resolve_by: day(20),
            },
            E::NotAcknowledged {
                action: "record facts",
            },
            E::AlreadyAcknowledged,
            E::InvestigationAlreadyConcluded,
            E::NoFactsRecorded,
            E::NoPoints,
            E::TooManyPoints { max: 12 },
            E::UnknownPoint(7),
            E::PointDecidedTwice(3),
            E::PointsUndecided(vec![2]),
            E::PointsUndecided(vec![2, 3]),
            E::PointsUndecided(vec![1, 4, 6]),
            E::PointsUndecided(vec![]),
            E::NoPointsToDecide,
            E::OutcomeDisagrees {
                given: "upheld".into(),
                follows: "partly upheld".into(),
            },
            E::OutcomeMissing,
            E::TooManyFiles { max: 5 },
            E::InvestigationNotConcluded,
            E::NoOwner,
            E::NoCommitment,
            E::SameOwner {
                name: "Ana Pop".into(),
            },
            E::Unchanged {
                field: "priority",
                value: "urgent".into(),
            },
            E::SameTeam {
                name: "Billing".into(),
            },
            E::AlreadyTagged { tag: "vip".into() },
            E::NotTagged { tag: "vip".into() },
            E::NoTags,
            E::RootCausesBeforeResolution,
            E::NoRootCause,
            E::TooManyRootCauses { max: 5 },
            E::BadRootCause {
                cause: "late delivery".into(),
            },
            E::TooManyTags { max: 10 },
            E::BadTag {
                tag: "a/b".into(),
                character: '/',
            },
            E::BadTag {
                tag: "a'b".into(),
                character: '\'',
            },
            E::BadTag {
                tag: "a\0b".into(),
                character: '\0',
            },
            E::SameComplaint,
            E::UnknownCategory {
                given: "say \"hi\"\\n\n'x'".into(),
                known: "billing, late-delivery".into(),
            },
            E::NoSuchComplaint {
                reference: "RDR-AAAA-BBBB".into(),
            },
            E::MergeIntoClosed {
                reference: "RDR-AAAA-BBBB".into(),
            },
            E::AlreadyMerged {
                reference: "RDR-AAAA-BBBB".into(),
            },
            E::Merged {
                survivor: "RDR-AAAA-BBBB".into(),
            },
            E::AlreadyLinked {
                reference: "RDR-AAAA-BBBB".into(),
            },
            E::AlreadyWaiting,
            E::NotWaiting,
            E::AlreadyResolved {
                action: "change the owner",
            },
            E::NotResolved,
            E::Closed {
                action: "add files",
            },
            E::NotReopenable,
            E::ScoreOutOfRange(9),
            E::SatisfactionTooEarly,
            E::SatisfactionAlreadyRecorded,
            E::PersonalDataErased,
            E::AlreadyErased,
            E::Sealing("the vault is locked".into()),
        ];
        all.extend(
            [
                InvalidValue::Reference("RDR-1".into()),
                InvalidValue::Email("nobody".into()),
                InvalidValue::Language("fr".into()),
                InvalidValue::Channel("fax".into()),
                InvalidValue::Priority("asap".into()),
                InvalidValue::Tier("gold".into()),
                InvalidValue::Outcome("won".into()),
                InvalidValue::Direction("up".into()),
                InvalidValue::Target("soon".into()),
                InvalidValue::Currency("EURO".into()),
            ]
            .map(E::Invalid),
        );
        all
    }

    #[test]
    fn every_refusal_reads_in_english_exactly_as_the_domain_words_it() {
        for error in every_refusal() {
            assert_eq!(
                refusal(Language::En, &error),
                error.to_string(),
                "{error:?}"
            );
        }
    }

    #[test]
    fn every_refusal_is_translated_with_its_values() {
        for error in every_refusal() {
            let english = refusal(Language::En, &error);
            for language in [Language::Es, Language::Ro, Language::Zh] {
                let words = refusal(language, &error);
                assert_ne!(words, english, "{language:?} {error:?}");
                assert!(
                    !words.starts_with("refusal-") && !words.contains("Unknown localization"),
                    "{language:?} {error:?}: {words}"
                );
            }
        }
    }

    #[test]
    fn a_few_refusals_in_each_language() {
        let too_long = ComplaintError::TooLong {
            field: "The summary",
            max: 200,
        };
        assert_eq!(
            refusal(Language::En, &too_long),
            "The summary is too long: at most 200 characters, please shorten it."
        );
        for language in [Language::Es, Language::Ro, Language::Zh] {
            let words = refusal(language, &too_long);
            assert!(
                words.contains("200") && words.contains("The summary"),
                "{words}"
            );
        }
        assert_eq!(
            refusal(
                Language::Es,
                &ComplaintError::MergeIntoClosed {
                    reference: "RDR-7KX4-9PQM".into()
                }
            ),
            "RDR-7KX4-9PQM está cerrada: fusione con una reclamación abierta o reabra antes RDR-7KX4-9PQM."
        );
        let past = ComplaintError::DateInPast {
            field: "The date",
            date: NaiveDate::from_ymd_opt(2025, 1, 2).unwrap(),
            today: NaiveDate::from_ymd_opt(2025, 1, 9).unwrap(),
        };
        let romanian = refusal(Language::Ro, &past);
        assert!(
            romanian.contains("2025-01-02") && romanian.contains("2025-01-09"),
            "{romanian}"
        );
        assert!(romanian.contains("ulterioară"), "{romanian}");
        assert_eq!(
            refusal(
                Language::Zh,
                &ComplaintError::PointsUndecided(vec![2, 3, 5])
            ),
            "请对每个投诉要点作出决定：第 2、3 和 5 点尚未作出决定。"
        );
        assert_eq!(
            refusal(
                Language::Ro,
                &ComplaintError::OutcomeDisagrees {
                    given: "upheld".into(),
                    follows: "not upheld".into()
                }
            ),
            "Conform deciziilor asupra punctelor, reclamația este „respinsă”, nu „admisă”; \
             schimbați decizia unui punct sau lăsați rezultatul să decurgă din ele."
        );
        let tagged = refusal(
            Language::Zh,
            &ComplaintError::AlreadyTagged { tag: "vip".into() },
        );
        assert_eq!(tagged, "该投诉已带有标签“vip”。");
    }
}
