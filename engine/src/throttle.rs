//! Rate limits per key: a token bucket per key on this node (`governor`'s keyed limiter), and,
//! when the node has a bus, the same bucket shared by every node through Redis
//! ([`Bus::throttle`]), so spreading requests over the nodes gains nothing. While Redis cannot
//! be reached the node's own buckets decide. Login throttles and chat's rate limit use it.

use crate::bus::Bus;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

/// One kind of bucket: `burst` takes at once, one more every `refill_ms`, per key.
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    local: DefaultKeyedRateLimiter<K>,
    clock: DefaultClock,
    burst: u32,
    refill_ms: u64,
    keys_max: usize,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// Buckets of `burst` refilled one every `refill_ms`; past `keys_max` keys this node forgets
    /// the ones whose bucket is full again.
    pub fn new(burst: u32, refill_ms: u64, keys_max: usize) -> Self {
        let quota = Quota::with_period(Duration::from_millis(refill_ms))
            .expect("refill periods are non-zero")
            .allow_burst(NonZeroU32::new(burst).expect("bursts are non-zero"));
        KeyedLimit {
            local: RateLimiter::keyed(quota),
            clock: DefaultClock::default(),
            burst,
            refill_ms,
            keys_max,
        }
    }

    /// One take from this node's bucket of `key`: `Err` with how long until it would be allowed.
    pub fn check_local(&self, key: &K) -> Result<(), Duration> {
        if self.local.len() > self.keys_max {
            self.local.retain_recent();
        }
        self.local
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(self.clock.now()))
    }

    /// One take from the bucket `name` every node shares: `None` without a bus, or when Redis
    /// failed (the caller then asks this node's bucket).
    pub async fn check_shared(
        &self,
        bus: Option<&Bus>,
        name: &str,
    ) -> Option<Result<(), Duration>> {
        match bus?.throttle(name, self.burst, self.refill_ms).await {
            Ok(None) => Some(Ok(())),
            Ok(Some(wait)) => Some(Err(wait)),
            Err(error) => {
                tracing::warn!(%error, name, "shared rate limit unreachable; this node's decides");
                None
            }
        }
    }

    /// The shared bucket `name` when there is one, else this node's bucket of `key`.
    pub async fn check(&self, bus: Option<&Bus>, name: &str, key: &K) -> Result<(), Duration> {
        match self.check_shared(bus, name).await {
            Some(verdict) => verdict,
            None => self.check_local(key),
        }
    }
}

/// Whole seconds to wait, at least one: what a refusal tells a person.
pub fn retry_after_secs(wait: Duration) -> u64 {
    wait.as_secs().max(1)
}
