//! The ways in an installation offers, and who may use a password: single sign-on with the
//! company's OpenID Connect provider ([`crate::sso`]), passkeys ([`crate::passkeys`]), and
//! passwords (with a second factor, [`crate::two_factor`]) — which can be turned off for
//! everyone but one break-glass admin, and are off for accounts limited to single sign-on.

use redress_store::{Role, StaffAccount};

/// How people may sign in, as configured.
#[derive(Clone)]
pub struct SignInSettings {
    /// Single sign-on, when configured.
    pub sso: Option<crate::sso::SsoSettings>,
    /// Whether passwords sign in (for everyone; else only the break-glass admin).
    pub passwords: bool,
    /// The admin whose password still signs in when passwords are off (lower case).
    pub break_glass_admin: Option<String>,
    /// The address people reach Redress at (the passkeys' origin, and single sign-on's
    /// redirect address start with it).
    pub public_url: String,
}

impl Default for SignInSettings {
    fn default() -> Self {
        Self {
            sso: None,
            passwords: true,
            break_glass_admin: None,
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

/// Why a right password does not sign someone in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordRefused {
    /// Passwords are off here, and this is not the break-glass admin.
    Off,
    /// The account signs in only with single sign-on.
    SsoOnly,
}

impl PasswordRefused {
    /// The staff text that says so.
    pub fn key(self) -> &'static str {
        match self {
            PasswordRefused::Off => "note-passwords-off",
            PasswordRefused::SsoOnly => "note-sso-only",
        }
    }

    /// The audit trail's words.
    pub fn reason(self) -> &'static str {
        match self {
            PasswordRefused::Off => "password sign-in is turned off",
            PasswordRefused::SsoOnly => "the account signs in only with single sign-on",
        }
    }
}

/// The ways in that are running: what [`SignInSettings`] turned into at start.
pub struct SignInMethods {
    /// Single sign-on, when configured.
    pub sso: Option<crate::sso::Sso>,
    /// Passkeys, unless the public address cannot be a WebAuthn origin.
    pub passkeys: Option<crate::passkeys::RelyingParty>,
    passwords: bool,
    break_glass_admin: Option<String>,
}

impl SignInMethods {
    /// Sets up what `settings` ask for.
    pub fn new(settings: &SignInSettings) -> Self {
        Self {
            sso: settings.sso.clone().map(crate::sso::Sso::new),
            passkeys: crate::passkeys::RelyingParty::new(&settings.public_url),
            passwords: settings.passwords,
            break_glass_admin: settings
                .break_glass_admin
                .as_deref()
                .map(|a| a.trim().to_lowercase())
                .filter(|a| !a.is_empty()),
        }
    }

    /// Whether anyone may sign in with `email`'s password at all (before it is checked).
    pub fn password_possible(&self, email: &str) -> Result<(), PasswordRefused> {
        if self.passwords || self.break_glass_admin.as_deref() == Some(email) {
            Ok(())
        } else {
            Err(PasswordRefused::Off)
        }
    }

    /// Whether `account`'s right password signs it in.
    pub fn password_allowed(&self, account: &StaffAccount) -> Result<(), PasswordRefused> {
        let break_glass = self.break_glass_admin.as_deref() == Some(account.email.as_str())
            && account.role == Role::Admin;
        if !self.passwords && !break_glass {
            Err(PasswordRefused::Off)
        } else if account.sso_only && !break_glass {
            Err(PasswordRefused::SsoOnly)
        } else {
            Ok(())
        }
    }

    /// Whether `account` may sign in with a passkey (not when limited to single sign-on).
    pub fn passkey_allowed(&self, account: &StaffAccount) -> Result<(), PasswordRefused> {
        let break_glass = self.break_glass_admin.as_deref() == Some(account.email.as_str())
            && account.role == Role::Admin;
        if account.sso_only && !break_glass {
            Err(PasswordRefused::SsoOnly)
        } else {
            Ok(())
        }
    }

    /// What the sign-in page's button calls the provider, when there is single sign-on.
    pub fn sso_name(&self) -> Option<&str> {
        self.sso.as_ref().map(crate::sso::Sso::name)
    }

    /// Whether passwords sign in for everyone.
    pub fn passwords_on(&self) -> bool {
        self.passwords
    }
}
