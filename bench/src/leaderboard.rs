//! `bench leaderboard`: the leaderboards' in-memory cost at a million players. Fills every
//! board of one game with `players` players, then times, one operation at a time, what a settled
//! bet costs the boards (its player's totals on the game's and the overall boards, every period
//! and metric: 12 board updates) and what a rank query and a top-10 read cost.

use engine::leaderboard::{Settled, State};
use hdrhistogram::Histogram;
use protocol::leaderboard::{BoardKey, Metric, Period, Scope};
use protocol::{Cents, PlayerId};
use rand::Rng;
use std::time::Instant;

/// What to run.
#[derive(clap::Args)]
pub struct Leaderboard {
    /// Players on the boards.
    #[arg(long, default_value_t = 1_000_000)]
    players: i64,
    /// Operations timed of each kind.
    #[arg(long, default_value_t = 200_000)]
    operations: usize,
}

/// Fills the boards, then times updates, rank queries and top reads.
pub async fn run(run: Leaderboard) -> anyhow::Result<()> {
    let mut rng = rand::thread_rng();
    let mut state = State::new(engine::store::now_ms());
    let filled = Instant::now();
    for id in 1..=run.players {
        let bet = settled(id, &mut rng);
        state.apply(vec![bet]);
    }
    println!(
        "{} players on every dice and overall board in {:.1} s",
        run.players,
        filled.elapsed().as_secs_f64()
    );
    let mut update = histogram();
    for _ in 0..run.operations {
        let bet = settled(rng.gen_range(1..=run.players), &mut rng);
        let started = Instant::now();
        state.apply(vec![bet]);
        update.record(started.elapsed().as_nanos() as u64)?;
    }
    let key = BoardKey {
        scope: Scope::Overall,
        period: Period::All,
        metric: Metric::Profit,
    };
    let mut rank = histogram();
    for _ in 0..run.operations {
        let player = PlayerId(rng.gen_range(1..=run.players));
        let started = Instant::now();
        std::hint::black_box(state.ranked(key, player));
        rank.record(started.elapsed().as_nanos() as u64)?;
    }
    let mut top = histogram();
    for _ in 0..run.operations / 10 {
        let started = Instant::now();
        std::hint::black_box(state.top(key));
        top.record(started.elapsed().as_nanos() as u64)?;
    }
    for (what, histogram) in [
        ("update (one settled bet: 12 boards)", &update),
        ("rank query", &rank),
        ("top 10", &top),
    ] {
        println!(
            "{what}: mean {:.2} us, p50 {:.2} us, p99 {:.2} us, max {:.2} us",
            histogram.mean() / 1_000.0,
            histogram.value_at_quantile(0.5) as f64 / 1_000.0,
            histogram.value_at_quantile(0.99) as f64 / 1_000.0,
            histogram.max() as f64 / 1_000.0,
        );
    }
    Ok(())
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).expect("valid histogram bounds")
}

/// A dice bet of player `id`: a stake of 1.00 to 100.00, won (at 2x) or lost.
fn settled(id: i64, rng: &mut impl Rng) -> Settled {
    let stake = rng.gen_range(100..=10_000);
    let payout = if rng.gen_bool(0.5) { stake * 2 } else { 0 };
    Settled {
        player: PlayerId(id),
        username: format!("player{id}"),
        scope: Scope::Dice,
        stake: Cents(stake),
        payout: Cents(payout),
    }
}
