//! Mentions of colleagues in internal notes: `@` and a handle, as people type them. A
//! colleague answers to the part of their email address before the `@` (`@lucia` for
//! `lucia@example.com`), to their whole name run together (`@LucíaFernández`) and to their
//! first name alone when no one else has it (`@Lucía`); case never matters. An address in a
//! note (`ana@example.com`) is not a mention: a mention starts a word.

/// The handles a text mentions, in order of first appearance, each once (lower case).
pub fn handles(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts_word = previous.is_none_or(|p| p.is_whitespace() || "([{,;:\"'".contains(p));
        previous = Some(c);
        if c != '@' || !starts_word {
            continue;
        }
        let rest = &text[at + 1..];
        let handle: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            .collect();
        // A sentence's full stop is not part of the handle.
        let handle = handle.trim_end_matches(['.', '-', '_']).to_lowercase();
        if !handle.is_empty() && !found.contains(&handle) {
            found.push(handle);
        }
    }
    found
}

/// The handles a colleague answers to, lower case: their address's local part and their name
/// run together (their first name is checked separately, as it must be unique).
pub fn handles_of(name: &str, email: &str) -> Vec<String> {
    let mut own = Vec::new();
    if let Some((local, _)) = email.rsplit_once('@') {
        own.push(local.to_lowercase());
    }
    let joined: String = name
        .chars()
        .filter(|c| c.is_alphanumeric())
        .collect::<String>()
        .to_lowercase();
    if !joined.is_empty() {
        own.push(joined);
    }
    own
}

/// A colleague's first name as a handle (lower case), if they have a name.
pub fn first_name(name: &str) -> Option<String> {
    name.split_whitespace()
        .next()
        .map(|first| {
            first
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|first| !first.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_start_a_word_and_addresses_are_not_mentions() {
        assert_eq!(
            handles(
                "Asked @james.carter and (@Lucía) to look; ana@example.com cc'd. @james.carter again."
            ),
            vec!["james.carter", "lucía"]
        );
        assert_eq!(handles("no one here @"), Vec::<String>::new());
        assert_eq!(handles("@zhang."), vec!["zhang"]);
    }

    #[test]
    fn a_colleague_answers_to_their_address_and_their_name() {
        assert_eq!(
            handles_of("Lucía Fernández", "agent@redress.example"),
            vec!["agent", "lucíafernández"]
        );
        assert_eq!(first_name("Zhang Wei").as_deref(), Some("zhang"));
        assert_eq!(first_name("  "), None);
    }
}
