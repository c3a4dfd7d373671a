//! Go-style durations (`10m0s`, `300s`, `1h10m0s`, `1.5h`, `500ms`), as ecspresso's `timeout`
//! and ristretto's `--lock-timeout`/`lease` are written. Parsing and printing only.

use std::time::Duration;

/// Parses a Go `time.ParseDuration` string. A bare number is seconds (ecspresso v3 semantics).
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return from_seconds(seconds, text);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_length = rest
            .find(|character: char| !(character.is_ascii_digit() || character == '.'))
            .ok_or_else(|| format!("{text:?}: missing unit (use ms, s, m or h)"))?;
        if number_length == 0 {
            return Err(format!(
                "{text:?} is not a duration (expected e.g. 10m, 300s, 1h30m)"
            ));
        }
        let number: f64 = rest[..number_length]
            .parse()
            .map_err(|_| format!("{text:?}: invalid number {:?}", &rest[..number_length]))?;
        rest = &rest[number_length..];
        let unit_length = rest
            .find(|character: char| character.is_ascii_digit() || character == '.')
            .unwrap_or(rest.len());
        let unit_seconds = match &rest[..unit_length] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            unit => {
                return Err(format!(
                    "{text:?}: unknown unit {unit:?} (use ms, s, m or h)"
                ));
            }
        };
        total += number * unit_seconds;
        rest = &rest[unit_length..];
    }
    from_seconds(total, text)
}

fn from_seconds(seconds: f64, text: &str) -> Result<Duration, String> {
    if !seconds.is_finite() || seconds < 0.0 {
        return Err(format!("{text:?}: a duration must be a non-negative time"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Prints a duration the way Go does for whole seconds: `10s`, `10m0s`, `1h10m0s`.
pub fn format(duration: Duration) -> String {
    let total = duration.as_secs();
    let millis = duration.subsec_millis();
    if total == 0 && millis > 0 {
        return format!("{millis}ms");
    }
    let (hours, minutes, seconds) = (total / 3600, (total % 3600) / 60, total % 60);
    let seconds = if millis > 0 {
        format!("{seconds}.{millis:03}")
            .trim_end_matches('0')
            .to_owned()
    } else {
        seconds.to_string()
    };
    match (hours, minutes) {
        (0, 0) => format!("{seconds}s"),
        (0, _) => format!("{minutes}m{seconds}s"),
        _ => format!("{hours}h{minutes}m{seconds}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecspresso_duration_table_round_trips() {
        let table: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/ecspresso/expected/unit-tables.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let cases = table["durations"]["cases"].as_array().unwrap();
        assert!(!cases.is_empty());
        for case in cases {
            let text = case["string"].as_str().unwrap();
            let parsed = parse(text).unwrap();
            assert_eq!(
                parsed.as_secs(),
                case["seconds"].as_u64().unwrap(),
                "{text}"
            );
            assert_eq!(format(parsed), text);
        }
    }

    #[test]
    fn accepted_spellings() {
        assert_eq!(parse("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse("300s").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("1.5h").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse("90").unwrap(), Duration::from_secs(90));
        assert_eq!(format(Duration::from_millis(250)), "250ms");
    }

    #[test]
    fn rejected_spellings() {
        assert!(parse("").is_err());
        assert!(parse("ten minutes").unwrap_err().contains("not a duration"));
        assert!(parse("10d").unwrap_err().contains("unknown unit"));
        assert!(parse("-5s").is_err());
    }
}
