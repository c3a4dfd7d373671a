//! The lookup address grammar of ecspresso's `tfstate` functions (fujiwara/tfstate-lookup):
//! parsing `output.NAME…`, `[module.M[KEY].]*[data.]TYPE.NAME[KEY]…` into a structured
//! [`Address`]. Pure syntax: it knows nothing about a state file; matching an address against
//! a state is `state.rs`'s job.
//!
//! Grammar (both quote styles are accepted in brackets because ecspresso's templates write
//! `['key']` and Terraform writes `["key"]`):
//!
//! ```text
//! address  := "output" "." NAME path
//!           | ("module" "." NAME index? ".")* ("data" ".")? TYPE "." NAME index? path
//! path     := ( "." NAME | index )*
//! index    := "[" ( INTEGER | '"' … '"' | "'" … "'" ) "]"
//! NAME     := one or more characters other than "." and "[" (Terraform names may hold "-")
//! ```

use std::fmt;

/// One step of an address after tokenizing: `.name`, `["key"]` or `[0]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// `.name` (or the first name of the address).
    Name(String),
    /// `["key"]` / `['key']`.
    Key(String),
    /// `[3]`.
    Index(u64),
}

impl Step {
    /// The member name this step selects in an object, if it can select one: `.a` and `["a"]`
    /// both do (tfstate-lookup hands the path to jq, where they are the same thing).
    pub(super) fn member(&self) -> Option<&str> {
        match self {
            Step::Name(name) | Step::Key(name) => Some(name),
            Step::Index(_) => None,
        }
    }

    /// The array position this step selects, if it can select one. `.0` is accepted as well as
    /// `[0]` so that `output.subnets.0` reads like Terraform's legacy index syntax.
    pub(super) fn position(&self) -> Option<usize> {
        match self {
            Step::Index(i) => usize::try_from(*i).ok(),
            Step::Name(name) if !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit()) => {
                name.parse().ok()
            }
            _ => None,
        }
    }
}

/// Renders a step the way Terraform prints addresses: `.name`, `["key"]`, `[0]`.
impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Name(name) => write!(f, ".{name}"),
            Step::Key(key) => write!(f, "[{}]", quote(key)),
            Step::Index(i) => write!(f, "[{i}]"),
        }
    }
}

/// A resource instance key (`index_key` in the state): a number for `count`, a string for
/// `for_each`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum InstanceKey {
    Int(i64),
    Str(String),
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InstanceKey::Int(i) => write!(f, "[{i}]"),
            InstanceKey::Str(s) => write!(f, "[{}]", quote(s)),
        }
    }
}

/// `data` sources and `managed` resources share type names, so the mode is part of identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Managed,
    Data,
}

/// A parsed lookup address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Address {
    /// `output.NAME` followed by a path into the output's value.
    Output { name: String, path: Vec<Step> },
    /// A resource or data source, optionally an instance of it, then a path into its
    /// attributes.
    Resource {
        /// `module.a.module.b["x"]` as the state's `module` field writes it; empty for the root.
        module: String,
        mode: Mode,
        kind: String,
        name: String,
        /// `[0]` / `["key"]` right after the name. Whether it selects an instance or is the
        /// first step of the attribute path is decided against the state (a single-instance
        /// resource has no instance keys).
        index: Option<Step>,
        path: Vec<Step>,
    },
}

impl Address {
    /// The resource part as Terraform prints it, without instance key or path:
    /// `module.m.data.aws_x.name`.
    pub(super) fn resource_prefix(module: &str, mode: Mode, kind: &str, name: &str) -> String {
        let mut out = String::new();
        if !module.is_empty() {
            out.push_str(module);
            out.push('.');
        }
        if mode == Mode::Data {
            out.push_str("data.");
        }
        out.push_str(kind);
        out.push('.');
        out.push_str(name);
        out
    }
}

/// Why an address could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct AddressError(pub String);

/// Parses a lookup address.
pub(super) fn parse(address: &str) -> Result<Address, AddressError> {
    let steps = tokenize(address)?;
    let mut rest = steps.as_slice();
    let name_at = |rest: &[Step], i: usize, what: &str| -> Result<String, AddressError> {
        match rest.get(i) {
            Some(Step::Name(name)) => Ok(name.clone()),
            Some(other) => Err(AddressError(format!(
                "expected {what} but found {other} in {address:?}"
            ))),
            None => Err(AddressError(format!("{address:?} ends before its {what}"))),
        }
    };

    if let Some(Step::Name(first)) = rest.first()
        && first == "output"
    {
        let name = name_at(rest, 1, "an output name")?;
        return Ok(Address::Output {
            name,
            path: rest[2..].to_vec(),
        });
    }

    let mut module = String::new();
    while let Some(Step::Name(word)) = rest.first() {
        if word != "module" {
            break;
        }
        let name = name_at(rest, 1, "a module name")?;
        if !module.is_empty() {
            module.push('.');
        }
        module.push_str("module.");
        module.push_str(&name);
        rest = &rest[2..];
        if let Some(step @ (Step::Key(_) | Step::Index(_))) = rest.first() {
            module.push_str(&step.to_string());
            rest = &rest[1..];
        }
    }

    let mut mode = Mode::Managed;
    if let Some(Step::Name(word)) = rest.first()
        && word == "data"
    {
        mode = Mode::Data;
        rest = &rest[1..];
    }
    let kind = name_at(rest, 0, "a resource type")?;
    let name = name_at(rest, 1, "a resource name")?;
    rest = &rest[2..];
    let index = match rest.first() {
        Some(step @ (Step::Key(_) | Step::Index(_))) => {
            let step = step.clone();
            rest = &rest[1..];
            Some(step)
        }
        _ => None,
    };
    Ok(Address::Resource {
        module,
        mode,
        kind,
        name,
        index,
        path: rest.to_vec(),
    })
}

/// Splits an address into steps; the first step is always a `Name`.
fn tokenize(address: &str) -> Result<Vec<Step>, AddressError> {
    let chars: Vec<char> = address.chars().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    let err = |message: String| AddressError(format!("{message} in {address:?}"));
    if chars.is_empty() {
        return Err(AddressError("the address is empty".into()));
    }
    let mut expect_name = true; // at the start, and after a dot
    while i < chars.len() {
        match chars[i] {
            '.' if !expect_name => {
                expect_name = true;
                i += 1;
            }
            '[' if !expect_name => {
                i += 1;
                let (step, next) = bracket(&chars, i).map_err(err)?;
                steps.push(step);
                i = next;
            }
            '.' | '[' => {
                return Err(err(format!("a name is missing before {:?}", chars[i])));
            }
            _ if expect_name => {
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    if chars[i] == ']' || chars[i].is_whitespace() {
                        return Err(err(format!("unexpected {:?}", chars[i])));
                    }
                    i += 1;
                }
                steps.push(Step::Name(chars[start..i].iter().collect()));
                expect_name = false;
            }
            other => return Err(err(format!("unexpected {other:?}"))),
        }
    }
    if expect_name {
        return Err(err("the address ends with a dot".into()));
    }
    Ok(steps)
}

/// Parses the inside of `[...]` starting after the `[`; returns the step and the position
/// after the `]`.
fn bracket(chars: &[char], mut i: usize) -> Result<(Step, usize), String> {
    match chars.get(i) {
        Some(&quote @ ('"' | '\'')) => {
            i += 1;
            let mut key = String::new();
            loop {
                match chars.get(i) {
                    None => return Err("an unterminated string".into()),
                    Some('\\') => {
                        let escaped = chars.get(i + 1).ok_or("an unterminated string")?;
                        key.push(match escaped {
                            'n' => '\n',
                            't' => '\t',
                            other => *other,
                        });
                        i += 2;
                    }
                    Some(&c) if c == quote => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        key.push(c);
                        i += 1;
                    }
                }
            }
            if chars.get(i) != Some(&']') {
                return Err("a missing ']'".into());
            }
            Ok((Step::Key(key), i + 1))
        }
        Some(c) if c.is_ascii_digit() => {
            let start = i;
            while chars.get(i).is_some_and(char::is_ascii_digit) {
                i += 1;
            }
            if chars.get(i) != Some(&']') {
                return Err("a missing ']' after a number".into());
            }
            let digits: String = chars[start..i].iter().collect();
            let index = digits
                .parse()
                .map_err(|_| format!("the index {digits} is too large"))?;
            Ok((Step::Index(index), i + 1))
        }
        _ => Err(
            "an index that is neither a number nor a quoted string (write ['key'] or [0])".into(),
        ),
    }
}

/// A string as a Terraform/JSON string literal (Terraform prints `["key"]`).
pub(super) fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(
        module: &str,
        mode: Mode,
        kind: &str,
        name: &str,
        index: Option<Step>,
        path: Vec<Step>,
    ) -> Address {
        Address::Resource {
            module: module.into(),
            mode,
            kind: kind.into(),
            name: name.into(),
            index,
            path,
        }
    }

    fn n(s: &str) -> Step {
        Step::Name(s.into())
    }

    #[test]
    fn every_form_parses() {
        assert_eq!(
            parse("output.vpc_id").unwrap(),
            Address::Output {
                name: "vpc_id".into(),
                path: vec![]
            }
        );
        assert_eq!(
            parse("output.service.subnets[1]").unwrap(),
            Address::Output {
                name: "service".into(),
                path: vec![n("subnets"), Step::Index(1)]
            }
        );
        assert_eq!(
            parse("aws_subnet.private-a.id").unwrap(),
            resource(
                "",
                Mode::Managed,
                "aws_subnet",
                "private-a",
                None,
                vec![n("id")]
            )
        );
        assert_eq!(
            parse("aws_ecr_repository.all['app'].repository_url").unwrap(),
            resource(
                "",
                Mode::Managed,
                "aws_ecr_repository",
                "all",
                Some(Step::Key("app".into())),
                vec![n("repository_url")]
            )
        );
        assert_eq!(
            parse(r#"data.aws_security_group.default["first"].id"#).unwrap(),
            resource(
                "",
                Mode::Data,
                "aws_security_group",
                "default",
                Some(Step::Key("first".into())),
                vec![n("id")]
            )
        );
        assert_eq!(
            parse("module.a.module.b['x'].aws_x.y[0].tags.Name").unwrap(),
            resource(
                r#"module.a.module.b["x"]"#,
                Mode::Managed,
                "aws_x",
                "y",
                Some(Step::Index(0)),
                vec![n("tags"), n("Name")]
            )
        );
        assert_eq!(
            parse("aws_x.y.list[0].inner['k.with.dots']").unwrap(),
            resource(
                "",
                Mode::Managed,
                "aws_x",
                "y",
                None,
                vec![
                    n("list"),
                    Step::Index(0),
                    n("inner"),
                    Step::Key("k.with.dots".into())
                ]
            )
        );
    }

    #[test]
    fn bad_addresses_are_errors() {
        for bad in [
            "",
            "aws_x",
            "output",
            "aws_x.",
            ".aws_x.y",
            "aws_x..y",
            "aws_x.y[",
            "aws_x.y[key]",
            "aws_x.y['key'",
            "aws_x.y['key']x",
            "module.m",
            "data.aws_x",
            "aws_x.y[0]]",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn display_is_terraform_style() {
        assert_eq!(Step::Key("a\"b".into()).to_string(), r#"["a\"b"]"#);
        assert_eq!(InstanceKey::Int(2).to_string(), "[2]");
        assert_eq!(InstanceKey::Str("blue".into()).to_string(), r#"["blue"]"#);
        assert_eq!(
            Address::resource_prefix("module.m", Mode::Data, "aws_x", "y"),
            "module.m.data.aws_x.y"
        );
    }
}
