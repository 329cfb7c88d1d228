//! Points of complaint (step 2, listening made real): what we understood the customer to
//! complain about, one short statement a point, and the decision on each. The complaint's
//! outcome follows from its points' decisions, as regulators' final-response letters answer
//! point by point.

use serde::{Deserialize, Serialize};

use crate::values::Outcome;

/// Most points one complaint can have.
pub const MAX_POINTS: usize = 20;
/// Longest point, in characters ("a short statement").
pub const MAX_POINT: usize = 500;

/// The decision on one point of complaint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointDecision {
    /// Which point (1 is the first).
    pub point: u32,
    /// Upheld, partly upheld or not upheld.
    pub outcome: Outcome,
    /// Why, in words for the customer.
    pub reasons: String,
}

/// The complaint's outcome from its points' decisions: upheld when every point is, not
/// upheld when none is (wholly or in part), partly upheld otherwise. `None` without decisions.
pub fn overall_outcome(decisions: &[PointDecision]) -> Option<Outcome> {
    if decisions.is_empty() {
        None
    } else if decisions.iter().all(|d| d.outcome == Outcome::Upheld) {
        Some(Outcome::Upheld)
    } else if decisions.iter().all(|d| d.outcome == Outcome::NotUpheld) {
        Some(Outcome::NotUpheld)
    } else {
        Some(Outcome::PartlyUpheld)
    }
}

/// Splits what an agent typed into points: one a line, blank lines and list markers
/// (`-`, `*`, `•`, `1.`, `2)`) left out.
pub fn split_points(text: &str) -> Vec<String> {
    text.lines()
        .map(|line| {
            let line = line.trim();
            let line = line
                .strip_prefix(['-', '*', '•'])
                .map(str::trim_start)
                .unwrap_or(line);
            let digits = line.chars().take_while(char::is_ascii_digit).count();
            match line[digits..].strip_prefix(['.', ')']) {
                Some(rest) if digits > 0 && digits < 3 => rest.trim_start(),
                _ => line,
            }
            .to_string()
        })
        .filter(|line| !line.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decided(outcomes: &[Outcome]) -> Vec<PointDecision> {
        outcomes
            .iter()
            .enumerate()
            .map(|(i, &outcome)| PointDecision {
                point: i as u32 + 1,
                outcome,
                reasons: "Because.".into(),
            })
            .collect()
    }

    #[test]
    fn the_outcome_follows_from_the_points() {
        use Outcome::*;
        assert_eq!(overall_outcome(&decided(&[Upheld, Upheld])), Some(Upheld));
        assert_eq!(overall_outcome(&decided(&[NotUpheld])), Some(NotUpheld));
        assert_eq!(
            overall_outcome(&decided(&[Upheld, NotUpheld])),
            Some(PartlyUpheld)
        );
        assert_eq!(
            overall_outcome(&decided(&[PartlyUpheld, PartlyUpheld])),
            Some(PartlyUpheld)
        );
        assert_eq!(overall_outcome(&[]), None);
    }

    #[test]
    fn points_are_read_one_a_line_without_list_markers() {
        let text = "1. Charged twice\n\n  - The invoice shows 149 lei twice \n• Nobody called back\n2) Refund late\n2026 was a bad year";
        assert_eq!(
            split_points(text),
            vec![
                "Charged twice",
                "The invoice shows 149 lei twice",
                "Nobody called back",
                "Refund late",
                "2026 was a bad year",
            ]
        );
    }
}
