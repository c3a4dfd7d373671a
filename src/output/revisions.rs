//! `ristretto revisions` as a table (comfy-table) or JSON: each ACTIVE revision of the family,
//! newest first, with what uses it. Pure functions of the listed data; nothing here calls AWS.

use comfy_table::{Table, presets};
use serde_json::{Value, json};

/// One revision as `revisions` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RevisionRow {
    pub revision: i64,
    pub arn: String,
    /// "service api (PRIMARY)", "task 0f3…": empty when nothing uses it.
    pub used_by: Vec<String>,
}

/// Rows are printed in the order given (the caller sorts newest first).
pub(crate) fn table(family: &str, rows: &[RevisionRow]) -> String {
    if rows.is_empty() {
        return format!("{family} has no ACTIVE revision\n");
    }
    let mut table = Table::new();
    table.load_style(presets::ASCII_MARKDOWN);
    table.set_header(vec!["REVISION", "IN USE", "ARN"]);
    for row in rows {
        let in_use = if row.used_by.is_empty() {
            "-".to_owned()
        } else {
            row.used_by.join(", ")
        };
        table.add_row(vec![
            format!("{family}:{}", row.revision),
            in_use,
            row.arn.clone(),
        ]);
    }
    format!("{table}\n")
}

/// Tab-separated: a header line, then one line per revision (in use: its users joined by
/// ", ", or "-").
pub(crate) fn tsv(family: &str, rows: &[RevisionRow]) -> String {
    let mut text = "REVISION\tIN USE\tARN\n".to_owned();
    for row in rows {
        let in_use = if row.used_by.is_empty() {
            "-".to_owned()
        } else {
            row.used_by.join(", ")
        };
        text.push_str(&format!(
            "{family}:{}\t{in_use}\t{}\n",
            row.revision, row.arn
        ));
    }
    text
}

pub(crate) fn json(family: &str, rows: &[RevisionRow]) -> Value {
    json!(
        rows.iter()
            .map(|row| json!({
                "family": family,
                "revision": row.revision,
                "arn": row.arn,
                "in_use": !row.used_by.is_empty(),
                "used_by": row.used_by,
            }))
            .collect::<Vec<_>>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<RevisionRow> {
        let arn = |revision: i64| {
            format!("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:{revision}")
        };
        vec![
            RevisionRow {
                revision: 4,
                arn: arn(4),
                used_by: vec!["service api (PRIMARY)".into()],
            },
            RevisionRow {
                revision: 3,
                arn: arn(3),
                used_by: vec![
                    "service api (ACTIVE)".into(),
                    "task 0f3a9c2e5b1d4e6f8a7b6c5d4e3f2a1b".into(),
                ],
            },
            RevisionRow {
                revision: 1,
                arn: arn(1),
                used_by: vec![],
            },
        ]
    }

    #[test]
    fn revisions_table() {
        insta::assert_snapshot!(table("api", &rows()));
    }

    #[test]
    fn revisions_table_of_an_empty_family() {
        assert_eq!(table("api", &[]), "api has no ACTIVE revision\n");
    }

    #[test]
    fn revisions_tsv() {
        insta::assert_snapshot!(tsv("api", &rows()));
    }

    #[test]
    fn revisions_json() {
        let json = json("api", &rows());
        assert_eq!(json[0]["in_use"], true);
        assert_eq!(json[2]["in_use"], false);
        assert_eq!(
            json[1]["used_by"][1],
            "task 0f3a9c2e5b1d4e6f8a7b6c5d4e3f2a1b"
        );
    }
}
