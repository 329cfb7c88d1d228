//! A mergeable histogram of durations, for percentiles that can be pre-aggregated per day and
//! added up over any range.
//!
//! Durations are counted in whole minutes in log-linear buckets: every minute has its own
//! bucket below 128 minutes; above, each doubling is split into 64 buckets, so a bucket is at
//! most 1/64 (1.6%) of its values wide. A percentile is the lower bound of the bucket holding
//! the value of that rank (nearest-rank method): exact to the minute below 2 h 8 min, and
//! above never more than 1.6% under the true value. Two histograms merge by adding counts,
//! so a year's percentile is read from 365 daily rows without touching a single complaint.

use std::fmt::Write as _;

/// Minutes below this have a bucket each.
const EXACT: u64 = 128;
/// Buckets per doubling above [`EXACT`].
const SUB: u64 = 64;

/// Counts of durations by bucket (dense: a year is under 1,000 buckets, and adding two
/// histograms is adding two arrays).
#[derive(Debug, Clone, Default)]
pub struct Histogram {
    counts: Vec<u64>,
}

impl PartialEq for Histogram {
    fn eq(&self, other: &Self) -> bool {
        let (short, long) = if self.counts.len() <= other.counts.len() {
            (&self.counts, &other.counts)
        } else {
            (&other.counts, &self.counts)
        };
        short == &long[..short.len()] && long[short.len()..].iter().all(|c| *c == 0)
    }
}

impl Eq for Histogram {}

/// The bucket of a duration of `minutes`.
pub fn bucket(minutes: u64) -> u32 {
    if minutes < EXACT {
        return minutes as u32;
    }
    let power = 63 - u64::from(minutes.leading_zeros()); // >= 7
    let shift = power - 6;
    let sub = (minutes >> shift) - SUB; // 0..64
    (EXACT + (power - 7) * SUB + sub) as u32
}

/// The smallest duration, in minutes, that falls in `bucket`.
pub fn lower_bound(bucket: u32) -> u64 {
    let bucket = u64::from(bucket);
    if bucket < EXACT {
        return bucket;
    }
    let power = 7 + (bucket - EXACT) / SUB;
    let sub = (bucket - EXACT) % SUB;
    (SUB + sub) << (power - 6)
}

impl Histogram {
    /// An empty histogram.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one duration of `seconds` (negative counts as zero), in whole minutes.
    pub fn record_seconds(&mut self, seconds: i64) {
        self.record_minutes((seconds.max(0) / 60) as u64);
    }

    /// Counts one duration of `minutes`.
    pub fn record_minutes(&mut self, minutes: u64) {
        self.add(bucket(minutes), 1);
    }

    fn add(&mut self, bucket: u32, count: u64) {
        let i = bucket as usize;
        if i >= self.counts.len() {
            self.counts.resize(i + 1, 0);
        }
        self.counts[i] += count;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &Histogram) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    /// How many durations it holds.
    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.count() == 0
    }

    /// The `percent`-th percentile in minutes (nearest rank: the smallest value with at least
    /// `percent`% of the durations at or below it); none when empty.
    pub fn percentile(&self, percent: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((percent / 100.0 * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(lower_bound(bucket as u32));
            }
        }
        None
    }

    /// The compact text form stored in the database: `bucket:count` pairs, space-separated.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(self.counts.len() * 4);
        for (bucket, count) in self.counts.iter().enumerate().filter(|(_, c)| **c > 0) {
            if !out.is_empty() {
                out.push(' ');
            }
            let _ = write!(out, "{bucket}:{count}");
        }
        out
    }

    /// Reads [`Histogram::encode`]'s form; `None` if it is not that.
    pub fn decode(text: &str) -> Option<Self> {
        let mut histogram = Self::new();
        histogram.merge_encoded(text)?;
        Some(histogram)
    }

    /// Adds the counts of an encoded histogram without building it first; `None` (and
    /// nothing or part added) if `text` is not an encoded histogram.
    pub fn merge_encoded(&mut self, text: &str) -> Option<()> {
        for pair in text.split_ascii_whitespace() {
            let (bucket, count) = pair.split_once(':')?;
            let bucket: u32 = bucket.parse().ok()?;
            if bucket > 4_096 {
                return None; // beyond any duration (2^70 minutes)
            }
            self.add(bucket, count.parse().ok()?);
        }
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_exact_below_128_minutes_and_narrow_above() {
        for minutes in 0..128 {
            assert_eq!(lower_bound(bucket(minutes)), minutes);
        }
        let mut previous = 0;
        for minutes in 128..2_000_000u64 {
            let b = bucket(minutes);
            assert!(b >= previous, "buckets rise with the value");
            previous = b;
            let low = lower_bound(b);
            assert!(low <= minutes, "{minutes} in a bucket starting at {low}");
            assert!(
                (minutes - low) as f64 <= minutes as f64 / 64.0,
                "{minutes} is within 1/64 of its bucket's start {low}"
            );
            assert_eq!(bucket(low), b);
        }
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let mut h = Histogram::new();
        for m in [10, 20, 30, 40, 50, 60, 70, 80, 90, 100] {
            h.record_minutes(m);
        }
        assert_eq!(h.percentile(50.0), Some(50));
        assert_eq!(h.percentile(90.0), Some(90));
        assert_eq!(h.percentile(95.0), Some(100));
        assert_eq!(h.percentile(0.0), Some(10));
        assert_eq!(Histogram::new().percentile(50.0), None);
    }

    #[test]
    fn merged_histograms_equal_one_histogram_of_everything() {
        let values: Vec<u64> = (0..5_000).map(|i| (i * 7919) % 100_000).collect();
        let mut whole = Histogram::new();
        let mut parts = vec![Histogram::new(); 7];
        for (i, v) in values.iter().enumerate() {
            whole.record_minutes(*v);
            parts[i % 7].record_minutes(*v);
        }
        let mut merged = Histogram::new();
        for part in &parts {
            merged.merge_encoded(&part.encode()).unwrap();
        }
        assert_eq!(merged, whole);
        assert_eq!(Histogram::decode(&whole.encode()), Some(whole));
        assert_eq!(Histogram::decode("1:2 x"), None);
    }
}
