//! Building the boards from the ledger: every settled bet, summed per player and game over
//! each period.

use super::State;
use crate::profiles::SETTLED_BETS;
use protocol::leaderboard::{Period, Scope};
use protocol::PlayerId;
use sqlx::{AnyPool, Row};

/// The boards as the ledger has them, with the periods that hold `now_ms`.
pub async fn from_ledger(pool: &AnyPool, now_ms: i64) -> Result<State, sqlx::Error> {
    let day = Period::Day.start_ms(now_ms).expect("days start");
    let week = Period::Week.start_ms(now_ms).expect("weeks start");
    let since = |start: &str| {
        format!(
            "CAST(SUM(CASE WHEN s.settled_at >= {start} THEN s.amount ELSE 0 END) AS BIGINT), \
             CAST(SUM(CASE WHEN s.settled_at >= {start} THEN s.payout - s.amount ELSE 0 END) AS BIGINT)"
        )
    };
    let query = format!(
        "WITH {SETTLED_BETS} SELECT s.user_id, u.username, s.game, {}, {}, \
         CAST(SUM(s.amount) AS BIGINT), CAST(SUM(s.payout - s.amount) AS BIGINT) \
         FROM settled s JOIN users u ON u.id = s.user_id GROUP BY s.user_id, u.username, s.game",
        since("$1"),
        since("$2"),
    );
    let rows = sqlx::query(&query)
        .bind(day)
        .bind(week)
        .fetch_all(pool)
        .await?;
    let mut state = State::new(now_ms);
    for row in rows {
        let player = PlayerId(row.try_get(0)?);
        let game: String = row.try_get(2)?;
        let Some(scope) = Scope::parse(&game).filter(|scope| *scope != Scope::Overall) else {
            tracing::error!(
                game,
                "a settled bet of an unknown game; left off the leaderboards"
            );
            continue;
        };
        let sums: [(i64, i64); 3] = [
            (row.try_get(3)?, row.try_get(4)?),
            (row.try_get(5)?, row.try_get(6)?),
            (row.try_get(7)?, row.try_get(8)?),
        ];
        state.add(player, scope, sums);
        state.name(player, row.try_get(1)?);
    }
    Ok(state)
}
