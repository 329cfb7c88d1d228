//! How people sign in, read from the settings: single sign-on's provider and client, who may use
//! a password, and the public address passkeys and the provider's redirect start with. Checked
//! at start, so that a setting that would lock everyone out stops Redress with what to fix.

use crate::settings::Settings;

impl Settings {
    /// How people sign in: single sign-on, passwords, and the public address passkeys and
    /// the provider's redirect start with.
    pub fn sign_in(&self) -> anyhow::Result<redress_web::sign_in_methods::SignInSettings> {
        let public_url = self.public_url.trim_end_matches('/').to_string();
        let sso = if self.sso_issuer.trim().is_empty() {
            None
        } else {
            if self.sso_client_id.trim().is_empty() {
                anyhow::bail!(
                    "sso_issuer is set but sso_client_id is empty: give the client id Redress \
                     has at the provider (REDRESS_SSO_CLIENT_ID)"
                );
            }
            let new_accounts = match self.sso_new_accounts.trim() {
                "" => None,
                "agent" => Some(redress_store::Role::Agent),
                "manager" => Some(redress_store::Role::Manager),
                other => anyhow::bail!(
                    "sso_new_accounts is {other:?}: give agent, manager, or nothing (an admin \
                     makes accounts; admins are never made by single sign-on)"
                ),
            };
            Some(redress_web::sso::SsoSettings {
                issuer: self.sso_issuer.trim().to_string(),
                client_id: self.sso_client_id.trim().to_string(),
                client_secret: self.sso_client_secret.to_string(),
                name: self.sso_name.trim().to_string(),
                new_accounts,
                redirect_url: format!("{public_url}/sign-in/sso/callback"),
            })
        };
        let break_glass_admin =
            Some(self.break_glass_admin.trim().to_lowercase()).filter(|a| !a.is_empty());
        if !self.password_sign_in && sso.is_none() && break_glass_admin.is_none() {
            anyhow::bail!(
                "password_sign_in is false, but there is no single sign-on (sso_issuer) and no \
                 break_glass_admin: nobody could sign in"
            );
        }
        Ok(redress_web::sign_in_methods::SignInSettings {
            sso,
            passwords: self.password_sign_in,
            break_glass_admin,
            public_url,
        })
    }
}
