//! Counted words in the staff's languages ("1 point", "3 points", "20 de puncte"): Fluent
//! files hold one line per message, so each counted message has three keys and Rust picks
//! one by the count ([`counted`]).

use redress_domain::Language;

/// Which form of a counted message `count` takes: `one` for 1; `few` for 0 and the numbers
/// whose last two digits are 1–19 ("3 zile", "101 zile"); `many` for the rest, where
/// Romanian puts "de" before the noun ("20 de zile"). English, Spanish and Chinese say the
/// same in `few` and `many`.
pub(crate) fn form(count: u64) -> &'static str {
    match count {
        1 => "one",
        n if n == 0 || (1..=19).contains(&(n % 100)) => "few",
        _ => "many",
    }
}

/// The message `{stem}-{form}` in `language`, with `count` as `$count` and `args`.
pub(crate) fn counted(
    language: Language,
    stem: &str,
    count: u64,
    args: &[(&str, String)],
) -> String {
    let mut all: Vec<(&str, String)> = vec![("count", count.to_string())];
    all.extend(args.iter().cloned());
    crate::locale::text_with(language, &format!("{stem}-{}", form(count)), &all)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn romanian_counts_take_de_from_twenty() {
        assert_eq!(form(1), "one");
        for few in [0, 2, 19, 101, 119, 1_005] {
            assert_eq!(form(few), "few", "{few}");
        }
        for many in [20, 21, 100, 120, 1_000] {
            assert_eq!(form(many), "many", "{many}");
        }
    }

    #[test]
    fn every_counted_message_has_its_three_forms_in_every_language() {
        let units = ["minutes", "hours", "days", "weeks"];
        let stems = [
            "tl-size-bytes",
            "tl-step-points",
            "tl-step-points-sent",
            "clk-business-days",
            "clk-business-days-hours",
            "note-tag-renamed",
        ]
        .map(String::from)
        .into_iter()
        .chain(units.iter().map(|u| format!("clk-target-{u}")))
        .chain(units.iter().map(|u| format!("clk-target-business-{u}")));
        for stem in stems {
            for language in Language::ALL {
                for count in [1, 3, 20] {
                    let args = [("hours", "4".to_string()), ("tag", "x".to_string())];
                    let words = counted(*language, &stem, count, &args);
                    assert!(
                        words.contains(&count.to_string()) && !words.contains("Unknown"),
                        "{stem} {language:?} {count}: {words}"
                    );
                }
            }
        }
        assert_eq!(
            counted(Language::En, "note-tag-renamed", 1, &[("tag", "a".into())]),
            "Done: 1 complaint now carries the tag \"a\"."
        );
        assert_eq!(
            counted(Language::Ro, "clk-business-days", 21, &[]),
            "21 de zile lucrătoare"
        );
    }
}
