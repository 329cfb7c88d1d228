//! The demo's key accounts kept close: each has an owner and meetings on file; Northwind
//! Traders was met recently, the South China distributor five months ago and its next meeting
//! is overdue, so the key accounts' list shows one at risk and why.

use chrono::{Duration, NaiveDate, Utc};
use redress_domain::{CompanyId, StaffMember};
use redress_store::Store;
use redress_store::key_accounts::{MeetingKind, NewMeeting};

/// A meeting: how many days ago, meeting or call, who, what was agreed, and when the next is
/// due in days from today (negative: overdue).
type DemoMeeting = (i64, MeetingKind, &'static str, &'static str, Option<i64>);

/// Each key account: its name, its owner's index in the demo staff, its meetings.
const ACCOUNTS: &[(&str, usize, &[DemoMeeting])] = &[
    (
        "Northwind Traders",
        1,
        &[
            (
                75,
                MeetingKind::Meeting,
                "Their head of purchasing; James Carter",
                "Quarterly review: fewer damaged pallets. We send a weekly list of open complaints.",
                Some(-15),
            ),
            (
                12,
                MeetingKind::Call,
                "Their head of purchasing; James Carter",
                "The weekly list helps. Next: invoices split by depot from January.",
                Some(60),
            ),
        ],
    ),
    (
        "华南电子有限公司",
        3,
        &[(
            150,
            MeetingKind::Meeting,
            "采购经理；Zhang Wei",
            "每月对账一次；发票问题在两个工作日内答复。",
            Some(-60),
        )],
    ),
];

/// Gives the demo's key accounts their owners and meetings.
pub async fn keep_close(store: &Store, staff: &[StaffMember]) -> anyhow::Result<()> {
    let now = Utc::now();
    let today = now.date_naive();
    let day = |offset: i64| -> NaiveDate { today + Duration::days(offset) };
    for (company, owner, meetings) in ACCOUNTS {
        let id = CompanyId::for_name(company).0;
        let owner = &staff[*owner];
        store
            .key_accounts
            .set_owner(id, Some((owner.id, &owner.name)), now, "Demo data")
            .await?;
        for (ago, kind, who, agreed, next) in *meetings {
            store
                .key_accounts
                .record_meeting(
                    id,
                    NewMeeting {
                        held_on: day(-ago),
                        kind: *kind,
                        contact: None,
                        who: (*who).into(),
                        agreed: (*agreed).into(),
                        next_due: next.map(day),
                    },
                    today,
                    now,
                    "Demo data",
                )
                .await?;
        }
    }
    Ok(())
}
