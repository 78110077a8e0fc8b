//! Slots counted across the cluster: at most N holders of a name at once on all nodes together
//! (one client address's WebSocket connections, whichever nodes the load balancer sent them
//! to).
//!
//! A name is a sorted set in Redis, `<prefix>:slots:<name>`: a member per holder
//! (`<node>:<holder>`), scored with the time it lapses. A node claims a slot with one script
//! (drop lapsed members, count, add), renews its holders' slots in one pipeline every
//! [`SLOT_RENEW_MS`](crate::limits::SLOT_RENEW_MS), and releases a slot when its holder ends. A
//! node that dies without releasing stops renewing: its slots lapse after
//! [`SLOT_TTL_MS`](crate::limits::SLOT_TTL_MS). Times are Redis's clock.

use super::Bus;

/// Claims a slot: `KEYS[1]` the name's set; `ARGV` the most holders, the member, the lapse
/// time (ms). Answers 1 when claimed, 0 when the name is full.
const CLAIM_LUA: &str = "local time = redis.call('TIME') \
     local now = time[1] * 1000 + math.floor(time[2] / 1000) \
     redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) \
     if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end \
     redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[2]) \
     redis.call('PEXPIRE', KEYS[1], ARGV[3]) \
     return 1";

/// Renews members of one name: `KEYS[1]` the set; `ARGV[1]` the lapse time (ms), the rest the
/// members. A member that already lapsed (and may have been dropped) is added back.
const RENEW_LUA: &str = "local time = redis.call('TIME') \
     local lapse = time[1] * 1000 + math.floor(time[2] / 1000) + tonumber(ARGV[1]) \
     for i = 2, #ARGV do redis.call('ZADD', KEYS[1], lapse, ARGV[i]) end \
     redis.call('PEXPIRE', KEYS[1], ARGV[1]) \
     return 0";

/// Counts the members of `KEYS[1]` that have not lapsed.
const COUNT_LUA: &str = "local time = redis.call('TIME') \
     local now = time[1] * 1000 + math.floor(time[2] / 1000) \
     redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now) \
     return redis.call('ZCARD', KEYS[1])";

impl Bus {
    fn slot_key(&self, name: &str) -> String {
        format!("{}{name}", self.names.slots)
    }

    fn slot_member(&self, holder: u64) -> String {
        format!("{}:{holder}", self.node)
    }

    /// Claims one of the `max` slots of `name` for `holder` (unique on this node) for `ttl_ms`;
    /// `false` when every slot is held.
    pub async fn claim_slot(
        &self,
        name: &str,
        holder: u64,
        max: usize,
        ttl_ms: u64,
    ) -> Result<bool, redis::RedisError> {
        let claimed: i64 = redis::cmd("EVAL")
            .arg(CLAIM_LUA)
            .arg(1)
            .arg(self.slot_key(name))
            .arg(max)
            .arg(self.slot_member(holder))
            .arg(ttl_ms)
            .query_async(&mut self.commands.clone())
            .await?;
        Ok(claimed == 1)
    }

    /// Renews the slots this node's holders have, `(name, holders)` each, for `ttl_ms` more, in
    /// one round trip.
    pub async fn renew_slots(
        &self,
        held: &[(String, Vec<u64>)],
        ttl_ms: u64,
    ) -> Result<(), redis::RedisError> {
        let held: Vec<(String, Vec<String>)> = held
            .iter()
            .map(|(name, holders)| {
                let members = holders.iter().map(|h| self.slot_member(*h)).collect();
                (name.clone(), members)
            })
            .collect();
        self.renew_members(&held, ttl_ms).await
    }

    /// Adds or renews members named by the caller, `(name, members)` each, for `ttl_ms` more,
    /// in one round trip. Several nodes may hold the same member: it counts once.
    pub async fn renew_members(
        &self,
        held: &[(String, Vec<String>)],
        ttl_ms: u64,
    ) -> Result<(), redis::RedisError> {
        let mut pipe = redis::pipe();
        for (name, members) in held.iter().filter(|(_, members)| !members.is_empty()) {
            let command = pipe
                .cmd("EVAL")
                .arg(RENEW_LUA)
                .arg(1)
                .arg(self.slot_key(name))
                .arg(ttl_ms);
            for member in members {
                command.arg(member);
            }
            command.ignore();
        }
        pipe.query_async::<()>(&mut self.commands.clone()).await
    }

    /// How many members each name holds now (lapsed ones dropped), in one round trip.
    pub async fn count_slots(&self, names: &[String]) -> Result<Vec<u64>, redis::RedisError> {
        let mut pipe = redis::pipe();
        for name in names {
            pipe.cmd("EVAL")
                .arg(COUNT_LUA)
                .arg(1)
                .arg(self.slot_key(name));
        }
        pipe.query_async(&mut self.commands.clone()).await
    }

    /// Gives `holder`'s slot of `name` back.
    pub async fn release_slot(&self, name: &str, holder: u64) -> Result<(), redis::RedisError> {
        redis::cmd("ZREM")
            .arg(self.slot_key(name))
            .arg(self.slot_member(holder))
            .query_async::<()>(&mut self.commands.clone())
            .await
    }
}
