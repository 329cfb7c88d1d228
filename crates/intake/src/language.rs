//! Which of Redress's languages a customer wrote in, guessed from their words (whatlang,
//! limited to the languages Redress writes in), so replies go out in it.

use redress_domain::Language;
use whatlang::{Detector, Lang, Script};

/// The language of `text`, when it can be told with confidence; `None` otherwise (the caller
/// falls back to its default).
pub fn guess(text: &str) -> Option<Language> {
    let detector = Detector::with_allowlist(vec![Lang::Eng, Lang::Spa, Lang::Ron, Lang::Cmn]);
    let info = detector.detect(text)?;
    // Han script is Chinese whatever the confidence: no other allowed language uses it.
    if info.script() == Script::Mandarin {
        return Some(Language::Zh);
    }
    if !info.is_reliable() && info.confidence() < 0.5 {
        return None;
    }
    Some(match info.lang() {
        Lang::Eng => Language::En,
        Lang::Spa => Language::Es,
        Lang::Ron => Language::Ro,
        Lang::Cmn => Language::Zh,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn complaints_are_told_apart_in_the_four_languages() {
        let cases = [
            (
                "My parcel never arrived and nobody answers the phone. I would like a refund.",
                Language::En,
            ),
            (
                "Mi paquete nunca llegó y nadie contesta el teléfono. Quiero que me devuelvan el dinero.",
                Language::Es,
            ),
            (
                "Coletul meu nu a ajuns niciodată și nimeni nu răspunde la telefon. Vreau banii înapoi.",
                Language::Ro,
            ),
            (
                "我的包裹一直没有到，也没有人接电话。我要求退款。",
                Language::Zh,
            ),
        ];
        for (text, language) in cases {
            assert_eq!(guess(text), Some(language), "{text}");
        }
    }

    #[test]
    fn too_little_to_tell_gives_no_guess() {
        assert_eq!(guess("ok"), None);
        assert_eq!(guess(""), None);
    }
}
