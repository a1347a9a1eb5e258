//! Stance of a narrative match: asserted or rebutted, from cue words in the paragraph.
//!
//! Input: the paragraph, already indexed by the narrative [`super::Matcher`]. Output: a
//! [`Stance`] for each narrative the paragraph matches.
//!
//! The rule alone cannot tell a storyline told from a storyline refuted ("claims that the
//! caravan is full of criminals are false"). A paragraph that matches a narrative is marked
//! `rebutted` when it also matches the rebuttal cue rule, and `asserted` otherwise. The cue
//! rule is written in the same query language and compiled into the same matcher as the
//! narratives, so it costs no second pass. The default cue rule ([`DEFAULT_REBUTTAL_CUES`])
//! looks for words that call a claim false, unsupported, misleading or a myth; a narrative
//! file can replace it (`[stance] rebutted = "…"`).
//!
//! Stance is off unless the narrative file turns it on (`[stance] enabled = true`): its
//! precision was measured on hand-coded AllSides paragraphs (see `eval/NARRATIVES.md`) and is
//! too low to report by default.

use serde::{Deserialize, Serialize};

/// Whether a paragraph tells a storyline or pushes back on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stance {
    /// The paragraph tells the storyline (or reports it without a rebuttal cue).
    Asserted,
    /// The paragraph has a rebuttal cue: the storyline is called false, unsupported, a myth.
    Rebutted,
}

impl std::fmt::Display for Stance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stance::Asserted => "asserted",
            Stance::Rebutted => "rebutted",
        })
    }
}

/// The default rebuttal cue rule.
pub const DEFAULT_REBUTTAL_CUES: &str = "false OR falsely OR untrue OR \"not true\" OR myth* \
OR debunk* OR misleading OR mislead OR unsupported OR unfounded OR baseless OR \"no evidence\" \
OR \"little evidence\" OR \"not supported\" OR misinformation OR disinformation \
OR \"conspiracy theor*\" OR lie OR lies OR lying OR refut* OR rebut* OR \"fact check*\" \
OR exaggerat* OR \"scare tactic*\" OR fearmonger* OR \"fear monger*\" OR distort* \
OR \"contrary to\" OR \"no basis\" OR bogus";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narratives::query::Query;

    #[test]
    fn default_cues_parse_and_serialise_lowercase() {
        Query::parse(DEFAULT_REBUTTAL_CUES).unwrap();
        assert_eq!(
            serde_json::to_string(&Stance::Rebutted).unwrap(),
            "\"rebutted\""
        );
        assert_eq!(Stance::Asserted.to_string(), "asserted");
    }
}
