//! Percentiles of small samples.

use serde_json::{Value, json};

/// The `p`-th percentile (0 to 100) of `sorted` by nearest rank; 0 when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `{n, p50, p99, max}` of `values` (any order), rounded to 0.1.
pub fn summary(mut values: Vec<f64>) -> Value {
    values.sort_by(f64::total_cmp);
    let round = |v: f64| (v * 10.0).round() / 10.0;
    json!({
        "n": values.len(),
        "p50": round(percentile(&values, 50.0)),
        "p99": round(percentile(&values, 99.0)),
        "max": round(values.last().copied().unwrap_or(0.0)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert!((percentile(&v, 50.0) - 50.0).abs() < f64::EPSILON);
        assert!((percentile(&v, 99.0) - 99.0).abs() < f64::EPSILON);
        assert!((percentile(&v, 100.0) - 100.0).abs() < f64::EPSILON);
        assert!(percentile(&[], 50.0).abs() < f64::EPSILON);
    }
}
