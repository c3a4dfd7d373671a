//! Conversions between AWS-CLI JSON documents (`serde_json::Value`) and aws-sdk-ecs types,
//! through the SDK's own schema-based JSON codec (aws-smithy-json `JsonCodec`), so that no
//! field-by-field conversion is written by hand.
//!
//! Responsible for: decoding a checked task/service definition into the SDK input to send, and
//! encoding a described TaskDefinition/Service back to the JSON the AWS CLI prints.
//! Must not: validate documents for users (that is `crate::definition`, which runs first and
//! reports paths and did-you-means); this module only refuses what the SDK would silently drop.

use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_smithy_json::codec::{JsonCodec, JsonCodecSettings};
use aws_smithy_schema::codec::Codec;
use aws_smithy_schema::serde::{
    SerdeError, SerializableStruct, ShapeDeserializer, ShapeSerializer,
};
use aws_smithy_types::date_time::Format as TimestampFormat;
use serde_json::Value;

/// A document the SDK codec could not take, or an SDK value it could not write.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("the SDK could not read the {operation} document: {message}")]
    Decode {
        operation: &'static str,
        message: String,
    },
    #[error("the SDK would drop {} of the {operation} document: {}", plural_fields(.paths.len()), .paths.join(", "))]
    DroppedFields {
        operation: &'static str,
        paths: Vec<String>,
    },
    #[error("the SDK could not write {shape} as JSON: {message}")]
    Encode { shape: String, message: String },
}

fn plural_fields(count: usize) -> &'static str {
    if count == 1 { "a field" } else { "fields" }
}

/// `aws ecs register-task-definition --cli-input-json` document → SDK input.
pub(crate) fn register_task_definition_input(
    doc: &Value,
) -> Result<RegisterTaskDefinitionInput, CodecError> {
    decode(
        doc,
        "RegisterTaskDefinition",
        RegisterTaskDefinitionInput::deserialize,
    )
}

/// CreateService document (AWS CLI keys) → SDK input.
pub(crate) fn create_service_input(doc: &Value) -> Result<CreateServiceInput, CodecError> {
    decode(doc, "CreateService", CreateServiceInput::deserialize)
}

/// RunTask document (AWS CLI keys) → SDK input.
pub(crate) fn run_task_input(doc: &Value) -> Result<RunTaskInput, CodecError> {
    decode(doc, "RunTask", RunTaskInput::deserialize)
}

/// UpdateService document (AWS CLI keys) → SDK input.
pub(crate) fn update_service_input(doc: &Value) -> Result<UpdateServiceInput, CodecError> {
    decode(doc, "UpdateService", UpdateServiceInput::deserialize)
}

/// A DescribeServices `services[]` element as AWS sends it (AWS CLI keys) → the SDK's
/// `Service`, refusing members the SDK would drop. For tests that feed real-shaped responses
/// through the same path as the adapter.
#[cfg(test)]
pub(crate) fn described_service(doc: &Value) -> Result<aws_sdk_ecs::types::Service, CodecError> {
    decode(
        doc,
        "DescribeServices",
        aws_sdk_ecs::types::Service::deserialize,
    )
}

/// A DescribeTaskDefinition `taskDefinition` object as AWS sends it → the SDK's
/// `TaskDefinition` (see `described_service`).
#[cfg(test)]
pub(crate) fn described_task_definition(
    doc: &Value,
) -> Result<aws_sdk_ecs::types::TaskDefinition, CodecError> {
    decode(
        doc,
        "DescribeTaskDefinition",
        aws_sdk_ecs::types::TaskDefinition::deserialize,
    )
}

/// A tag as AWS sends it → the SDK's `Tag` (see `described_service`).
#[cfg(test)]
pub(crate) fn described_tag(doc: &Value) -> Result<aws_sdk_ecs::types::Tag, CodecError> {
    decode(
        doc,
        "DescribeTaskDefinition",
        aws_sdk_ecs::types::Tag::deserialize,
    )
}

/// Any SDK structure (a described `TaskDefinition`, `Service`, an input) → the JSON the AWS CLI
/// prints for it: camelCase keys, timestamps as ISO 8601 strings.
///
/// Note: members the SDK keeps as plain numbers or booleans with a default (a container's `cpu`,
/// a service's `desiredCount`) are always written, also when the API left them out.
pub(crate) fn to_json(value: &dyn SerializableStruct) -> Result<Value, CodecError> {
    let encode_error = |message: String| CodecError::Encode {
        shape: value.schema().shape_id().shape_name().to_owned(),
        message,
    };
    let mut serializer = cli_codec().create_serializer();
    serializer
        .write_struct(value.schema(), value)
        .map_err(|error| encode_error(error.to_string()))?;
    serde_json::from_slice(&serializer.finish()).map_err(|error| encode_error(error.to_string()))
}

/// awsJson1_1 uses member names as keys (no `@jsonName`), which are also the AWS CLI's keys. The
/// CLI prints timestamps as ISO 8601; reading accepts both that and epoch seconds.
fn cli_codec() -> JsonCodec {
    JsonCodec::new(
        JsonCodecSettings::builder()
            .use_json_name(false)
            .default_timestamp_format(TimestampFormat::DateTime)
            .build(),
    )
}

fn decode<T: SerializableStruct>(
    doc: &Value,
    operation: &'static str,
    deserialize: fn(&mut dyn ShapeDeserializer) -> Result<T, SerdeError>,
) -> Result<T, CodecError> {
    let decode_error = |message: String| CodecError::Decode { operation, message };
    let bytes = serde_json::to_vec(doc).map_err(|error| decode_error(error.to_string()))?;
    let codec = cli_codec();
    let mut deserializer = codec.create_deserializer(&bytes);
    let value = deserialize(&mut deserializer).map_err(|error| decode_error(error.to_string()))?;
    // The codec skips keys it does not know. The definition checks have already refused unknown
    // keys, so anything dropped here is a mismatch between those checks and this SDK version:
    // better to stop than to deploy without a field the user wrote.
    let written = to_json(&value).map_err(|error| decode_error(error.to_string()))?;
    let mut dropped = Vec::new();
    collect_dropped(doc, &written, &mut String::new(), &mut dropped);
    if dropped.is_empty() {
        Ok(value)
    } else {
        Err(CodecError::DroppedFields {
            operation,
            paths: dropped,
        })
    }
}

/// Paths of object keys that are in `original` (with a non-null value) but not in `written`.
fn collect_dropped(
    original: &Value,
    written: &Value,
    path: &mut String,
    dropped: &mut Vec<String>,
) {
    match (original, written) {
        (Value::Object(original), Value::Object(written)) => {
            for (key, value) in original {
                let start = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match written.get(key) {
                    Some(written) => collect_dropped(value, written, path, dropped),
                    None if !value.is_null() => dropped.push(path.clone()),
                    None => {}
                }
                path.truncate(start);
            }
        }
        (Value::Array(original), Value::Array(written)) => {
            for (index, (value, written)) in original.iter().zip(written).enumerate() {
                let start = path.len();
                path.push_str(&format!("[{index}]"));
                collect_dropped(value, written, path, dropped);
                path.truncate(start);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/tests/fixtures/ecspresso/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
    }

    #[test]
    fn task_definition_round_trips_through_the_sdk() {
        let document = fixture("td.json")["taskDefinition"].clone();
        let input = register_task_definition_input(&document).expect("decodes");
        assert_eq!(input.family(), Some("katsubushi"));
        assert_eq!(input.container_definitions()[0].cpu(), 256);
        assert_eq!(to_json(&input).expect("encodes"), document);
    }

    #[test]
    fn service_definition_decodes_for_create_service() {
        // The file has no serviceName (the config decides it); the caller adds it.
        let mut document = fixture("sv.json");
        document["serviceName"] = json!("test");
        let input = create_service_input(&document).expect("decodes");
        assert_eq!(input.desired_count(), Some(2));
        assert_eq!(to_json(&input).expect("encodes"), document);
    }

    #[test]
    fn update_service_takes_its_own_members() {
        let input =
            update_service_input(&json!({"service": "web", "desiredCount": 3})).expect("decodes");
        assert_eq!(input.service(), Some("web"));
        assert_eq!(input.desired_count(), Some(3));
    }

    #[test]
    fn keys_the_sdk_would_drop_are_refused() {
        let error = register_task_definition_input(&json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "image": "nginx", "essentail": true}],
            "bogus": 1,
            "networkMode": null,
        }))
        .expect_err("refused");
        assert!(
            matches!(&error, CodecError::DroppedFields { paths, .. }
                if paths == &["bogus", "containerDefinitions[0].essentail"]),
            "{error}"
        );
    }

    #[test]
    fn wrong_types_are_decode_errors() {
        let error = register_task_definition_input(&json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "essential": "yes"}],
        }))
        .expect_err("refused");
        assert!(matches!(error, CodecError::Decode { .. }), "{error}");
    }

    #[test]
    fn timestamps_are_written_as_iso_8601() {
        let definition = aws_sdk_ecs::types::TaskDefinition::builder()
            .family("web")
            .registered_at(aws_smithy_types::DateTime::from_secs(1_700_000_000))
            .build();
        let json = to_json(&definition).expect("encodes");
        assert_eq!(json["registeredAt"], "2023-11-14T22:13:20Z");
        assert_eq!(json["family"], "web");
    }

    /// What the definition checks accept, the SDK must read without dropping anything: the
    /// checks and the codec see the same model.
    #[test]
    fn checked_fixture_definitions_decode_without_loss() {
        use crate::definition::{check_service_definition, check_task_definition};
        let directory = format!("{}/tests/fixtures/ecspresso", env!("CARGO_MANIFEST_DIR"));
        let mut documents: Vec<(String, Value)> = [
            "td.json",
            "td-plain-in-tags.json",
            "ecs-task-def.json",
            "sv.json",
            "ecs-service-def.json",
        ]
        .iter()
        .map(|name| (name.to_string(), fixture(name)))
        .collect();
        for entry in std::fs::read_dir(format!("{directory}/diff-vectors")).expect("diff-vectors") {
            let name = entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("utf-8");
            let vector = fixture(&format!("diff-vectors/{name}"));
            for side in ["local", "remote"] {
                if !vector[side].is_null() {
                    let kind = vector["kind"].as_str().unwrap_or_default();
                    let file = if kind == "task_definition" {
                        "td"
                    } else {
                        "sv"
                    };
                    documents.push((format!("{file}:{name} {side}"), vector[side].clone()));
                }
            }
        }
        let mut decoded = 0;
        for (name, document) in documents {
            if name.starts_with("td") || name.starts_with("ecs-task") {
                if let Ok(checked) = check_task_definition(document) {
                    register_task_definition_input(&checked.document)
                        .unwrap_or_else(|error| panic!("{name}: {error}"));
                    decoded += 1;
                }
            } else if let Ok(mut checked) = check_service_definition(document) {
                checked.document["serviceName"] = json!("web");
                create_service_input(&checked.document)
                    .unwrap_or_else(|error| panic!("{name}: {error}"));
                decoded += 1;
            }
        }
        assert!(decoded > 100, "only {decoded} documents decoded");
    }
}
