//! Minimum-cost linear assignment (Hungarian algorithm with potentials, O(n^2 m)).
//!
//! ByteTrack calls `lap.lapjv` / scipy's `linear_sum_assignment` with costs above a
//! threshold clamped; [`assign_with_threshold`] reproduces that contract: pairs whose cost
//! exceeds the threshold are never matched.

/// Result of an assignment: matched (row, col) pairs and the rows / cols left over, each
/// in ascending order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    pub matches: Vec<(usize, usize)>,
    pub unmatched_rows: Vec<usize>,
    pub unmatched_cols: Vec<usize>,
}

/// Solves the rectangular assignment problem for a row-major `rows x cols` cost matrix,
/// returning for each row its column (or `None`), minimising the total cost over
/// `min(rows, cols)` pairs.
pub fn solve(cost: &[f64], rows: usize, cols: usize) -> Vec<Option<usize>> {
    assert_eq!(cost.len(), rows * cols, "cost matrix size");
    if rows == 0 || cols == 0 {
        return vec![None; rows];
    }
    if rows > cols {
        // The algorithm below needs rows <= cols: solve the transpose.
        let transposed: Vec<f64> = (0..cols * rows)
            .map(|k| cost[(k % rows) * cols + k / rows])
            .collect();
        let by_col = solve(&transposed, cols, rows);
        let mut by_row = vec![None; rows];
        for (c, r) in by_col.iter().enumerate() {
            if let Some(r) = r {
                by_row[*r] = Some(c);
            }
        }
        return by_row;
    }
    // e-maxx formulation, 1-based with a virtual column 0.
    let (n, m) = (rows, cols);
    let mut u = vec![0.0f64; n + 1];
    let mut v = vec![0.0f64; m + 1];
    let mut p = vec![0usize; m + 1];
    let mut way = vec![0usize; m + 1];
    for i in 1..=n {
        p[0] = i;
        let mut j0 = 0usize;
        let mut minv = vec![f64::INFINITY; m + 1];
        let mut used = vec![false; m + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f64::INFINITY;
            let mut j1 = 0usize;
            for j in 1..=m {
                if !used[j] {
                    let cur = cost[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=m {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut by_row = vec![None; n];
    for j in 1..=m {
        if p[j] != 0 {
            by_row[p[j] - 1] = Some(j - 1);
        }
    }
    by_row
}

/// Assignment where a pair is only accepted when its cost is at most `threshold`; costs
/// above it are clamped to `threshold + 1e-4` before solving, as ByteTrack does, so they
/// never displace an acceptable pair.
pub fn assign_with_threshold(cost: &[f64], rows: usize, cols: usize, threshold: f64) -> Assignment {
    let clamped: Vec<f64> = cost
        .iter()
        .map(|&c| {
            if c > threshold || c.is_nan() {
                threshold + 1e-4
            } else {
                c
            }
        })
        .collect();
    let by_row = solve(&clamped, rows, cols);
    let mut out = Assignment::default();
    let mut col_used = vec![false; cols];
    for (r, c) in by_row.iter().enumerate() {
        match c {
            Some(c) if clamped[r * cols + c] <= threshold => {
                out.matches.push((r, *c));
                col_used[*c] = true;
            }
            _ => out.unmatched_rows.push(r),
        }
    }
    out.unmatched_cols = (0..cols).filter(|c| !col_used[*c]).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(cost: &[f64], cols: usize, a: &[Option<usize>]) -> f64 {
        a.iter()
            .enumerate()
            .filter_map(|(r, c)| c.map(|c| cost[r * cols + c]))
            .sum()
    }

    /// Exhaustive minimum over all assignments of min(rows, cols) pairs.
    fn brute_force(cost: &[f64], rows: usize, cols: usize) -> f64 {
        fn rec(
            cost: &[f64],
            rows: usize,
            cols: usize,
            r: usize,
            used: &mut Vec<bool>,
            need: usize,
        ) -> f64 {
            if need == 0 {
                return 0.0;
            }
            if r == rows {
                return f64::INFINITY;
            }
            let mut best = if rows - r > need {
                rec(cost, rows, cols, r + 1, used, need)
            } else {
                f64::INFINITY
            };
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    best =
                        best.min(cost[r * cols + c] + rec(cost, rows, cols, r + 1, used, need - 1));
                    used[c] = false;
                }
            }
            best
        }
        rec(cost, rows, cols, 0, &mut vec![false; cols], rows.min(cols))
    }

    #[test]
    fn square_assignment_is_optimal() {
        let cost = [4.0, 1.0, 3.0, 2.0, 0.0, 5.0, 3.0, 2.0, 2.0];
        let a = solve(&cost, 3, 3);
        assert_eq!(a, vec![Some(1), Some(0), Some(2)]);
        assert_eq!(total(&cost, 3, &a), 5.0);
    }

    #[test]
    fn rectangular_both_ways_match_brute_force() {
        // Deterministic pseudo-random matrices (LCG) of several shapes.
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for (rows, cols) in [(1, 1), (2, 5), (5, 2), (4, 4), (3, 6), (6, 3), (5, 5)] {
            for _ in 0..20 {
                let cost: Vec<f64> = (0..rows * cols).map(|_| next()).collect();
                let a = solve(&cost, rows, cols);
                assert_eq!(a.iter().filter(|c| c.is_some()).count(), rows.min(cols));
                let mut seen = std::collections::HashSet::new();
                assert!(
                    a.iter().flatten().all(|c| seen.insert(*c)),
                    "columns used once"
                );
                let got = total(&cost, cols, &a);
                let want = brute_force(&cost, rows, cols);
                assert!((got - want).abs() < 1e-9, "{rows}x{cols}: {got} vs {want}");
            }
        }
    }

    #[test]
    fn threshold_leaves_expensive_pairs_unmatched() {
        // Row 0 fits col 1 well; row 1 only has costs above the threshold.
        let cost = [0.9, 0.1, 0.95, 0.85];
        let a = assign_with_threshold(&cost, 2, 2, 0.8);
        assert_eq!(a.matches, vec![(0, 1)]);
        assert_eq!(a.unmatched_rows, vec![1]);
        assert_eq!(a.unmatched_cols, vec![0]);
    }

    #[test]
    fn empty_inputs() {
        let a = assign_with_threshold(&[], 0, 3, 0.5);
        assert!(a.matches.is_empty());
        assert_eq!(a.unmatched_cols, vec![0, 1, 2]);
        let b = assign_with_threshold(&[], 2, 0, 0.5);
        assert_eq!(b.unmatched_rows, vec![0, 1]);
    }
}
