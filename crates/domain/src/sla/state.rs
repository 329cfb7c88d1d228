//! A complaint's clocks as its events and the passing of time move them: running, paused, at risk, breached, met.

use super::*;

/// Where one clock stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockState {
    /// Which clock.
    pub clock: SlaClock,
    /// The run of this clock (1 first; the update clock starts a new run after each update,
    /// the commit and resolve clocks on reopening).
    pub cycle: u32,
    /// Its target now (none: not tracked, or a promise).
    pub target: Option<Target>,
    /// A promise's date: due at the end of it, in the calendar's time zone.
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    /// When this run started (none: not started).
    pub started_at: Option<DateTime<Utc>>,
    /// The time it is allowed, in its basis, measured from its start (seconds).
    pub allowance_secs: i64,
    /// Working time (by the policy's calendar) counted before `running_since`, seconds.
    /// Both measures are kept, so a priority change to a target of the other basis still
    /// counts the run from its start.
    pub consumed_business_secs: i64,
    /// Elapsed time counted before `running_since`, seconds.
    pub consumed_elapsed_secs: i64,
    /// Since when it runs; none while paused, met or not started.
    pub running_since: Option<DateTime<Utc>>,
    /// Since when it is paused.
    pub paused_since: Option<DateTime<Utc>>,
    /// Wall-clock time spent paused in this run (seconds).
    pub paused_secs: i64,
    /// When it falls due, while it runs.
    pub due_at: Option<DateTime<Utc>>,
    /// When it becomes at risk, while it runs.
    pub at_risk_at: Option<DateTime<Utc>>,
    /// When it was found at risk (this run).
    pub at_risk_reached: Option<DateTime<Utc>>,
    /// When it was met (this run).
    pub met_at: Option<DateTime<Utc>>,
    /// The due time it passed unmet (this run).
    pub breached_at: Option<DateTime<Utc>>,
    /// Ended without being met or breached (the update clock at resolution, when no update
    /// was owed).
    pub ended_at: Option<DateTime<Utc>>,
}

/// A clock's state at a moment, for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockStatus {
    /// Not started, or not tracked.
    Idle,
    /// Met in time.
    Met,
    /// Met, after its due time.
    MetLate,
    /// Ended without anything owed.
    Ended,
    /// Paused while waiting on the customer.
    Paused,
    /// Running, plenty of time left.
    OnTrack,
    /// Running, less than the at-risk share left.
    AtRisk,
    /// Past its due time, unmet.
    Breached,
}

impl ClockStatus {
    /// The code.
    pub fn code(self) -> &'static str {
        match self {
            ClockStatus::Idle => "idle",
            ClockStatus::Met => "met",
            ClockStatus::MetLate => "met_late",
            ClockStatus::Ended => "ended",
            ClockStatus::Paused => "paused",
            ClockStatus::OnTrack => "on_track",
            ClockStatus::AtRisk => "at_risk",
            ClockStatus::Breached => "breached",
        }
    }

    /// A label.
    pub fn label(self) -> &'static str {
        match self {
            ClockStatus::Idle => "Not started",
            ClockStatus::Met => "Met",
            ClockStatus::MetLate => "Met late",
            ClockStatus::Ended => "Ended",
            ClockStatus::Paused => "Paused",
            ClockStatus::OnTrack => "On track",
            ClockStatus::AtRisk => "At risk",
            ClockStatus::Breached => "Breached",
        }
    }
}

impl ClockState {
    pub(super) fn new(clock: SlaClock) -> Self {
        Self {
            clock,
            cycle: 0,
            target: None,
            deadline: None,
            started_at: None,
            allowance_secs: 0,
            consumed_business_secs: 0,
            consumed_elapsed_secs: 0,
            running_since: None,
            paused_since: None,
            paused_secs: 0,
            due_at: None,
            at_risk_at: None,
            at_risk_reached: None,
            met_at: None,
            breached_at: None,
            ended_at: None,
        }
    }

    /// Whether it runs or is paused (started, not met or ended).
    pub fn is_open(&self) -> bool {
        self.started_at.is_some() && self.met_at.is_none() && self.ended_at.is_none()
    }

    /// How its time counts: its target's basis, or elapsed time for a promise's date; none
    /// when it is not tracked.
    pub fn basis(&self) -> Option<Basis> {
        match (self.target, self.deadline) {
            (Some(target), _) => Some(target.basis),
            (None, Some(_)) => Some(Basis::Calendar),
            (None, None) => None,
        }
    }

    /// Its state at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> ClockStatus {
        if self.started_at.is_none() || self.basis().is_none() && self.is_open() {
            return ClockStatus::Idle;
        }
        if self.met_at.is_some() {
            return if self.breached_at.is_some() {
                ClockStatus::MetLate
            } else {
                ClockStatus::Met
            };
        }
        if self.ended_at.is_some() {
            return if self.breached_at.is_some() {
                ClockStatus::Breached
            } else {
                ClockStatus::Ended
            };
        }
        if self.breached_at.is_some() || self.due_at.is_some_and(|d| d <= now) {
            return ClockStatus::Breached;
        }
        if self.running_since.is_none() {
            return ClockStatus::Paused;
        }
        if self.at_risk_at.is_some_and(|a| a <= now) {
            ClockStatus::AtRisk
        } else {
            ClockStatus::OnTrack
        }
    }

    /// Time counted before `running_since`, in `basis`.
    pub fn consumed(&self, basis: Basis) -> i64 {
        match basis {
            Basis::Business => self.consumed_business_secs,
            Basis::Calendar => self.consumed_elapsed_secs,
        }
    }

    /// Time left at `now` in its basis (negative once past due); none unless it runs or is
    /// paused with a target.
    pub fn left_secs(&self, policy: &SlaPolicy, now: DateTime<Utc>) -> Option<i64> {
        let basis = self.basis()?;
        if !self.is_open() {
            return None;
        }
        let mut used = self.consumed(basis);
        if let Some(since) = self.running_since {
            used += policy.measure(basis, since, now).num_seconds();
            if let Some(due) = self.due_at
                && now > due
            {
                return Some(-(now - due).num_seconds());
            }
        }
        Some(self.allowance_secs - used)
    }
}

/// Something the passing of time did to a clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Less than the at-risk share is left.
    AtRisk {
        /// Which clock.
        clock: SlaClock,
        /// Which run.
        cycle: u32,
        /// When it became at risk.
        at: DateTime<Utc>,
        /// When it falls due.
        due_at: DateTime<Utc>,
    },
    /// Past due, unmet.
    Breached {
        /// Which clock.
        clock: SlaClock,
        /// Which run.
        cycle: u32,
        /// Its due time (the moment of the breach).
        due_at: DateTime<Utc>,
    },
}

impl Transition {
    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match *self {
            Transition::AtRisk { at, .. } => at,
            Transition::Breached { due_at, .. } => due_at,
        }
    }
}

/// A run of a clock that ended, for the record (met, or breached and then met or ended).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockOutcome {
    /// Which clock.
    pub clock: SlaClock,
    /// Which run.
    pub cycle: u32,
    /// When it was met (none: ended without being met).
    pub met_at: Option<DateTime<Utc>>,
    /// The breach recorded for this run was premature: the event that met the clock happened
    /// before its due time but was seen after the scheduler had judged it breached (an event
    /// committed late). The breach must be taken back.
    pub revoked_breach: Option<DateTime<Utc>>,
}

/// One met run of a clock, measured (see [`ComplaintSla::apply_measured`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunMeasure {
    /// Which clock.
    pub clock: SlaClock,
    /// Which run.
    pub cycle: u32,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When it was met.
    pub met_at: DateTime<Utc>,
    /// Working time it took (the policy calendar's hours), paused time left out.
    pub business_secs: i64,
    /// Elapsed time it took, paused time left out.
    pub calendar_secs: i64,
    /// Its target (none: the clock was not tracked for this complaint).
    pub target: Option<Target>,
    /// Whether it was met only after its due time.
    pub breached: bool,
}

/// Every clock of one complaint: what the SLA projector keeps per complaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComplaintSla {
    /// The policy version it was received under.
    pub policy_version: u32,
    /// Its tier on arrival.
    pub tier: Tier,
    /// Its priority now.
    pub priority: Priority,
    /// Its category now.
    pub category: String,
    /// Its owner now.
    pub owner: Option<StaffMember>,
    /// Its team now (none for complaints received before teams).
    #[serde(default)]
    pub team: Option<crate::teams::TeamRef>,
    /// Whether it is resolved (or closed).
    pub resolved: bool,
    /// Whether it waits on the customer.
    pub waiting: bool,
    /// The clocks, in [`SlaClock::ALL`] order (stored states from before the promises
    /// existed gain them, not started, when read).
    #[serde(deserialize_with = "every_clock")]
    pub clocks: Vec<ClockState>,
    /// Breaches taken back while applying the current event: `(clock, run, due)`.
    #[serde(skip)]
    revoked: Vec<(SlaClock, u32, DateTime<Utc>)>,
    /// Runs ended unmet while applying the current event (a commitment replaced): `(clock,
    /// run)`.
    #[serde(skip)]
    ended: Vec<(SlaClock, u32)>,
}

/// Reads the stored clocks, adding any clock the state was stored without.
pub(super) fn every_clock<'de, D>(deserializer: D) -> Result<Vec<ClockState>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let stored = Vec::<ClockState>::deserialize(deserializer)?;
    Ok(SlaClock::ALL
        .into_iter()
        .map(|clock| {
            stored
                .iter()
                .find(|s| s.clock == clock)
                .cloned()
                .unwrap_or_else(|| ClockState::new(clock))
        })
        .collect())
}

impl ComplaintSla {
    /// The clocks of one complaint as its events up to `at` set them, judged at `at`: what
    /// the SLA projector and its scheduler record (or had recorded then). The complaint's
    /// page, its time travel and the dashboard's time travel all ask this. `None` when the
    /// first event is not the complaint's receipt.
    pub fn replay(
        events: &[ComplaintEvent],
        policy: &SlaPolicy,
        policy_version: u32,
        at: DateTime<Utc>,
    ) -> Option<Self> {
        let (first, rest) = events.split_first()?;
        let ComplaintChange::ComplaintReceived {
            tier,
            priority,
            category,
            ..
        } = &first.change
        else {
            return None;
        };
        let mut sla = Self::received(
            policy_version,
            policy,
            *tier,
            *priority,
            category.clone(),
            first.occurred_at,
        );
        for event in rest.iter().take_while(|e| e.occurred_at <= at) {
            sla.advance(event.occurred_at);
            sla.apply(policy, event);
        }
        sla.advance(at);
        Some(sla)
    }

    /// The clocks of a complaint received at `at` under `policy` (version `policy_version`).
    pub fn received(
        policy_version: u32,
        policy: &SlaPolicy,
        tier: Tier,
        priority: Priority,
        category: String,
        at: DateTime<Utc>,
    ) -> Self {
        let mut sla = Self {
            policy_version,
            tier,
            priority,
            category,
            owner: None,
            team: None,
            resolved: false,
            waiting: false,
            clocks: SlaClock::ALL.into_iter().map(ClockState::new).collect(),
            revoked: Vec::new(),
            ended: Vec::new(),
        };
        for clock in [
            SlaClock::Acknowledge,
            SlaClock::Owner,
            SlaClock::Commit,
            SlaClock::Resolve,
        ] {
            sla.start(policy, clock, at);
        }
        sla
    }

    /// One clock.
    pub fn clock(&self, clock: SlaClock) -> &ClockState {
        &self.clocks[clock.index()]
    }

    pub(super) fn clock_mut(&mut self, clock: SlaClock) -> &mut ClockState {
        &mut self.clocks[clock.index()]
    }

    /// Starts a (new run of a) clock at `at`; paused at once if the complaint waits and the
    /// clock pauses.
    pub(super) fn start(&mut self, policy: &SlaPolicy, clock: SlaClock, at: DateTime<Utc>) {
        let target = policy.target(self.tier, self.priority, clock);
        let paused = self.waiting && clock.pauses();
        let state = self.clock_mut(clock);
        let cycle = state.cycle + 1;
        *state = ClockState::new(clock);
        state.cycle = cycle;
        state.started_at = Some(at);
        state.target = target;
        if paused {
            state.paused_since = Some(at);
        } else {
            state.running_since = Some(at);
        }
        retarget(state, policy, target, at);
    }

    /// Starts a (new run of a) promise, due at the end of `date` in the calendar's zone.
    pub(super) fn start_promise(
        &mut self,
        policy: &SlaPolicy,
        clock: SlaClock,
        at: DateTime<Utc>,
        date: NaiveDate,
    ) {
        let state = self.clock_mut(clock);
        let cycle = state.cycle + 1;
        *state = ClockState::new(clock);
        state.cycle = cycle;
        state.started_at = Some(at);
        state.deadline = Some(date);
        state.running_since = Some(at);
        retarget(state, policy, None, at);
    }

    /// Ends an open run without its being met (a promise replaced or void).
    pub(super) fn end(&mut self, clock: SlaClock, at: DateTime<Utc>) {
        let state = self.clock_mut(clock);
        if state.is_open() {
            state.ended_at = Some(at);
            let cycle = state.cycle;
            stop(state);
            self.ended.push((clock, cycle));
        }
    }

    pub(super) fn meet(&mut self, clock: SlaClock, at: DateTime<Utc>) {
        let state = self.clock_mut(clock);
        if state.is_open() {
            state.met_at = Some(at);
            // Met before its due time, though seen after: never breached (a rebuild, seeing
            // the event in order, agrees).
            let revoked = state.breached_at.filter(|due| *due > at);
            if revoked.is_some() {
                state.breached_at = None;
            }
            let cycle = state.cycle;
            stop(state);
            if let Some(due) = revoked {
                self.revoked.push((clock, cycle, due));
            }
        }
    }

    pub(super) fn pause(&mut self, policy: &SlaPolicy, at: DateTime<Utc>) {
        for state in self.clocks.iter_mut().filter(|s| s.clock.pauses()) {
            if !state.is_open() {
                continue;
            }
            if let Some(since) = state.running_since.take() {
                state.consumed_business_secs +=
                    policy.measure(Basis::Business, since, at).num_seconds();
                state.consumed_elapsed_secs +=
                    policy.measure(Basis::Calendar, since, at).num_seconds();
                state.paused_since = Some(at);
                state.due_at = None;
                state.at_risk_at = None;
            }
        }
    }

    pub(super) fn resume(&mut self, policy: &SlaPolicy, at: DateTime<Utc>) {
        for state in self.clocks.iter_mut() {
            if !state.is_open() {
                continue;
            }
            if let Some(since) = state.paused_since.take() {
                state.paused_secs += (at - since).num_seconds().max(0);
                state.running_since = Some(at);
                schedule(state, policy, at);
            }
        }
    }

    /// Records what the passing of time did up to `now`: clocks that fell due unmet are
    /// breached (at their due time), clocks that passed their at-risk moment are at risk.
    /// Idempotent.
    pub fn advance(&mut self, now: DateTime<Utc>) -> Vec<Transition> {
        let mut transitions = Vec::new();
        for state in &mut self.clocks {
            if state.running_since.is_none() || !state.is_open() || state.breached_at.is_some() {
                continue;
            }
            if let (Some(at), Some(due), None) =
                (state.at_risk_at, state.due_at, state.at_risk_reached)
                && at <= now
                && at < due
            {
                state.at_risk_reached = Some(at);
                transitions.push(Transition::AtRisk {
                    clock: state.clock,
                    cycle: state.cycle,
                    at,
                    due_at: due,
                });
            }
            if let Some(due) = state.due_at
                && due <= now
            {
                state.breached_at = Some(due);
                transitions.push(Transition::Breached {
                    clock: state.clock,
                    cycle: state.cycle,
                    due_at: due,
                });
            }
        }
        transitions
    }

    /// Applies one event (after [`ComplaintSla::advance`] to its time). Returns the runs of
    /// clocks it ended.
    pub fn apply(&mut self, policy: &SlaPolicy, event: &ComplaintEvent) -> Vec<ClockOutcome> {
        let at = event.occurred_at;
        let before: Vec<(u32, bool)> = self.clocks.iter().map(|c| (c.cycle, c.is_open())).collect();
        match &event.change {
            ComplaintChange::ComplaintAcknowledged { .. } => {
                self.meet(SlaClock::Acknowledge, at);
                if !self.clock(SlaClock::Update).is_open() && !self.resolved {
                    self.start(policy, SlaClock::Update, at);
                }
            }
            ComplaintChange::OwnerAssigned { owner, .. } => {
                self.owner = Some(owner.clone());
                self.meet(SlaClock::Owner, at);
            }
            ComplaintChange::ActionCommitted { due_on, .. } => {
                self.meet(SlaClock::Commit, at);
                // A new commitment replaces the one before: its date no longer holds.
                self.end(SlaClock::Action, at);
                if !self.resolved {
                    self.start_promise(policy, SlaClock::Action, at, *due_on);
                }
            }
            ComplaintChange::ProgressUpdateSent { next_update_on, .. } => {
                self.updated(policy, at);
                if !self.resolved {
                    self.start_promise(policy, SlaClock::Promise, at, *next_update_on);
                }
            }
            ComplaintChange::CommunicationRecorded {
                direction: Direction::Outbound,
                ..
            }
            | ComplaintChange::ReplySent { .. }
            | ComplaintChange::PointsOfComplaintRecorded { sent: true, .. } => {
                self.updated(policy, at)
            }
            ComplaintChange::WaitingOnCustomer { .. } => {
                self.updated(policy, at);
                self.waiting = true;
                self.pause(policy, at);
            }
            ComplaintChange::CustomerResponded { .. } => {
                self.waiting = false;
                self.resume(policy, at);
            }
            ComplaintChange::ComplaintResolved { .. } => {
                if self.waiting {
                    self.waiting = false;
                    self.resume(policy, at);
                }
                self.resolved = true;
                for clock in SlaClock::ALL {
                    self.meet(clock, at);
                }
            }
            // A duplicate merged into another: its clocks end unmet (the other carries the
            // customer's case on); nothing more is owed on it.
            ComplaintChange::MergedInto { .. } => {
                self.waiting = false;
                self.resolved = true;
                for clock in SlaClock::ALL {
                    self.end(clock, at);
                }
            }
            ComplaintChange::ComplaintReopened { .. } => {
                self.resolved = false;
                for clock in [SlaClock::Commit, SlaClock::Update, SlaClock::Resolve] {
                    self.start(policy, clock, at);
                }
            }
            ComplaintChange::PriorityChanged { to, .. } => {
                self.priority = *to;
                for clock in SlaClock::TARGETED {
                    let target = policy.target(self.tier, self.priority, clock);
                    let state = self.clock_mut(clock);
                    if state.is_open() {
                        state.target = target;
                        retarget(state, policy, target, at);
                    }
                }
            }
            ComplaintChange::CategoryChanged { to, .. } => self.category = to.clone(),
            ComplaintChange::TeamChanged { team, .. } => self.team = Some(team.clone()),
            _ => {}
        }
        let mut outcomes: Vec<ClockOutcome> = self
            .clocks
            .iter()
            .zip(before)
            .filter(|(state, (cycle, was_open))| {
                *was_open && (state.cycle != *cycle || !state.is_open())
            })
            .map(|(state, (cycle, _))| ClockOutcome {
                clock: state.clock,
                cycle,
                met_at: if self.ended.contains(&(state.clock, cycle)) {
                    None
                } else if state.cycle == cycle {
                    state.met_at
                } else {
                    Some(at)
                },
                revoked_breach: None,
            })
            .collect();
        self.ended.clear();
        for (clock, cycle, due) in self.revoked.drain(..) {
            if let Some(outcome) = outcomes
                .iter_mut()
                .find(|o| o.clock == clock && o.cycle == cycle)
            {
                outcome.revoked_breach = Some(due);
            }
        }
        outcomes
    }

    /// Like [`ComplaintSla::apply`], and also measures every run the event met: how long it
    /// took in working and in elapsed time (time paused not counted), and whether it was met
    /// within its target. What the response-speed reports count.
    pub fn apply_measured(
        &mut self,
        policy: &SlaPolicy,
        event: &ComplaintEvent,
    ) -> (Vec<ClockOutcome>, Vec<RunMeasure>) {
        let before = self.clocks.clone();
        let outcomes = self.apply(policy, event);
        let measures = outcomes
            .iter()
            .filter_map(|outcome| {
                let met_at = outcome.met_at?;
                let run = before
                    .iter()
                    .find(|c| c.clock == outcome.clock && c.cycle == outcome.cycle)?;
                let started_at = run.started_at?;
                let (business, calendar) = match run.running_since {
                    Some(since) => (
                        run.consumed_business_secs
                            + policy.measure(Basis::Business, since, met_at).num_seconds(),
                        run.consumed_elapsed_secs
                            + policy.measure(Basis::Calendar, since, met_at).num_seconds(),
                    ),
                    None => (run.consumed_business_secs, run.consumed_elapsed_secs),
                };
                Some(RunMeasure {
                    clock: outcome.clock,
                    cycle: outcome.cycle,
                    started_at,
                    met_at,
                    business_secs: business.max(0),
                    calendar_secs: calendar.max(0),
                    target: run.target,
                    breached: run.breached_at.is_some_and(|due| due <= met_at)
                        && outcome.revoked_breach.is_none(),
                })
            })
            .collect();
        (outcomes, measures)
    }

    /// The customer was told how things stand: the update clock's run is met and a new one
    /// starts (paused if we wait on them).
    pub(super) fn updated(&mut self, policy: &SlaPolicy, at: DateTime<Utc>) {
        // Any message to the customer keeps the promise of the next update.
        self.meet(SlaClock::Promise, at);
        if self.resolved || self.clock(SlaClock::Update).started_at.is_none() {
            return;
        }
        self.meet(SlaClock::Update, at);
        self.start(policy, SlaClock::Update, at);
    }

    /// The worst state of its running clocks at `now`; when none runs, "met late" if any clock
    /// was met late, "met" if any ran, else "not started".
    pub fn status(&self, now: DateTime<Utc>) -> ClockStatus {
        let statuses: Vec<ClockStatus> = self.clocks.iter().map(|c| c.status(now)).collect();
        let done = |s: &ClockStatus| {
            matches!(
                s,
                ClockStatus::Met | ClockStatus::MetLate | ClockStatus::Ended | ClockStatus::Idle
            )
        };
        if let Some(open) = statuses.iter().copied().filter(|s| !done(s)).max() {
            return open;
        }
        // Nothing running: every clock that ran is done. Met late if any was.
        if statuses.contains(&ClockStatus::MetLate) {
            ClockStatus::MetLate
        } else if statuses.contains(&ClockStatus::Met) {
            ClockStatus::Met
        } else {
            ClockStatus::Idle
        }
    }

    /// The running clock due first, not yet breached: `(clock, due)`.
    pub fn next_due(&self) -> Option<(SlaClock, DateTime<Utc>)> {
        self.clocks
            .iter()
            .filter(|c| c.is_open() && c.breached_at.is_none())
            .filter_map(|c| c.due_at.map(|d| (c.clock, d)))
            .min_by_key(|(_, d)| *d)
    }

    /// The first at-risk moment still to come (not yet reached, before its due time).
    pub fn next_at_risk(&self) -> Option<DateTime<Utc>> {
        self.clocks
            .iter()
            .filter(|c| c.is_open() && c.breached_at.is_none() && c.at_risk_reached.is_none())
            .filter_map(|c| match (c.at_risk_at, c.due_at) {
                (Some(a), Some(d)) if a < d => Some(a),
                _ => None,
            })
            .min()
    }

    /// The due time of the oldest breach not yet made good.
    pub fn breached_since(&self) -> Option<DateTime<Utc>> {
        self.oldest_breach().map(|(_, due)| due)
    }

    /// The clock of the oldest breach not yet made good, and its due time.
    pub fn oldest_breach(&self) -> Option<(SlaClock, DateTime<Utc>)> {
        self.clocks
            .iter()
            .filter(|c| c.started_at.is_some() && c.met_at.is_none())
            .filter_map(|c| c.breached_at.map(|due| (c.clock, due)))
            .min_by_key(|(_, due)| *due)
    }

    /// The first at-risk moment of a running, unbreached clock (reached or not).
    pub fn at_risk_from(&self) -> Option<DateTime<Utc>> {
        self.clocks
            .iter()
            .filter(|c| c.is_open() && c.breached_at.is_none() && c.running_since.is_some())
            .filter_map(|c| c.at_risk_at)
            .min()
    }

    /// When time will next do something to a clock (an at-risk moment or a due time).
    pub fn next_check(&self) -> Option<DateTime<Utc>> {
        [self.next_at_risk(), self.next_due().map(|(_, d)| d)]
            .into_iter()
            .flatten()
            .min()
    }

    /// Whether a clock is breached and still open (or ended breached, unmet).
    pub fn has_open_breach(&self) -> bool {
        self.clocks
            .iter()
            .any(|c| c.breached_at.is_some() && c.met_at.is_none() && c.started_at.is_some())
    }

    /// Whether some clock is paused and none runs.
    pub fn is_paused(&self) -> bool {
        let open = self
            .clocks
            .iter()
            .filter(|c| c.is_open() && c.target.is_some());
        let mut any = false;
        for c in open {
            if c.running_since.is_some() {
                return false;
            }
            any = true;
        }
        any
    }
}

/// Sets a clock's allowance from its target (or a promise's date), measured from its start,
/// and its due times.
pub(super) fn retarget(
    state: &mut ClockState,
    policy: &SlaPolicy,
    target: Option<Target>,
    at: DateTime<Utc>,
) {
    if let (None, Some(date), Some(start)) = (target, state.deadline, state.started_at) {
        // Due at the end of the promised day (midnight after it, in the calendar's zone).
        let due = date
            .succ_opt()
            .map(|next| policy.calendar.instant(next, NaiveTime::MIN));
        match due {
            Some(due) => {
                state.allowance_secs = (due - start).num_seconds().max(0);
                schedule(state, policy, at);
            }
            None => {
                state.deadline = None;
                state.allowance_secs = 0;
                state.due_at = None;
                state.at_risk_at = None;
            }
        }
        return;
    }
    let (Some(target), Some(start)) = (target, state.started_at) else {
        state.allowance_secs = 0;
        state.due_at = None;
        state.at_risk_at = None;
        return;
    };
    match target.due(start, &policy.calendar) {
        Some(due) => {
            state.allowance_secs = policy.measure(target.basis, start, due).num_seconds();
            schedule(state, policy, at);
        }
        // No working time in reach (policies are checked for this when saved): nothing can
        // fall due.
        None => {
            state.allowance_secs = 0;
            state.target = None;
            state.due_at = None;
            state.at_risk_at = None;
        }
    }
}

/// Sets a running clock's due and at-risk moments from what it has left, not before `at`.
pub(super) fn schedule(state: &mut ClockState, policy: &SlaPolicy, at: DateTime<Utc>) {
    let (Some(basis), Some(since)) = (state.basis(), state.running_since) else {
        state.due_at = None;
        state.at_risk_at = None;
        return;
    };
    let left = state
        .allowance_secs
        .saturating_sub(state.consumed(basis))
        .max(0);
    let risk = state
        .allowance_secs
        .saturating_mul(i64::from(policy.at_risk_percent))
        / 100;
    let after =
        |secs: i64| Duration::try_seconds(secs).and_then(|span| policy.add(basis, since, span));
    // A clock left with no time (a re-target to a shorter target) falls due at the change.
    state.due_at = after(left).map(|due| due.max(at));
    state.at_risk_at = after(left.saturating_sub(risk).max(0)).map(|risky| risky.max(at));
}

pub(super) fn stop(state: &mut ClockState) {
    if let Some(since) = state.paused_since.take()
        && let Some(end) = state.met_at.or(state.ended_at)
    {
        state.paused_secs += (end - since).num_seconds().max(0);
    }
    state.running_since = None;
    state.due_at = None;
    state.at_risk_at = None;
}
