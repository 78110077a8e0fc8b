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
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

pub struct LoginThrottle {
    ip: DefaultKeyedRateLimiter<IpAddr>,
    pair: DefaultKeyedRateLimiter<(String, IpAddr)>,
    account: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
    /// The buckets every node shares, when there is a bus.
    shared: Option<Bus>,
}

fn quota(burst: u32, refill_ms: u64) -> Quota {
    Quota::with_period(Duration::from_millis(refill_ms))
        .expect("refill periods are non-zero")
        .allow_burst(NonZeroU32::new(burst).expect("bursts are non-zero"))
}

impl LoginThrottle {
    pub fn new(shared: Option<Bus>) -> LoginThrottle {
        LoginThrottle {
            shared,
            ip: RateLimiter::keyed(quota(LOGIN_IP_BURST, LOGIN_IP_REFILL_MS)),
            pair: RateLimiter::keyed(quota(LOGIN_PAIR_BURST, LOGIN_PAIR_REFILL_MS)),
            account: RateLimiter::keyed(quota(LOGIN_ACCOUNT_BURST, LOGIN_ACCOUNT_REFILL_MS)),
            clock: DefaultClock::default(),
        }
    }

    fn check<K: Clone + Hash + Eq>(
        &self,
        limiter: &DefaultKeyedRateLimiter<K>,
        key: &K,
    ) -> Result<(), AuthError> {
        if limiter.len() > LOGIN_THROTTLE_KEYS_MAX {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            AuthError::Throttled {
                retry_after_secs: wait.as_secs().max(1),
            }
        })
    }

    pub async fn check_login(&self, account: &str, ip: IpAddr) -> Result<(), AuthError> {
        let buckets = [
            (format!("ip:{ip}"), LOGIN_IP_BURST, LOGIN_IP_REFILL_MS),
            (
                format!("pair:{account}:{ip}"),
                LOGIN_PAIR_BURST,
                LOGIN_PAIR_REFILL_MS,
            ),
            (
                format!("account:{account}"),
                LOGIN_ACCOUNT_BURST,
                LOGIN_ACCOUNT_REFILL_MS,
            ),
        ];
        if let Some(shared) = self.check_shared(&buckets).await {
            return shared;
        }
        self.check(&self.ip, &ip)?;
        self.check(&self.pair, &(account.to_owned(), ip))?;
        self.check(&self.account, &account.to_owned())
    }

    pub async fn check_registration(&self, ip: IpAddr) -> Result<(), AuthError> {
        let buckets = [(format!("ip:{ip}"), LOGIN_IP_BURST, LOGIN_IP_REFILL_MS)];
        if let Some(shared) = self.check_shared(&buckets).await {
            return shared;
        }
        self.check(&self.ip, &ip)
    }

    /// The shared buckets' verdict, in order; `None` without a bus or when Redis fails (the
    /// node's own buckets decide then).
    async fn check_shared(&self, buckets: &[(String, u32, u64)]) -> Option<Result<(), AuthError>> {
        let bus = self.shared.as_ref()?;
        for (name, burst, refill_ms) in buckets {
            match bus.throttle(name, *burst, *refill_ms).await {
                Ok(None) => {}
                Ok(Some(wait)) => {
                    return Some(Err(AuthError::Throttled {
                        retry_after_secs: wait.as_secs().max(1),
                    }))
                }
                Err(error) => {
                    tracing::warn!(%error, "shared login throttle unreachable; this node's own decides");
                    return None;
                }
            }
        }
        Some(Ok(()))
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
