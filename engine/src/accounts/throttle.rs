//! Login throttling with `governor` keyed rate limiters. Three keys are checked on every
//! attempt: the client IP (stops one machine guessing across many accounts), the (account, IP)
//! pair (stops one machine guessing one account, without touching the owner elsewhere) and the
//! account alone (a generous cap on distributed guessing). The owner is delayed only while an
//! attack is under way, and by at most one refill period after it stops.
//!
//! With several nodes the buckets are shared through Redis ([`Bus::throttle`]), so an attacker
//! spreading attempts over the nodes gets no more of them; while Redis cannot be reached each
//! node falls back to its own buckets.

use super::AuthError;
use crate::bus::Bus;
use crate::limits::{
    LOGIN_ACCOUNT_BURST, LOGIN_ACCOUNT_REFILL_MS, LOGIN_IP_BURST, LOGIN_IP_REFILL_MS,
    LOGIN_PAIR_BURST, LOGIN_PAIR_REFILL_MS, LOGIN_THROTTLE_KEYS_MAX,
};
use crate::throttle::{retry_after_secs, KeyedLimit};
use std::net::IpAddr;

pub struct LoginThrottle {
    ip: KeyedLimit<IpAddr>,
    pair: KeyedLimit<(String, IpAddr)>,
    account: KeyedLimit<String>,
    /// The buckets every node shares, when there is a bus.
    shared: Option<Bus>,
}

fn throttled(wait: std::time::Duration) -> AuthError {
    AuthError::Throttled {
        retry_after_secs: retry_after_secs(wait),
    }
}

impl LoginThrottle {
    pub fn new(shared: Option<Bus>) -> LoginThrottle {
        let keys = LOGIN_THROTTLE_KEYS_MAX;
        LoginThrottle {
            shared,
            ip: KeyedLimit::new(LOGIN_IP_BURST, LOGIN_IP_REFILL_MS, keys),
            pair: KeyedLimit::new(LOGIN_PAIR_BURST, LOGIN_PAIR_REFILL_MS, keys),
            account: KeyedLimit::new(LOGIN_ACCOUNT_BURST, LOGIN_ACCOUNT_REFILL_MS, keys),
        }
    }

    pub async fn check_login(&self, account: &str, ip: IpAddr) -> Result<(), AuthError> {
        if let Some(shared) = self.check_login_shared(account, ip).await {
            return shared;
        }
        self.ip.check_local(&ip).map_err(throttled)?;
        let pair = (account.to_owned(), ip);
        self.pair.check_local(&pair).map_err(throttled)?;
        self.account
            .check_local(&account.to_owned())
            .map_err(throttled)
    }

    /// The shared buckets' verdict, in order (a refusal takes nothing from the later ones);
    /// `None` without a bus or when Redis fails (the node's own buckets decide then).
    async fn check_login_shared(&self, account: &str, ip: IpAddr) -> Option<Result<(), AuthError>> {
        let bus = self.shared.as_ref();
        if let Err(wait) = self.ip.check_shared(bus, &format!("ip:{ip}")).await? {
            return Some(Err(throttled(wait)));
        }
        let pair = format!("pair:{account}:{ip}");
        if let Err(wait) = self.pair.check_shared(bus, &pair).await? {
            return Some(Err(throttled(wait)));
        }
        let verdict = self
            .account
            .check_shared(bus, &format!("account:{account}"))
            .await?;
        Some(verdict.map_err(throttled))
    }

    pub async fn check_registration(&self, ip: IpAddr) -> Result<(), AuthError> {
        let name = format!("ip:{ip}");
        self.ip
            .check(self.shared.as_ref(), &name, &ip)
            .await
            .map_err(throttled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_guessing_ip_is_stopped_without_locking_out_the_owner_elsewhere() {
        let throttle = LoginThrottle::new(None);
        let attacker: IpAddr = "10.0.0.1".parse().unwrap();
        let owner: IpAddr = "10.0.0.2".parse().unwrap();
        for _ in 0..LOGIN_PAIR_BURST {
            throttle.check_login("alice", attacker).await.unwrap();
        }
        assert!(matches!(
            throttle.check_login("alice", attacker).await,
            Err(AuthError::Throttled { .. })
        ));
        assert!(throttle.check_login("alice", owner).await.is_ok());
    }
}
