use redress_store::{AccountError, Role};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::Fixture;

on_both_backends!(two_admins_demoting_each_other_at_once_leave_one_admin);

/// Each admin may demote (or deactivate) the other, but not both at the same moment: the
/// second change is refused, whichever order the database serves them in.
async fn two_admins_demoting_each_other_at_once_leave_one_admin(db: TestDb) {
    let f = Fixture::new(db).await;
    let accounts = &f.store.accounts;
    let hash = redress_store::accounts::hash_password("a long test password").unwrap();
    for round in 0..5 {
        let a = accounts
            .create(&format!("a{round}@staff.example"), "A", Role::Admin, &hash)
            .await
            .unwrap();
        let b = accounts
            .create(&format!("b{round}@staff.example"), "B", Role::Admin, &hash)
            .await
            .unwrap();
        // Only these two are admins in this round.
        for other in accounts.list().await.unwrap() {
            if other.id != a.id && other.id != b.id && other.role == Role::Admin {
                accounts.set_role(other.id, Role::Agent).await.unwrap();
            }
        }
        let (first, second) = if round % 2 == 0 {
            tokio::join!(
                accounts.set_role(a.id, Role::Agent),
                accounts.set_active(b.id, false)
            )
        } else {
            tokio::join!(
                accounts.set_role(a.id, Role::Manager),
                accounts.set_role(b.id, Role::Agent)
            )
        };
        let refused = [&first, &second]
            .iter()
            .filter(|r| matches!(r, Err(AccountError::LastAdmin)))
            .count();
        assert_eq!(refused, 1, "round {round}: {first:?} {second:?}");
        assert!(first.is_ok() || second.is_ok());
        let admins = accounts
            .list()
            .await
            .unwrap()
            .into_iter()
            .filter(|x| x.role == Role::Admin && x.active)
            .count();
        assert_eq!(admins, 1, "round {round}");
    }
    // The last admin alone cannot be demoted or deactivated either.
    let last = accounts
        .list()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.role == Role::Admin && x.active)
        .unwrap();
    assert!(matches!(
        accounts.set_role(last.id, Role::Agent).await,
        Err(AccountError::LastAdmin)
    ));
    assert!(matches!(
        accounts.set_active(last.id, false).await,
        Err(AccountError::LastAdmin)
    ));
    // Other accounts change freely, with or without admins around.
    let agent = accounts
        .create("agent@staff.example", "Agent", Role::Agent, &hash)
        .await
        .unwrap();
    accounts.set_active(agent.id, false).await.unwrap();
    accounts.set_role(agent.id, Role::Manager).await.unwrap();
    assert!(matches!(
        accounts.set_role(uuid::Uuid::new_v4(), Role::Agent).await,
        Err(AccountError::NotFound)
    ));
}
