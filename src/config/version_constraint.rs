//! `required_version`: HashiCorp-style version constraints (`>= 2.0.0, < 3`, `~> 1.1`), as
//! ecspresso checks them. Parsing and matching only.

/// A parsed version: numeric segments (missing ones are zero) and how many were written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Version {
    segments: [u64; 3],
    written: usize,
}

fn parse_version(text: &str) -> Option<Version> {
    let text = text.trim().trim_start_matches('v');
    // Build metadata (`+3-g04fdc8e`) and pre-release tags do not take part in the comparison.
    let core = text.split(['+', '-']).next()?;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut segments = [0u64; 3];
    for (index, part) in parts.iter().enumerate() {
        segments[index] = part.parse().ok()?;
    }
    Some(Version {
        segments,
        written: parts.len(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Pessimistic,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Constraints {
    text: String,
    parts: Vec<(Operator, Version)>,
}

impl Constraints {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        for piece in text.split(',') {
            let piece = piece.trim();
            let (operator, rest) = [
                (">=", Operator::GreaterOrEqual),
                ("<=", Operator::LessOrEqual),
                ("!=", Operator::NotEqual),
                ("~>", Operator::Pessimistic),
                (">", Operator::Greater),
                ("<", Operator::Less),
                ("=", Operator::Equal),
            ]
            .iter()
            .find_map(|(symbol, operator)| piece.strip_prefix(symbol).map(|rest| (*operator, rest)))
            .unwrap_or((Operator::Equal, piece));
            let version = parse_version(rest)
                .ok_or_else(|| format!("required_version {text:?}: invalid format of {piece:?}"))?;
            parts.push((operator, version));
        }
        Ok(Self {
            text: text.to_owned(),
            parts,
        })
    }

    /// Checks the running version. A running version that cannot be parsed (a development
    /// build) passes, as in ecspresso.
    pub(crate) fn check(&self, running: &str) -> Result<(), String> {
        let Some(current) = parse_version(running) else {
            return Ok(());
        };
        let satisfied = self
            .parts
            .iter()
            .all(|(operator, version)| matches(*operator, version, &current));
        if satisfied {
            Ok(())
        } else {
            Err(format!(
                "ristretto {running} does not satisfy constraints {:?}",
                self.text
            ))
        }
    }
}

fn matches(operator: Operator, wanted: &Version, current: &Version) -> bool {
    let ordering = current.segments.cmp(&wanted.segments);
    match operator {
        Operator::Equal => ordering.is_eq(),
        Operator::NotEqual => !ordering.is_eq(),
        Operator::Greater => ordering.is_gt(),
        Operator::GreaterOrEqual => ordering.is_ge(),
        Operator::Less => ordering.is_lt(),
        Operator::LessOrEqual => ordering.is_le(),
        Operator::Pessimistic => {
            // `~> 1.1.0` allows 1.1.x; `~> 1.1` allows 1.x from 1.1 on: every written segment
            // but the last must stay equal.
            let fixed = wanted.written.saturating_sub(1).max(1);
            ordering.is_ge() && current.segments[..fixed] == wanted.segments[..fixed]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecspresso_required_version_table() {
        let table: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/ecspresso/expected/unit-tables.json"
            ))
            .unwrap(),
        )
        .unwrap();
        let table = &table["required_version"];
        for case in table["satisfied"].as_array().unwrap() {
            let constraints = Constraints::parse(case["required"].as_str().unwrap()).unwrap();
            constraints
                .check(case["current"].as_str().unwrap())
                .unwrap_or_else(|error| panic!("{case}: {error}"));
        }
        for case in table["unsatisfied"].as_array().unwrap() {
            let constraints = Constraints::parse(case["required"].as_str().unwrap()).unwrap();
            let error = constraints
                .check(case["current"].as_str().unwrap())
                .unwrap_err();
            assert!(
                error.contains(case["error_contains"].as_str().unwrap()),
                "{error}"
            );
        }
        for case in table["invalid"].as_array().unwrap() {
            let error = Constraints::parse(case["required"].as_str().unwrap()).unwrap_err();
            assert!(
                error.contains(case["error_contains"].as_str().unwrap()),
                "{error}"
            );
        }
    }
}
