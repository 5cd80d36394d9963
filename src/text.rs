//! Plain-text building blocks of the terminal views: aligned tables and readable numbers,
//! trial-number ranges, times and ages.

use serde_json::Value;

/// How a column lines up its cells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left, so that digits line up.
    Right,
}

/// Columns separated by two spaces, each as wide as its widest cell.
#[derive(Clone, Debug)]
pub(crate) struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new<S: Into<String>>(columns: impl IntoIterator<Item = (S, Align)>) -> Table {
        Table {
            columns: columns.into_iter().map(|(h, a)| (h.into(), a)).collect(),
            rows: Vec::new(),
        }
    }

    /// Add a row; missing cells are blank, extra cells are dropped.
    pub(crate) fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// The header line, then one line per row, without trailing spaces or newlines.
    pub(crate) fn lines(&self) -> Vec<String> {
        let header: Vec<String> = self.columns.iter().map(|(h, _)| h.clone()).collect();
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                std::iter::once(&header)
                    .chain(&self.rows)
                    .map(|row| row.get(i).map_or(0, |cell| cell.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        std::iter::once(&header)
            .chain(&self.rows)
            .map(|row| self.line(row, &widths))
            .collect()
    }

    /// The whole table, one line per row, each ending in a newline.
    pub(crate) fn render(&self) -> String {
        self.lines()
            .iter()
            .map(|line| format!("{line}\n"))
            .collect()
    }

    fn line(&self, row: &[String], widths: &[usize]) -> String {
        let cells: Vec<String> = self
            .columns
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, ((_, align), &width))| {
                let cell = row.get(i).map_or("", String::as_str);
                match align {
                    Align::Left => format!("{cell:<width$}"),
                    Align::Right => format!("{cell:>width$}"),
                }
            })
            .collect();
        cells.join("  ").trim_end().to_string()
    }
}

/// A metric as the tables show it: four decimals, `-` when there is none.
pub(crate) fn metric(value: Option<f64>) -> String {
    match value {
        Some(x) if x.is_finite() => format!("{x:.4}"),
        _ => "-".to_string(),
    }
}

/// An optional count, `-` when there is none.
pub(crate) fn count(value: Option<usize>) -> String {
    value.map_or_else(|| "-".to_string(), |n| n.to_string())
}

/// A parameter value in full (what a user would type in a sweep file): strings unquoted,
/// numbers in their shortest exact form.
pub(crate) fn param_exact(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A parameter value for a narrow column: floats to four significant digits
/// (`0.003123`, `1.234e-5`), everything else in full.
pub(crate) fn param_short(value: &Value) -> String {
    match value {
        Value::Number(n) if n.is_f64() => n.as_f64().map_or_else(|| n.to_string(), significant),
        other => param_exact(other),
    }
}

/// `x` to four significant digits, without trailing zeros; scientific outside 0.0001..1e6
/// (learning rates, the smallest values a sweep usually has, stay in fixed notation).
pub(crate) fn significant(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return x.to_string();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if (-4..6).contains(&magnitude) {
        let decimals = (3 - magnitude).max(0) as usize;
        trim_zeros(&format!("{x:.decimals$}"))
    } else {
        let text = format!("{x:.3e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) => format!("{}e{exponent}", trim_zeros(mantissa)),
            None => text,
        }
    }
}

/// `0.2000` → `0.2`, `512.0` → `512`; text without a decimal point is kept.
fn trim_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

/// The first line of `text`, cut to at most `max` characters (the cut marked by `…`).
pub(crate) fn shorten(text: &str, max: usize) -> String {
    let first = text.lines().next().unwrap_or("").trim_end();
    let cut = first.chars().count() > max || text.trim_end().contains('\n');
    if !cut {
        return first.to_string();
    }
    let kept: String = first.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// Trial numbers with runs compressed: `1, 3-5, 9`. The numbers must be sorted.
pub(crate) fn number_ranges(numbers: &[usize]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < numbers.len() {
        let start = numbers[i];
        let mut end = start;
        while i + 1 < numbers.len() && numbers[i + 1] == end + 1 {
            i += 1;
            end = numbers[i];
        }
        parts.push(if end > start {
            format!("{start}-{end}")
        } else {
            start.to_string()
        });
        i += 1;
    }
    parts.join(", ")
}

/// Seconds since 1970 of a stored UTC time (`2026-11-27T18:30:57.123Z`); `None` if it is not
/// one.
pub(crate) fn unix_seconds(utc: &str) -> Option<f64> {
    let (date, time) = utc.trim_end_matches('Z').split_once('T')?;
    let mut ymd = date.splitn(3, '-').map(str::parse::<i64>);
    let (year, month, day) = (ymd.next()?.ok()?, ymd.next()?.ok()?, ymd.next()?.ok()?);
    let mut hms = time.splitn(3, ':');
    let hours: f64 = hms.next()?.parse().ok()?;
    let minutes: f64 = hms.next()?.parse().ok()?;
    let seconds: f64 = hms.next()?.parse().ok()?;
    let days = days_from_civil(year, month, day) as f64;
    Some(days * 86_400.0 + hours * 3_600.0 + minutes * 60.0 + seconds)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = if year >= 0 { year } else { year - 399 } / 400;
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A stored UTC time to the minute, for people: `2026-11-27 18:30`.
pub(crate) fn minute(utc: &str) -> String {
    utc.get(..16).unwrap_or(utc).replace('T', " ")
}

/// How long ago, coarsely: `12s`, `3m 05s`, `2h 14m`, `3d 4h`.
pub(crate) fn age(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m {:02}s", s / 60, s % 60),
        3_600..86_400 => format!("{}h {:02}m", s / 3_600, s % 3_600 / 60),
        _ => format!("{}d {}h", s / 86_400, s % 86_400 / 3_600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_text_left_and_numbers_right() {
        let mut table = Table::new([("name", Align::Left), ("n", Align::Right)]);
        table.push(vec!["a".into(), "100".into()]);
        table.push(vec!["longer".into(), "2".into()]);
        table.push(vec!["x".into()]);
        assert_eq!(
            table.render(),
            "name      n\na       100\nlonger    2\nx\n",
            "padded to the widest cell, no trailing spaces"
        );
    }

    #[test]
    fn numbers_are_readable() {
        assert_eq!(metric(Some(0.52134)), "0.5213");
        assert_eq!(metric(None), "-");
        assert_eq!(metric(Some(f64::NAN)), "-");
        assert_eq!(significant(0.2), "0.2");
        assert_eq!(significant(0.003123456), "0.003123");
        assert_eq!(significant(0.0001234), "0.0001234");
        assert_eq!(significant(0.0001), "0.0001");
        assert_eq!(significant(0.00001234), "1.234e-5");
        assert_eq!(significant(0.00001), "1e-5");
        assert_eq!(significant(-2.5e7), "-2.5e7");
        assert_eq!(significant(512.0), "512");
        assert_eq!(significant(1234.5678), "1235");
        assert_eq!(significant(0.0), "0");
        assert_eq!(param_short(&serde_json::json!(0.003123456)), "0.003123");
        assert_eq!(param_short(&serde_json::json!(512)), "512");
        assert_eq!(param_exact(&serde_json::json!(0.003123456)), "0.003123456");
        assert_eq!(param_exact(&serde_json::json!("relu")), "relu");
    }

    #[test]
    fn long_or_multiline_text_is_shortened() {
        assert_eq!(shorten("short", 10), "short");
        assert_eq!(shorten("exactly 10", 10), "exactly 10");
        assert_eq!(shorten("a much longer message", 10), "a much lo…");
        assert_eq!(shorten("first\nsecond", 40), "first…");
    }

    #[test]
    fn runs_of_trial_numbers_are_compressed() {
        assert_eq!(number_ranges(&[]), "");
        assert_eq!(number_ranges(&[7]), "7");
        assert_eq!(number_ranges(&[1, 3, 4, 5, 9, 10]), "1, 3-5, 9-10");
        assert_eq!(number_ranges(&(5..=40).collect::<Vec<_>>()), "5-40");
    }

    #[test]
    fn stored_times_are_read_and_shown() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00.000Z"), Some(0.0));
        assert_eq!(
            unix_seconds("2000-03-01T00:00:01.500Z"),
            Some(951_868_801.5)
        );
        assert_eq!(unix_seconds("yesterday"), None);
        assert_eq!(minute("2026-11-27T18:30:57.123Z"), "2026-11-27 18:30");
        assert_eq!(age(4.4), "4s");
        assert_eq!(age(185.0), "3m 05s");
        assert_eq!(age(8_040.0), "2h 14m");
        assert_eq!(age(273_600.0), "3d 4h");
        assert_eq!(
            age(-2.0),
            "0s",
            "a clock a little ahead is not a negative age"
        );
    }
}
