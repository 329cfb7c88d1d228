//! A policy: targets per tier, priority and clock, its calendar and at-risk share, and the regulators' presets.

use super::*;

/// An SLA policy: a calendar, and a target per tier, priority and clock.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicy {
    /// Its name, e.g. "UK FCA DISP".
    pub name: String,
    /// The preset it started from, if any (code).
    pub preset: Option<String>,
    /// The working hours business time counts.
    pub calendar: BusinessCalendar,
    /// A clock is at risk once less than this share (percent) of its allowance is left.
    pub at_risk_percent: u8,
    /// Standard customers' targets.
    pub standard: PriorityTargets,
    /// Key accounts' targets.
    pub key_account: PriorityTargets,
}

/// Why a policy is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The calendar is wrong.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// No name.
    #[error("the policy needs a name")]
    NoName,
    /// At-risk share out of range.
    #[error("the at-risk share must be between 1 and 90 percent")]
    AtRisk,
    /// A target beyond three years of the calendar's working time.
    #[error(
        "the target {target} does not fall due within three years of this calendar's working time; shorten it"
    )]
    Unreachable {
        /// The target, in words.
        target: String,
    },
}

/// A starting point a complaints team can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Redress's own suggestion.
    Default,
    /// UK FCA DISP 1.6: summary resolution within 3 business days, final response within
    /// 8 weeks.
    FcaDisp,
    /// US CFPB: a response within 15 calendar days, the final one within 60.
    Cfpb,
    /// EU PSD2 article 101: a reply within 15 business days, 35 in exceptional cases.
    Psd2,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 4] = [Preset::Default, Preset::FcaDisp, Preset::Cfpb, Preset::Psd2];

    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            Preset::Default => "default",
            Preset::FcaDisp => "fca_disp",
            Preset::Cfpb => "cfpb",
            Preset::Psd2 => "psd2",
        }
    }

    /// Its name.
    pub fn label(self) -> &'static str {
        match self {
            Preset::Default => "Redress default",
            Preset::FcaDisp => "UK FCA DISP",
            Preset::Cfpb => "US CFPB",
            Preset::Psd2 => "EU PSD2",
        }
    }

    /// What it sets, in a sentence.
    pub fn description(self) -> &'static str {
        match self {
            Preset::Default => {
                "Acknowledge within hours, commit within 3 business days, update at least weekly, \
                 resolve within 10 business days; tighter for key accounts and urgent complaints."
            }
            Preset::FcaDisp => {
                "Commit (the summary resolution window) by close of business on the third \
                 business day after receipt; final response (resolve) within 8 weeks."
            }
            Preset::Cfpb => {
                "Respond (commit) within 15 calendar days; final response (resolve) within 60 \
                 calendar days."
            }
            Preset::Psd2 => {
                "Reply (commit) within 15 business days; the final reply (resolve) by 35 \
                 business days in exceptional cases, with a holding reply (update) by day 15."
            }
        }
    }

    /// Parses a code.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    /// The policy it gives, over `calendar`.
    pub fn policy(self, calendar: BusinessCalendar) -> SlaPolicy {
        use Unit::*;
        let b = Target::business;
        let c = Target::calendar;
        let targets = |ack, owner, commit, update, resolve| ClockTargets {
            acknowledge: Some(ack),
            owner: Some(owner),
            commit: Some(commit),
            update: Some(update),
            resolve: Some(resolve),
        };
        let (standard, key_account) = match self {
            Preset::Default => {
                let standard = PriorityTargets {
                    low: targets(b(1, Days), b(2, Days), b(5, Days), b(2, Weeks), b(20, Days)),
                    normal: targets(
                        b(4, Hours),
                        b(1, Days),
                        b(3, Days),
                        b(1, Weeks),
                        b(10, Days),
                    ),
                    high: targets(b(2, Hours), b(4, Hours), b(2, Days), b(3, Days), b(5, Days)),
                    urgent: targets(b(1, Hours), b(2, Hours), b(1, Days), b(1, Days), b(3, Days)),
                };
                let key = PriorityTargets {
                    low: targets(
                        b(4, Hours),
                        b(1, Days),
                        b(3, Days),
                        b(1, Weeks),
                        b(10, Days),
                    ),
                    normal: targets(b(2, Hours), b(4, Hours), b(2, Days), b(3, Days), b(5, Days)),
                    high: targets(b(1, Hours), b(2, Hours), b(1, Days), b(2, Days), b(3, Days)),
                    urgent: targets(
                        b(30, Minutes),
                        b(1, Hours),
                        b(4, Hours),
                        b(1, Days),
                        b(2, Days),
                    ),
                };
                (standard, key)
            }
            Preset::FcaDisp => {
                let all = targets(b(1, Days), b(1, Days), b(3, Days), b(4, Weeks), c(8, Weeks));
                let urgent = targets(
                    b(4, Hours),
                    b(4, Hours),
                    b(3, Days),
                    b(1, Weeks),
                    c(8, Weeks),
                );
                let p = PriorityTargets {
                    low: all,
                    normal: all,
                    high: urgent,
                    urgent,
                };
                (p, p)
            }
            Preset::Cfpb => {
                let all = targets(
                    c(1, Days),
                    c(2, Days),
                    c(15, Days),
                    c(15, Days),
                    c(60, Days),
                );
                let urgent = targets(c(4, Hours), c(1, Days), c(7, Days), c(7, Days), c(60, Days));
                let p = PriorityTargets {
                    low: all,
                    normal: all,
                    high: urgent,
                    urgent,
                };
                (p, p)
            }
            Preset::Psd2 => {
                let all = targets(
                    b(1, Days),
                    b(2, Days),
                    b(15, Days),
                    b(15, Days),
                    b(35, Days),
                );
                let urgent = targets(
                    b(4, Hours),
                    b(1, Days),
                    b(10, Days),
                    b(5, Days),
                    b(35, Days),
                );
                let p = PriorityTargets {
                    low: all,
                    normal: all,
                    high: urgent,
                    urgent,
                };
                (p, p)
            }
        };
        SlaPolicy {
            name: self.label().to_string(),
            preset: Some(self.code().to_string()),
            calendar,
            at_risk_percent: 25,
            standard,
            key_account,
        }
    }
}

impl Default for SlaPolicy {
    /// The default preset over a Monday–Friday, 09:00–17:00 UTC calendar.
    fn default() -> Self {
        Preset::Default.policy(BusinessCalendar::weekdays(
            chrono_tz::UTC,
            NaiveTime::from_hms_opt(9, 0, 0).unwrap_or(NaiveTime::MIN),
            NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
            [],
        ))
    }
}

impl SlaPolicy {
    /// Checks it is usable.
    pub fn validate(&self) -> Result<(), PolicyError> {
        if self.name.trim().is_empty() {
            return Err(PolicyError::NoName);
        }
        if !(1..=90).contains(&self.at_risk_percent) {
            return Err(PolicyError::AtRisk);
        }
        self.calendar.validate()?;
        // Every target must fall due within the calendar's reach (three years of days), from
        // any day of the week.
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 1, 5)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| t.and_utc());
        for tier in Tier::ALL {
            for priority in Priority::ALL {
                for clock in SlaClock::TARGETED {
                    let Some(target) = self.target(*tier, *priority, clock) else {
                        continue;
                    };
                    let reachable = (0..7).all(|day| {
                        monday
                            .map(|m| m + Duration::days(day))
                            .and_then(|start| target.due(start, &self.calendar))
                            .is_some()
                    });
                    if !reachable {
                        return Err(PolicyError::Unreachable {
                            target: target.to_string(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The targets for a tier.
    pub fn targets(&self, tier: Tier) -> &PriorityTargets {
        match tier {
            Tier::Standard => &self.standard,
            Tier::KeyAccount => &self.key_account,
        }
    }

    /// One target.
    pub fn target(&self, tier: Tier, priority: Priority, clock: SlaClock) -> Option<Target> {
        self.targets(tier).get(priority).get(clock)
    }

    /// Sets one target.
    pub fn set_target(
        &mut self,
        tier: Tier,
        priority: Priority,
        clock: SlaClock,
        target: Option<Target>,
    ) {
        let targets = match tier {
            Tier::Standard => &mut self.standard,
            Tier::KeyAccount => &mut self.key_account,
        };
        targets.get_mut(priority).set(clock, target);
    }

    /// The time from `from` to `to` that counts in `basis` (working time only, or all).
    pub fn measure(&self, basis: Basis, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        match basis {
            Basis::Business => self.calendar.between(from, to),
            Basis::Calendar => (to - from).max(Duration::zero()),
        }
    }

    pub(super) fn add(
        &self,
        basis: Basis,
        from: DateTime<Utc>,
        span: Duration,
    ) -> Option<DateTime<Utc>> {
        match basis {
            Basis::Business => self.calendar.add(from, span),
            Basis::Calendar => Some(from + span.max(Duration::zero())),
        }
    }

    /// The first moment at or after `at` that falls in working time (when alerts may go out).
    pub fn next_working_moment(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        self.calendar.add(at, Duration::zero()).unwrap_or(at)
    }
}
