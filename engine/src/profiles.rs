//! Public profiles (`/u/<username>`): a player's statistics over their settled bets (dice and
//! round games), their latest bets, and whether they hide them.

use crate::leaderboard::Leaderboards;
use protocol::leaderboard::Placing;
use protocol::limits::PROFILE_RECENT_BETS;
use protocol::records::{Profile, PublicBet, PublicStats};
use protocol::{Cents, PlayerId};
use sqlx::{AnyPool, Row};

/// Every played-out bet: its player, game, stake, payout and settlement time. Open round bets
/// and voided ones (their stake returned) were not played. Profiles and leaderboards count
/// these.
pub(crate) const SETTLED_BETS: &str = "settled(user_id, game, amount, payout, settled_at) AS ( \
     SELECT user_id, 'dice', amount, payout, created_at FROM dice_bets \
     UNION ALL \
     SELECT b.user_id, r.game, b.amount, b.payout, b.settled_at FROM round_bets b \
     JOIN rounds r ON r.id = b.round_id WHERE b.status IN ('cashed', 'won', 'lost'))";

/// The profile of `username` (matched without regard to case), or `None` if nobody is called so.
pub async fn profile(
    pool: &AnyPool,
    boards: &Leaderboards,
    username: &str,
) -> Result<Option<Profile>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, username, created_at, stats_hidden FROM users WHERE username_key = $1",
    )
    .bind(crate::accounts::username_key(username.trim()))
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let player = PlayerId(row.try_get(0)?);
    let hidden: i64 = row.try_get(3)?;
    let stats = match hidden {
        0 => Some(stats(pool, player, boards.placings(player)).await?),
        _ => None,
    };
    Ok(Some(Profile {
        username: row.try_get(1)?,
        member_since_ms: row.try_get(2)?,
        stats,
    }))
}

async fn stats(
    pool: &AnyPool,
    player: PlayerId,
    ranks: Vec<Placing>,
) -> Result<PublicStats, sqlx::Error> {
    let totals = sqlx::query(&format!(
        "WITH {SETTLED_BETS} SELECT CAST(COUNT(*) AS BIGINT), \
         CAST(COALESCE(SUM(amount), 0) AS BIGINT), CAST(COALESCE(SUM(payout - amount), 0) AS BIGINT), \
         CAST(MAX(CASE WHEN payout > amount THEN payout - amount END) AS BIGINT) FROM settled \
         WHERE user_id = $1"
    ))
    .bind(player.0)
    .fetch_one(pool)
    .await?;
    let recent = sqlx::query(&format!(
        "WITH {SETTLED_BETS} SELECT game, amount, payout, settled_at FROM settled \
         WHERE user_id = $1 ORDER BY settled_at DESC LIMIT $2"
    ))
    .bind(player.0)
    .bind(PROFILE_RECENT_BETS as i64)
    .fetch_all(pool)
    .await?
    .iter()
    .map(|row| {
        Ok(PublicBet {
            game: row.try_get(0)?,
            amount: Cents(row.try_get(1)?),
            payout: Cents(row.try_get(2)?),
            settled_ms: row.try_get(3)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(PublicStats {
        bets: totals.try_get::<i64, _>(0)? as u64,
        wagered: Cents(totals.try_get(1)?),
        profit: Cents(totals.try_get(2)?),
        biggest_win: totals.try_get::<Option<i64>, _>(3)?.map(Cents),
        recent,
        ranks,
    })
}

/// Whether the player hides their statistics.
pub async fn stats_hidden(pool: &AnyPool, player: PlayerId) -> Result<bool, sqlx::Error> {
    let hidden: i64 = sqlx::query_scalar("SELECT stats_hidden FROM users WHERE id = $1")
        .bind(player.0)
        .fetch_one(pool)
        .await?;
    Ok(hidden == 1)
}

/// Hides or shows the player's statistics on their profile.
pub async fn set_stats_hidden(
    pool: &AnyPool,
    player: PlayerId,
    hidden: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET stats_hidden = $1 WHERE id = $2")
        .bind(i64::from(hidden))
        .bind(player.0)
        .execute(pool)
        .await?;
    Ok(())
}
