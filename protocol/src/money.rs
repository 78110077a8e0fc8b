//! Exact money: integer cents, never floats. Parsing accepts what a person types ("10",
//! "10.5", "1,000.00"); formatting always gives two decimals and thousands separators.

use crate::limits::{BET_CENTS_MAX, BET_CENTS_MIN};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of credits in minor units (hundredths). Arithmetic is checked by callers that
/// can overflow; the ledger never stores an amount outside `i64`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

/// Why a typed amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    /// Nothing was typed.
    #[error("enter an amount")]
    Empty,
    /// Characters other than digits, one dot and thousands commas.
    #[error("amounts are numbers like 10 or 2.50")]
    NotANumber,
    /// More than two decimals.
    #[error("amounts have at most two decimals")]
    TooPrecise,
    /// Larger than any amount the platform handles.
    #[error("amount is too large")]
    TooLarge,
}

/// Why a stake is outside the bet limits. Every game checks stakes with [`check_stake`], so
/// one amount always gets the same refusal whatever the game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StakeError {
    /// Below [`BET_CENTS_MIN`] (zero and negative amounts included).
    #[error("the smallest bet is {BET_CENTS_MIN}")]
    TooSmall,
    /// Above [`BET_CENTS_MAX`].
    #[error("the largest bet is {BET_CENTS_MAX}")]
    TooLarge,
}

/// Checks a stake against the bet limits shared by every game.
pub fn check_stake(amount: Cents) -> Result<(), StakeError> {
    if amount < BET_CENTS_MIN {
        return Err(StakeError::TooSmall);
    }
    if amount > BET_CENTS_MAX {
        return Err(StakeError::TooLarge);
    }
    Ok(())
}

/// What a stake pays at `multiplier_x100` (hundredths), rounded down to the cent: the rule of
/// every game that pays a multiple of the stake.
pub fn payout_cents(stake_cents: i64, multiplier_x100: u64) -> i64 {
    (stake_cents as i128 * multiplier_x100 as i128 / 100) as i64
}

impl Cents {
    /// Zero credits.
    pub const ZERO: Cents = Cents(0);

    /// Parses a non-negative decimal amount such as `"1,000.50"` into cents, exactly.
    pub fn parse(text: &str) -> Result<Cents, AmountError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(AmountError::Empty);
        }
        let (whole, frac) = match text.split_once('.') {
            Some((w, f)) => (w, f),
            None => (text, ""),
        };
        if frac.len() > 2 {
            return Err(AmountError::TooPrecise);
        }
        if !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::NotANumber);
        }
        let whole: String = whole.chars().filter(|c| *c != ',').collect();
        if whole.is_empty() && frac.is_empty() {
            return Err(AmountError::NotANumber);
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AmountError::NotANumber);
        }
        let whole_value: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| AmountError::TooLarge)?
        };
        let frac_value: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| AmountError::NotANumber)? * 10,
            _ => frac.parse().map_err(|_| AmountError::NotANumber)?,
        };
        whole_value
            .checked_mul(100)
            .and_then(|c| c.checked_add(frac_value))
            .map(Cents)
            .ok_or(AmountError::TooLarge)
    }

    /// Checked addition.
    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    /// Checked subtraction.
    pub fn checked_sub(self, other: Cents) -> Option<Cents> {
        self.0.checked_sub(other.0).map(Cents)
    }
}

impl fmt::Display for Cents {
    /// `1234567` cents shows as `12,345.67`; negative amounts get a leading `-`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(ch);
        }
        write!(f, "{sign}{grouped}.{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formats_with_thousands_separators_and_two_decimals() {
        assert_eq!(Cents(100_000).to_string(), "1,000.00");
        assert_eq!(Cents(5).to_string(), "0.05");
        assert_eq!(Cents(123_456_789).to_string(), "1,234,567.89");
        assert_eq!(Cents(-150).to_string(), "-1.50");
    }

    #[test]
    fn parses_what_people_type() {
        assert_eq!(Cents::parse("10"), Ok(Cents(1000)));
        assert_eq!(Cents::parse("10.5"), Ok(Cents(1050)));
        assert_eq!(Cents::parse("1,000.00"), Ok(Cents(100_000)));
        assert_eq!(Cents::parse(".25"), Ok(Cents(25)));
        assert_eq!(Cents::parse(" 0.01 "), Ok(Cents(1)));
    }

    #[test]
    fn refuses_what_is_not_an_exact_amount() {
        assert_eq!(Cents::parse(""), Err(AmountError::Empty));
        assert_eq!(Cents::parse("abc"), Err(AmountError::NotANumber));
        assert_eq!(Cents::parse("-5"), Err(AmountError::NotANumber));
        assert_eq!(Cents::parse("1.234"), Err(AmountError::TooPrecise));
        assert_eq!(Cents::parse("1e5"), Err(AmountError::NotANumber));
        assert_eq!(Cents::parse("."), Err(AmountError::NotANumber));
        assert_eq!(
            Cents::parse("99999999999999999999"),
            Err(AmountError::TooLarge)
        );
    }

    proptest! {
        #[test]
        fn formatting_then_parsing_returns_the_same_amount(c in 0i64..i64::MAX / 200) {
            prop_assert_eq!(Cents::parse(&Cents(c).to_string()), Ok(Cents(c)));
        }
    }
}
