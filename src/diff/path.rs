//! Where a change is: `Path`, a list of `Segment`s from the document root, with its display
//! syntax and its JSON form. Pure data; must not know about ECS fields or how a diff is computed.
//!
//! Display syntax (for messages and renderers):
//! - the empty path (the whole document) is `$`;
//! - an object member is `.name`, or `["any key"]` (a JSON string) when the key is not a plain
//!   identifier (`[A-Za-z_][A-Za-z0-9_]*`); the leading dot is left out at the root: `cpu`,
//!   `logConfiguration.options["awslogs-group"]`;
//! - an array element matched by position is `[3]`;
//! - an array element matched by its identifying field is `[name=app]` or `[key=env]`; the value
//!   is written as a JSON string (`[key="team name"]`) unless it only holds ASCII letters, digits
//!   and `-_.:/@+`.
//!
//! Example: `containerDefinitions[name=app].environment[name=DB_HOST].value`.
//!
//! JSON form: a list with one item per segment: a string is an object member, a non-negative
//! integer an array position, and an object with exactly one member a named element
//! (`{"name": "app"}`), e.g. `["containerDefinitions", {"name": "app"}, "image"]`.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Unexpected, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

/// One step from a value to one of its children.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    /// An object member.
    Key(String),
    /// An array element matched by position.
    Index(usize),
    /// An array element matched by the value of its identifying field (`key` is the field's
    /// name, e.g. `"name"` or `"key"`; `value` is what it holds, e.g. `"app"`).
    Named { key: String, value: String },
}

/// A location in a JSON document: the segments from the root. The empty path is the root.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Path(pub Vec<Segment>);

impl Path {
    /// The whole document.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// This path extended by one segment.
    pub fn child(&self, segment: Segment) -> Self {
        let mut segments = self.0.clone();
        segments.push(segment);
        Self(segments)
    }

    /// True when `prefix` is this path or one of its ancestors (the root is everyone's prefix).
    pub fn starts_with(&self, prefix: &Path) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The top-level member this path lies under, if it starts with an object member. Callers
    /// use it to map a change to the API field it belongs to (e.g. `networkConfiguration`).
    pub fn top_level_key(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Key(key)) => Some(key),
            _ => None,
        }
    }
}

impl From<Vec<Segment>> for Path {
    fn from(segments: Vec<Segment>) -> Self {
        Self(segments)
    }
}

fn is_plain_identifier(text: &str) -> bool {
    let mut characters = text.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

fn is_bare_identifier_value(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_.:/@+".contains(character))
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_owned()).to_string()
}

impl fmt::Display for Path {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return formatter.write_str("$");
        }
        for (position, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Key(key) if is_plain_identifier(key) => {
                    if position > 0 {
                        formatter.write_str(".")?;
                    }
                    formatter.write_str(key)?;
                }
                Segment::Key(key) => write!(formatter, "[{}]", json_string(key))?,
                Segment::Index(index) => write!(formatter, "[{index}]")?,
                Segment::Named { key, value } if is_bare_identifier_value(value) => {
                    write!(formatter, "[{key}={value}]")?
                }
                Segment::Named { key, value } => {
                    write!(formatter, "[{key}={}]", json_string(value))?
                }
            }
        }
        Ok(())
    }
}

impl Serialize for Segment {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Segment::Key(key) => serializer.serialize_str(key),
            Segment::Index(index) => serializer.serialize_u64(*index as u64),
            Segment::Named { key, value } => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry(key, value)?;
                map.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Segment {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SegmentVisitor)
    }
}

struct SegmentVisitor;

impl<'de> Visitor<'de> for SegmentVisitor {
    type Value = Segment;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(
            "a path segment: a member name (string), an array position (non-negative integer) \
             or a named element ({\"<field>\": \"<value>\"})",
        )
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Segment, E> {
        Ok(Segment::Key(key.to_owned()))
    }

    fn visit_string<E: de::Error>(self, key: String) -> Result<Segment, E> {
        Ok(Segment::Key(key))
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<Segment, E> {
        usize::try_from(index)
            .map(Segment::Index)
            .map_err(|_| E::invalid_value(Unexpected::Unsigned(index), &self))
    }

    fn visit_i64<E: de::Error>(self, index: i64) -> Result<Segment, E> {
        u64::try_from(index)
            .map_err(|_| E::invalid_value(Unexpected::Signed(index), &self))
            .and_then(|index| self.visit_u64(index))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Segment, A::Error> {
        let Some((key, value)) = map.next_entry::<String, String>()? else {
            return Err(de::Error::invalid_length(0, &self));
        };
        if map.next_key::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(2, &self));
        }
        Ok(Segment::Named { key, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Segment {
        Segment::Key(name.to_owned())
    }

    fn named(key: &str, value: &str) -> Segment {
        Segment::Named {
            key: key.to_owned(),
            value: value.to_owned(),
        }
    }

    #[test]
    fn root_displays_as_dollar() {
        assert_eq!(Path::root().to_string(), "$");
    }

    #[test]
    fn named_and_keyed_segments_display_readably() {
        let path = Path(vec![
            key("containerDefinitions"),
            named("name", "app"),
            key("environment"),
            named("name", "DB_HOST"),
            key("value"),
        ]);
        assert_eq!(
            path.to_string(),
            "containerDefinitions[name=app].environment[name=DB_HOST].value"
        );
    }

    #[test]
    fn unusual_keys_and_values_are_quoted() {
        let path = Path(vec![
            key("logConfiguration"),
            key("options"),
            key("awslogs-group"),
        ]);
        assert_eq!(
            path.to_string(),
            r#"logConfiguration.options["awslogs-group"]"#
        );
        let path = Path(vec![key("tags"), named("key", "team name"), key("value")]);
        assert_eq!(path.to_string(), r#"tags[key="team name"].value"#);
        let path = Path(vec![key("subnets"), Segment::Index(2)]);
        assert_eq!(path.to_string(), "subnets[2]");
        let path = Path(vec![key("a b")]);
        assert_eq!(path.to_string(), r#"["a b"]"#);
    }

    #[test]
    fn serializes_as_a_list_of_segments_and_back() {
        let path = Path(vec![
            key("containerDefinitions"),
            named("name", "app"),
            key("portMappings"),
            Segment::Index(0),
        ]);
        let json = serde_json::to_value(&path).unwrap();
        assert_eq!(
            json,
            serde_json::json!(["containerDefinitions", {"name": "app"}, "portMappings", 0])
        );
        let back: Path = serde_json::from_value(json).unwrap();
        assert_eq!(back, path);
    }

    #[test]
    fn rejects_malformed_segments() {
        assert!(serde_json::from_str::<Path>(r#"[{"a": "b", "c": "d"}]"#).is_err());
        assert!(serde_json::from_str::<Path>(r#"[{}]"#).is_err());
        assert!(serde_json::from_str::<Path>(r#"[-1]"#).is_err());
        assert!(serde_json::from_str::<Path>(r#"[true]"#).is_err());
    }

    #[test]
    fn prefixes() {
        let parent = Path(vec![key("tags")]);
        let child = parent.child(named("key", "env"));
        assert!(child.starts_with(&parent));
        assert!(child.starts_with(&Path::root()));
        assert!(!parent.starts_with(&child));
        assert_eq!(child.top_level_key(), Some("tags"));
        assert_eq!(Path::root().top_level_key(), None);
    }
}
