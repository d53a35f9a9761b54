//! Free text that other people see (display names, group titles, partner and app names, card
//! titles): normalised to NFC (UAX #15) so one name has one spelling, trimmed of white space and
//! invisible characters at both ends, and refused unless it shows something.
//!
//! "Shows something" means at least one character that is a letter, number, punctuation or
//! symbol (UAX #44 general categories L, N, P, S) and not a default-ignorable code point
//! (Unicode `DerivedCoreProperties.txt`): a zero-width space, a Hangul filler or a lone
//! combining mark is not a name. Control characters and the bidirectional embedding,
//! override and isolate controls (which reorder the text around a name, Unicode TR #9 and
//! CVE-2021-42574) are refused anywhere in the text. Joiners and variation selectors stay
//! inside the text, where emoji sequences need them.
//!
//! Message bodies are not touched: they are the sender's bytes.

use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// `Default_Ignorable_Code_Point` (Unicode 15.1 `DerivedCoreProperties.txt`), as ranges.
const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

fn default_ignorable(c: char) -> bool {
    DEFAULT_IGNORABLE.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// The bidirectional controls that reorder surrounding text: embeddings, overrides, isolates.
fn bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn shows(c: char) -> bool {
    !default_ignorable(c)
        && matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Number
                | GeneralCategoryGroup::Punctuation
                | GeneralCategoryGroup::Symbol
        )
}

/// Normalises `raw` and checks it is visible text of 1 to `max_chars` characters (counted
/// after normalising and trimming); `None` if it is not.
pub fn visible_text(raw: &str, max_chars: usize) -> Option<String> {
    let normalised: String = raw.nfc().collect();
    let trimmed = normalised.trim_matches(|c: char| c.is_whitespace() || default_ignorable(c));
    let count = trimmed.chars().count();
    let ok = (1..=max_chars).contains(&count)
        && !trimmed.chars().any(|c| c.is_control() || bidi_control(c))
        && trimmed.chars().any(shows);
    ok.then(|| trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_or_blank_text_is_refused() {
        for bad in [
            "",
            "   ",
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}\u{2060}",
            "\u{3164}",
            "\u{115F}\u{1160}",
            "\u{FEFF} \u{00AD}",
            "\u{0301}",
            "\u{E0041}\u{E0042}",
            "\u{FE0F}",
        ] {
            assert_eq!(visible_text(bad, 64), None, "{:?}", bad.escape_unicode().to_string());
        }
    }

    #[test]
    fn controls_and_bidi_overrides_are_refused_anywhere() {
        for bad in ["Al\u{0007}ice", "Alice\nBob", "Ali\u{202E}ecila", "a\u{2066}b\u{2069}"] {
            assert_eq!(visible_text(bad, 64), None, "{bad:?}");
        }
    }

    #[test]
    fn visible_text_is_nfc_and_trimmed_of_invisible_ends() {
        // "é" as e + combining acute becomes the one precomposed character.
        assert_eq!(visible_text("  Jose\u{0301} ", 64).as_deref(), Some("Jos\u{00E9}"));
        assert_eq!(visible_text("\u{200B}Alice\u{FEFF}", 64).as_deref(), Some("Alice"));
        // Joiners inside an emoji sequence and non-Latin scripts are kept.
        assert_eq!(visible_text("👩\u{200D}💻", 64).as_deref(), Some("👩\u{200D}💻"));
        assert_eq!(visible_text("محمد", 64).as_deref(), Some("محمد"));
        assert_eq!(visible_text("!", 64).as_deref(), Some("!"));
    }

    #[test]
    fn length_is_counted_after_normalising() {
        assert!(visible_text(&"e\u{0301}".repeat(64), 64).is_some());
        assert!(visible_text(&"a".repeat(65), 64).is_none());
    }
}
