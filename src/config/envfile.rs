//! `--envfile` files: dotenv syntax (`KEY=value`, `export KEY=value`, `#` comments, quoted
//! values). Parsing only; the caller decides when the variables enter the process environment.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EnvfileError {
    #[error("cannot read envfile {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

pub(crate) fn read(path: &Path) -> Result<Vec<(String, String)>, EnvfileError> {
    let text = std::fs::read_to_string(path).map_err(|source| EnvfileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text).map_err(|(line, message)| EnvfileError::Syntax {
        path: path.to_path_buf(),
        line,
        message,
    })
}

pub(crate) fn parse(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut variables = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let Some((key, value)) = line.split_once('=') else {
            return Err((index + 1, format!("expected KEY=VALUE, found {line:?}")));
        };
        let key = key.trim();
        if key.is_empty()
            || !key
                .chars()
                .all(|character| character.is_ascii_alphanumeric() || character == '_')
        {
            return Err((index + 1, format!("invalid variable name {key:?}")));
        }
        variables.push((key.to_owned(), unquote(value.trim())));
    }
    Ok(variables)
}

fn unquote(value: &str) -> String {
    let bytes = value.as_bytes();
    if bytes.len() >= 2 && bytes[0] == b'"' && bytes[bytes.len() - 1] == b'"' {
        return value[1..value.len() - 1]
            .replace("\\n", "\n")
            .replace("\\\"", "\"");
    }
    if bytes.len() >= 2 && bytes[0] == b'\'' && bytes[bytes.len() - 1] == b'\'' {
        return value[1..value.len() - 1].to_owned();
    }
    // An unquoted value ends at an inline comment.
    match value.find(" #") {
        Some(index) => value[..index].trim_end().to_owned(),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecspresso_envfiles() {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ecspresso");
        let first = read(&Path::new(fixtures).join("envfile")).unwrap();
        assert_eq!(first, vec![("ECSPRESSO_TEST".into(), "ok".into())]);
        let second = read(&Path::new(fixtures).join("envfile2")).unwrap();
        assert_eq!(
            second,
            vec![
                ("ECSPRESSO_TEST".into(), "ok2".into()),
                ("ECSPRESSO_TEST2".into(), "ok2".into())
            ]
        );
    }

    #[test]
    fn quoting_comments_and_errors() {
        let parsed = parse("# c\nA=\"x y\"\nB='z'\nC=plain # note\n").unwrap();
        assert_eq!(
            parsed,
            vec![
                ("A".into(), "x y".into()),
                ("B".into(), "z".into()),
                ("C".into(), "plain".into())
            ]
        );
        assert_eq!(parse("\nNOPE\n").unwrap_err().0, 2);
        assert!(
            parse("1-A=b")
                .unwrap_err()
                .1
                .contains("invalid variable name")
        );
    }
}
