//! Percentiles of minutes from counts per bucket, so that days add up into weeks, months and
//! groups by adding counts (a mergeable sketch, stored as numbers an `ADD` moves).
//!
//! Below 64 minutes every minute is its own bucket: exact. From 64 minutes on, each bucket is
//! about 5 % wide (the next bound is the previous one plus a twentieth, rounded up) and stands
//! for its middle minute, so an estimate is within 2.5 % of the true value plus half a minute
//! (`within_bound`). The bounds are whole minutes computed with integers: the function counting
//! a change (arm64) and a rebuild (anywhere) put a value in the same bucket.

use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Minutes below this are counted exactly.
pub const EXACT_BELOW: u64 = 64;

/// The lower bounds of the buckets from `EXACT_BELOW` on, up to about eight thousand years.
static BOUNDS: LazyLock<Vec<u64>> = LazyLock::new(|| {
    let mut bounds = vec![EXACT_BELOW];
    let mut bound = EXACT_BELOW;
    while bound < 1 << 32 {
        bound += bound.div_ceil(20);
        bounds.push(bound);
    }
    bounds
});

/// The bucket a number of minutes falls in.
pub fn bucket(minutes: u64) -> u16 {
    if minutes < EXACT_BELOW {
        return minutes as u16;
    }
    // The last bound not above `minutes` (the top bucket takes everything beyond).
    let index = BOUNDS.partition_point(|bound| *bound <= minutes) - 1;
    (EXACT_BELOW as usize + index) as u16
}

/// The minutes a bucket stands for: its middle minute.
pub fn representative(bucket: u16) -> u64 {
    let bucket = u64::from(bucket);
    if bucket < EXACT_BELOW {
        return bucket;
    }
    let index = (bucket - EXACT_BELOW) as usize;
    let low = BOUNDS[index.min(BOUNDS.len() - 1)];
    let high = BOUNDS.get(index + 1).copied().unwrap_or(low + 1);
    low + (high - low - 1) / 2
}

/// Whether `estimate` is as close to `exact` as the buckets promise.
pub fn within_bound(estimate: u64, exact: u64) -> bool {
    // |estimate - exact| <= exact / 40 + 1/2, in whole numbers: times 40.
    estimate.abs_diff(exact) * 40 <= exact + 20
}

/// A quantile by the nearest-rank rule: the smallest value with at least `numerator /
/// denominator` of the values at or below it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quantile {
    pub numerator: u64,
    pub denominator: u64,
}

pub const MEDIAN: Quantile = Quantile {
    numerator: 1,
    denominator: 2,
};
pub const P90: Quantile = Quantile {
    numerator: 9,
    denominator: 10,
};

impl Quantile {
    /// The 1-based rank of this quantile among `count` sorted values.
    pub fn rank(self, count: u64) -> u64 {
        (self.numerator * count)
            .div_ceil(self.denominator)
            .clamp(1, count.max(1))
    }

    /// The exact quantile of some values (what a recount compares the sketch with).
    pub fn of(self, values: &mut [u64]) -> Option<u64> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        Some(values[self.rank(values.len() as u64) as usize - 1])
    }
}

/// Counts per bucket.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sketch(BTreeMap<u16, u64>);

impl Sketch {
    pub fn add(&mut self, bucket: u16, count: u64) {
        if count > 0 {
            *self.0.entry(bucket).or_insert(0) += count;
        }
    }

    /// Adds another sketch's counts: the sketch of both sets of values.
    pub fn merge(&mut self, other: &Sketch) {
        for (bucket, count) in &other.0 {
            self.add(*bucket, *count);
        }
    }

    pub fn count(&self) -> u64 {
        self.0.values().sum()
    }

    /// The quantile's estimate; `None` when nothing was counted.
    pub fn quantile(&self, quantile: Quantile) -> Option<u64> {
        let rank = quantile.rank(self.count());
        let mut seen = 0;
        for (bucket, count) in &self.0 {
            seen += count;
            if seen >= rank {
                return Some(representative(*bucket));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn small_values_are_exact_and_buckets_grow_by_about_five_percent() {
        for minutes in 0..EXACT_BELOW {
            assert_eq!(representative(bucket(minutes)), minutes);
        }
        assert_eq!(bucket(64), 64);
        assert_eq!(
            bucket(67),
            64,
            "64 + ceil(64/20) = 68 starts the next bucket"
        );
        assert_eq!(bucket(68), 65);
        assert_eq!(representative(64), 65, "the middle of 64..=67");
        for pair in BOUNDS.windows(2) {
            let growth = (pair[1] - pair[0]) as f64 / pair[0] as f64;
            assert!(growth >= 0.05 && growth <= 0.05 + 1.0 / pair[0] as f64);
        }
        // A year in minutes needs a few hundred buckets at most.
        assert!(bucket(525_600) < 300);
    }

    #[test]
    fn quantiles_take_the_nearest_rank() {
        assert_eq!(MEDIAN.of(&mut [5, 1, 3]), Some(3));
        assert_eq!(MEDIAN.of(&mut [4, 1, 3, 2]), Some(2));
        assert_eq!(P90.of(&mut (1..=10).collect::<Vec<_>>()), Some(9));
        assert_eq!(P90.of(&mut []), None);
        assert_eq!(Sketch::default().quantile(MEDIAN), None);
    }

    proptest! {
        #[test]
        fn every_estimate_is_within_the_stated_bound(
            values in proptest::collection::vec(0u64..2_000_000, 1..200),
        ) {
            let mut sketch = Sketch::default();
            for value in &values {
                sketch.add(bucket(*value), 1);
                prop_assert!(within_bound(representative(bucket(*value)), *value));
            }
            for quantile in [MEDIAN, P90] {
                let exact = quantile.of(&mut values.clone()).unwrap();
                let estimate = sketch.quantile(quantile).unwrap();
                prop_assert!(within_bound(estimate, exact), "{estimate} vs {exact}");
            }
        }

        #[test]
        fn sketches_merge_by_adding_counts(
            left in proptest::collection::vec(0u64..100_000, 0..50),
            right in proptest::collection::vec(0u64..100_000, 0..50),
        ) {
            let sketch = |values: &[u64]| {
                let mut sketch = Sketch::default();
                for value in values {
                    sketch.add(bucket(*value), 1);
                }
                sketch
            };
            let mut merged = sketch(&left);
            merged.merge(&sketch(&right));
            let all: Vec<u64> = left.iter().chain(&right).copied().collect();
            prop_assert_eq!(merged.count(), all.len() as u64);
            prop_assert_eq!(&merged, &sketch(&all));
            prop_assert_eq!(merged.quantile(P90), P90.of(&mut all.clone()).map(|v| representative(bucket(v))));
        }
    }
}
