//! The cloudformation plugin (fujiwara/cfn-lookup in ecspresso): `{{ cfn_output "STACK" "KEY" }}`
//! (a stack's output value), `{{ cfn_export "NAME" }}` (an export's value), and the same as
//! `std.native('cfn_output')(stack, key)` and `std.native('cfn_export')(name)`, under the
//! plugin's `func_prefix`. It has no config keys.
//!
//! The values come from `render::lookups`, cached per run in the run's region: one
//! DescribeStacks per distinct stack, and the exports listed once (every page), whatever the
//! number of lookups. A missing output or export is an error that says what does exist.
//! Must not: call AWS itself or keep state of its own (two cloudformation plugins with
//! different prefixes share the same answers).

use std::rc::Rc;

use gtmpl_value::{FuncError, Value as TemplateValue};
use serde_json::Value;

use super::{Provided, config_object, text_argument, text_parameter};
use crate::render::NativeFunction;
use crate::render::lookups;

/// How many names an error lists at most.
const LISTED_NAMES: usize = 10;

/// The plugin takes no config: anything in it is an unknown key.
pub(crate) fn check_config(config: &Value) -> Result<(), String> {
    config_object(config, &[]).map(|_| ())
}

pub(crate) fn provided() -> Provided {
    Provided {
        template: vec![
            ("cfn_output".into(), output_template as gtmpl::Func),
            ("cfn_export".into(), export_template as gtmpl::Func),
        ],
        natives: vec![
            NativeFunction {
                name: "cfn_output".into(),
                parameters: vec!["stack".into(), "key".into()],
                call: Rc::new(|arguments: &[Value]| {
                    let [stack, key] = arguments else {
                        return Err("cfn_output: takes two arguments, the stack and the key".into());
                    };
                    output(
                        &text_parameter("cfn_output", stack)?,
                        &text_parameter("cfn_output", key)?,
                    )
                    .map(Value::String)
                }),
            },
            NativeFunction {
                name: "cfn_export".into(),
                parameters: vec!["name".into()],
                call: Rc::new(|arguments: &[Value]| {
                    let [name] = arguments else {
                        return Err("cfn_export: takes one argument, the export's name".into());
                    };
                    export(&text_parameter("cfn_export", name)?).map(Value::String)
                }),
            },
        ],
    }
}

/// The value of output `key` of `stack`.
pub(crate) fn output(stack: &str, key: &str) -> Result<String, String> {
    let outputs = lookups::stack_outputs(stack)
        .map_err(|error| format!("cfn_output {stack} {key}: {error}"))?;
    if let Some((_, value)) = outputs.iter().find(|(name, _)| name == key) {
        return Ok(value.clone());
    }
    let keys: Vec<&str> = outputs.iter().map(|(name, _)| name.as_str()).collect();
    Err(format!(
        "cfn_output {stack} {key}: stack {stack} has no output {key}{}{}",
        did_you_mean(key, &keys),
        match keys.as_slice() {
            [] => " (it has no outputs)".to_owned(),
            keys => format!(" (its outputs: {})", listed(keys)),
        }
    ))
}

/// The value of the export named `name`.
pub(crate) fn export(name: &str) -> Result<String, String> {
    let exports = lookups::exports().map_err(|error| format!("cfn_export {name}: {error}"))?;
    if let Some((_, value)) = exports.iter().find(|(export, _)| export == name) {
        return Ok(value.clone());
    }
    let names: Vec<&str> = exports.iter().map(|(export, _)| export.as_str()).collect();
    Err(format!(
        "cfn_export {name}: no export named {name} in this account and region{}{}",
        did_you_mean(name, &names),
        match names.as_slice() {
            [] => " (there are no exports)".to_owned(),
            names => format!(" (exports: {})", listed(names)),
        }
    ))
}

fn did_you_mean(unknown: &str, known: &[&str]) -> String {
    crate::config::suggest(unknown, known)
        .map(|close| format!(", did you mean {close}?"))
        .unwrap_or_default()
}

fn listed(names: &[&str]) -> String {
    if names.len() <= LISTED_NAMES {
        names.join(", ")
    } else {
        format!(
            "{} and {} more",
            names[..LISTED_NAMES].join(", "),
            names.len() - LISTED_NAMES
        )
    }
}

fn output_template(arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
    let [stack, key] = arguments else {
        return Err(FuncError::ExactlyXArgs("cfn_output".into(), 2));
    };
    output(
        &text_argument("cfn_output", stack)?,
        &text_argument("cfn_output", key)?,
    )
    .map(TemplateValue::String)
    .map_err(FuncError::Generic)
}

fn export_template(arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
    let [name] = arguments else {
        return Err(FuncError::ExactlyXArgs("cfn_export".into(), 1));
    };
    export(&text_argument("cfn_export", name)?)
        .map(TemplateValue::String)
        .map_err(FuncError::Generic)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::render::lookups::LookupBackend;

    /// CloudFormation in memory, counting the calls.
    #[derive(Default)]
    struct FakeCloudFormation {
        calls: RefCell<Vec<String>>,
    }

    impl LookupBackend for FakeCloudFormation {
        fn parameter(&self, _: &str) -> Result<(String, String), String> {
            unreachable!("no parameter lookups here")
        }
        fn secret_arn(&self, _: &str) -> Result<String, String> {
            unreachable!("no secret lookups here")
        }
        fn s3_object(&self, _: &str, _: &str) -> Result<Vec<u8>, String> {
            unreachable!("no S3 lookups here")
        }
        fn stack_outputs(&self, stack: &str) -> Result<Vec<(String, String)>, String> {
            self.calls
                .borrow_mut()
                .push(format!("DescribeStacks {stack}"));
            match stack {
                "network" => Ok(vec![
                    ("VpcId".into(), "vpc-1".into()),
                    ("SubnetIds".into(), "subnet-1,subnet-2".into()),
                ]),
                "empty" => Ok(Vec::new()),
                other => Err(format!(
                    "ValidationError: Stack with id {other} does not exist"
                )),
            }
        }
        fn exports(&self) -> Result<Vec<(String, String)>, String> {
            self.calls.borrow_mut().push("ListExports".into());
            Ok(vec![("network-VpcId".into(), "vpc-1".into())])
        }
    }

    #[test]
    fn outputs_and_exports_are_looked_up_once_per_stack_and_run() {
        let backend = Rc::new(FakeCloudFormation::default());
        lookups::install(backend.clone());
        let functions = provided();
        let (cfn_output, cfn_export) = (functions.template[0].1, functions.template[1].1);
        let text = |value: &str| TemplateValue::String(value.into());
        assert_eq!(
            cfn_output(&[text("network"), text("VpcId")]).unwrap(),
            text("vpc-1")
        );
        assert_eq!(
            (functions.natives[0].call)(&[
                Value::String("network".into()),
                Value::String("SubnetIds".into())
            ])
            .unwrap(),
            "subnet-1,subnet-2"
        );
        assert_eq!(cfn_export(&[text("network-VpcId")]).unwrap(), text("vpc-1"));
        assert_eq!(
            (functions.natives[1].call)(&[Value::String("network-VpcId".into())]).unwrap(),
            "vpc-1"
        );
        assert_eq!(
            *backend.calls.borrow(),
            ["DescribeStacks network", "ListExports"]
        );
    }

    #[test]
    fn missing_stacks_outputs_and_exports_say_what_exists() {
        lookups::install(Rc::new(FakeCloudFormation::default()));
        assert_eq!(
            output("nope", "VpcId").unwrap_err(),
            "cfn_output nope VpcId: ValidationError: Stack with id nope does not exist"
        );
        assert_eq!(
            output("network", "VpcID").unwrap_err(),
            "cfn_output network VpcID: stack network has no output VpcID, did you mean VpcId? \
             (its outputs: VpcId, SubnetIds)"
        );
        assert_eq!(
            output("empty", "VpcId").unwrap_err(),
            "cfn_output empty VpcId: stack empty has no output VpcId (it has no outputs)"
        );
        assert_eq!(
            export("network-VpcID").unwrap_err(),
            "cfn_export network-VpcID: no export named network-VpcID in this account and \
             region, did you mean network-VpcId? (exports: network-VpcId)"
        );
        assert!(check_config(&serde_json::json!({"region": "x"})).is_err());
        assert!(check_config(&Value::Null).is_ok());
    }
}
