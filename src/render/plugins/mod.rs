//! The config's `plugins:` (ecspresso's list of `{name, config, func_prefix}`): each entry
//! becomes template functions and Jsonnet natives for the definitions, under its `func_prefix`.
//! One module per plugin kind owns its config keys and its functions:
//!
//! - [`tfstate`]: `tfstate`, `tfstatef`, `std.native('tfstate')` — Terraform state lookups;
//! - [`cloudformation`]: `cfn_output`, `cfn_export` — stack outputs and exports;
//! - [`external`]: one function named by the plugin, answered by a command.
//!
//! [`setup`] is the one place that knows the plugin names ([`provided_by`] dispatches on them),
//! checks that no two plugins provide the same function name (ecspresso's rule and wording),
//! and collects what `project` hands the renderer. `ssm` and `secretsmanager` are accepted as
//! ecspresso configs list them, but their functions are built in (`render::lookups`).
//!
//! Must not: read the config file, print, or start a runtime; lookups happen when a definition
//! calls a function, never at setup.

pub(crate) mod cloudformation;
pub(crate) mod external;
pub(crate) mod tfstate;

use std::collections::BTreeSet;

use gtmpl::Func;
use gtmpl_value::{FuncError, Value as TemplateValue};
use serde_json::{Map, Value};

use super::{DuplicateFunction, NativeFunction, TemplateFunctions};
use crate::config::PluginConfig;
use crate::tfstate::TfStateError;

/// The plugin names `plugins:` accepts, for the error that suggests one.
pub(crate) const PLUGIN_NAMES: &[&str] = &[
    "tfstate",
    "cloudformation",
    "external",
    "ssm",
    "secretsmanager",
];

/// Jsonnet natives every definition has (`render::jsonnet`): a plugin may not take their names.
const BUILT_IN_NATIVES: &[&str] = &["env", "must_env", "ssm", "ssm_list", "secretsmanager_arn"];

/// What one plugin provides, before its `func_prefix` is applied.
#[derive(Default)]
pub(crate) struct Provided {
    pub template: Vec<(String, Func)>,
    pub natives: Vec<NativeFunction>,
}

/// Everything the plugins give the definitions.
pub(crate) struct PluginFunctions {
    /// The built-in template functions plus every plugin's.
    pub template: TemplateFunctions,
    pub natives: Vec<NativeFunction>,
}

/// Reads the states of this thread's tfstate plugins that are not `optional`, once per run:
/// ecspresso fails when such a state cannot be read, whether or not a definition uses it. Call
/// before rendering a definition; `render config` never needs them.
pub(crate) fn read_required_states() -> Result<(), PluginError> {
    tfstate::read_required().map_err(|(index, error)| PluginError::State { index, error })
}

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("plugins[{index}].name: plugin {name:?} is not available{}", suggestion.as_ref().map(|close| format!(", did you mean {close}?")).unwrap_or_default())]
    Unknown {
        index: usize,
        name: String,
        suggestion: Option<String>,
    },
    #[error("plugins[{index}] ({name}): {message}")]
    Invalid {
        index: usize,
        name: String,
        message: String,
    },
    #[error(transparent)]
    DuplicateFunction(#[from] DuplicateFunction),
    #[error("jsonnet native function {name} already exists. set func_prefix to {plugin} plugin")]
    DuplicateNative { name: String, plugin: String },
    /// A tfstate plugin's state (not `optional`) cannot be read.
    #[error("plugins[{index}] (tfstate): {error}")]
    State { index: usize, error: TfStateError },
}

impl PluginError {
    pub fn hint(&self) -> Option<String> {
        match self {
            PluginError::Unknown { .. } => Some(format!(
                "the plugins are {} (the ssm and secretsmanager functions are built in: listing those two is optional)",
                PLUGIN_NAMES.join(", ")
            )),
            PluginError::Invalid { name, .. } => Some(format!(
                "see the {name} plugin in the README's Plugins section and schemas/config.schema.json"
            )),
            PluginError::DuplicateFunction(_) | PluginError::DuplicateNative { .. } => {
                Some("give each plugin of the same kind its own func_prefix".into())
            }
            PluginError::State { error, .. } => Some(match error.hint() {
                Some(hint) => format!(
                    "{hint}; or set optional: true in the plugin's config, so that only lookups \
                     in this state fail"
                ),
                None => "set optional: true in the plugin's config, so that only lookups in \
                         this state fail"
                    .into(),
            }),
        }
    }
}

/// Sets the plugins up for this thread's rendering, in config order: their functions, under
/// their `func_prefix`, and their per-run state (tfstate sources, external commands).
pub(crate) fn setup(plugins: &[PluginConfig]) -> Result<PluginFunctions, PluginError> {
    let mut template = TemplateFunctions::default();
    let mut natives: Vec<NativeFunction> = Vec::new();
    let mut native_names: BTreeSet<String> = BUILT_IN_NATIVES
        .iter()
        .map(|name| (*name).to_owned())
        .collect();
    let mut slots = Slots::default();
    for (index, plugin) in plugins.iter().enumerate() {
        let provided = provided_by(index, plugin, &mut slots)?;
        for (name, function) in provided.template {
            template.register_plugin_function(
                &plugin.name,
                &format!("{}{name}", plugin.func_prefix),
                function,
            )?;
        }
        for mut native in provided.natives {
            native.name = format!("{}{}", plugin.func_prefix, native.name);
            if !native_names.insert(native.name.clone()) {
                return Err(PluginError::DuplicateNative {
                    name: native.name,
                    plugin: plugin.name.clone(),
                });
            }
            natives.push(native);
        }
    }
    slots.install();
    Ok(PluginFunctions { template, natives })
}

/// The per-thread state of the plugin kinds that need it, gathered in config order.
#[derive(Default)]
struct Slots {
    tfstate: Vec<tfstate::Source>,
    external: Vec<external::Command>,
}

impl Slots {
    fn install(self) {
        tfstate::install(self.tfstate);
        external::install(self.external);
    }
}

/// The one dispatch on plugin names: what the plugin at `index` provides.
fn provided_by(
    index: usize,
    plugin: &PluginConfig,
    slots: &mut Slots,
) -> Result<Provided, PluginError> {
    let invalid = |message: String| PluginError::Invalid {
        index,
        name: plugin.name.clone(),
        message,
    };
    match plugin.name.as_str() {
        "tfstate" => {
            let source = tfstate::Source::from_config(index, &plugin.config).map_err(invalid)?;
            tfstate::provided(push_slot(&mut slots.tfstate, source, "tfstate").map_err(invalid)?)
                .map_err(invalid)
        }
        "cloudformation" => {
            cloudformation::check_config(&plugin.config).map_err(invalid)?;
            Ok(cloudformation::provided())
        }
        "external" => {
            let command = external::Command::from_config(&plugin.config).map_err(invalid)?;
            let num_args = command.num_args;
            let name = command.name.clone();
            let slot = push_slot(&mut slots.external, command, "external").map_err(invalid)?;
            external::provided(slot, &name, num_args).map_err(invalid)
        }
        "ssm" | "secretsmanager" => Ok(default_lookups(plugin)),
        other => Err(PluginError::Unknown {
            index,
            name: other.to_owned(),
            suggestion: crate::config::suggest(&other.to_lowercase(), PLUGIN_NAMES),
        }),
    }
}

/// ecspresso loads its `ssm` and `secretsmanager` plugins by default, so configs list them
/// harmlessly: their functions are built in (`render::lookups`); a `func_prefix` adds the
/// template functions under the prefixed name too.
fn default_lookups(plugin: &PluginConfig) -> Provided {
    if plugin.func_prefix.is_empty() {
        return Provided::default();
    }
    let template: Vec<(String, Func)> = if plugin.name == "ssm" {
        vec![("ssm".into(), crate::render::lookups::ssm_template as Func)]
    } else {
        vec![(
            "secretsmanager_arn".into(),
            crate::render::lookups::secretsmanager_arn_template as Func,
        )]
    };
    Provided {
        template,
        natives: Vec::new(),
    }
}

/// How many plugins of one kind that keeps per-plugin state one config may declare: gtmpl's
/// functions are plain `fn` pointers, so each plugin's functions are one of a fixed set.
pub(crate) const MAX_PLUGINS_OF_A_KIND: usize = 8;

fn push_slot<T>(slots: &mut Vec<T>, item: T, kind: &str) -> Result<usize, String> {
    if slots.len() == MAX_PLUGINS_OF_A_KIND {
        return Err(format!(
            "at most {MAX_PLUGINS_OF_A_KIND} {kind} plugins are supported in one config"
        ));
    }
    slots.push(item);
    Ok(slots.len() - 1)
}

/// One function per slot of a per-thread table: non-capturing closures that pass their slot
/// number to `$call(slot, arguments)`, as the `fn` pointers gtmpl wants.
macro_rules! slot_functions {
    ($call:path) => {
        [
            (|arguments: &[gtmpl_value::Value]| $call(0, arguments)) as gtmpl::Func,
            (|arguments: &[gtmpl_value::Value]| $call(1, arguments)) as gtmpl::Func,
            (|arguments: &[gtmpl_value::Value]| $call(2, arguments)) as gtmpl::Func,
            (|arguments: &[gtmpl_value::Value]| $call(3, arguments)) as gtmpl::Func,
            (|arguments: &[gtmpl_value::Value]| $call(4, arguments)) as gtmpl::Func,
            (|arguments: &[gtmpl_value::Value]| $call(5, arguments)) as gtmpl::Func,
            (|arguments: &[gtmpl_value::Value]| $call(6, arguments)) as gtmpl::Func,
            (|arguments: &[gtmpl_value::Value]| $call(7, arguments)) as gtmpl::Func,
        ]
    };
}
pub(crate) use slot_functions;

/// A plugin's `config` as an object whose keys are all among `known` (`null` or absent is an
/// empty object). An unknown key is an error with a suggestion, as for the config's own keys.
pub(crate) fn config_object<'a>(
    config: &'a Value,
    known: &[&str],
) -> Result<Option<&'a Map<String, Value>>, String> {
    let map = match config {
        Value::Null => return Ok(None),
        Value::Object(map) => map,
        other => {
            return Err(format!(
                "config: expected an object, found {}",
                kind_of(other)
            ));
        }
    };
    for key in map.keys() {
        if !known.contains(&key.as_str()) {
            let suggestion = crate::config::suggest(key, known)
                .map(|close| format!(", did you mean {close}?"))
                .unwrap_or_default();
            return Err(format!(
                "config.{key}: unknown key{suggestion} (known: {})",
                known.join(", ")
            ));
        }
    }
    Ok(Some(map))
}

/// A JSON value's kind, for messages.
pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A template argument as text (numbers and booleans as Go prints them).
pub(crate) fn text_argument(function: &str, value: &TemplateValue) -> Result<String, FuncError> {
    match value {
        TemplateValue::String(text) => Ok(text.clone()),
        TemplateValue::Number(number) => Ok(number.to_string()),
        TemplateValue::Bool(flag) => Ok(flag.to_string()),
        other => Err(FuncError::Generic(format!(
            "{function}: expected a string argument, got {other}"
        ))),
    }
}

/// A Jsonnet native's argument as text.
pub(crate) fn text_parameter(function: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        other => Err(format!(
            "{function}: expected a string argument, got {}",
            kind_of(other)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plugin(name: &str, prefix: &str, config: Value) -> PluginConfig {
        PluginConfig {
            name: name.into(),
            func_prefix: prefix.into(),
            config,
        }
    }

    fn native_names(functions: &PluginFunctions) -> Vec<&str> {
        functions
            .natives
            .iter()
            .map(|native| native.name.as_str())
            .collect()
    }

    #[test]
    fn each_plugin_kind_provides_its_functions_under_its_prefix() {
        let functions = setup(&[
            plugin("tfstate", "", serde_json::json!({"path": "a.tfstate"})),
            plugin("tfstate", "infra_", serde_json::json!({"url": "s3://b/k"})),
            plugin("cloudformation", "", Value::Null),
            plugin(
                "external",
                "",
                serde_json::json!({"name": "vault", "command": ["vault-lookup"], "num_args": 2}),
            ),
        ])
        .unwrap();
        let names: Vec<&str> = functions.template.names().collect();
        for name in [
            "tfstate",
            "tfstatef",
            "infra_tfstate",
            "infra_tfstatef",
            "cfn_output",
            "cfn_export",
            "vault",
        ] {
            assert!(names.contains(&name), "{name}: {names:?}");
        }
        assert_eq!(
            native_names(&functions),
            [
                "tfstate",
                "infra_tfstate",
                "cfn_output",
                "cfn_export",
                "vault"
            ]
        );
        let vault = &functions.natives[4];
        assert_eq!(vault.parameters, ["arg0", "arg1"]);
    }

    #[test]
    fn an_unknown_plugin_is_refused_with_a_suggestion() {
        let error = setup(&[plugin("cloudformaton", "", Value::Null)])
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "plugins[0].name: plugin \"cloudformaton\" is not available, did you mean cloudformation?"
        );
        assert!(
            error
                .hint()
                .unwrap()
                .contains("tfstate, cloudformation, external")
        );
        let error = setup(&[plugin("TFState", "", Value::Null)]).err().unwrap();
        assert!(
            error.to_string().ends_with("did you mean tfstate?"),
            "{error}"
        );
    }

    #[test]
    fn two_plugins_of_a_kind_need_their_own_prefix() {
        let error = setup(&[
            plugin("cloudformation", "", Value::Null),
            plugin("cloudformation", "", Value::Null),
        ])
        .err()
        .unwrap();
        assert!(
            error
                .to_string()
                .ends_with("already exists. set func_prefix to cloudformation plugin"),
            "{error}"
        );
        assert!(
            setup(&[
                plugin("cloudformation", "", Value::Null),
                plugin("cloudformation", "other_", Value::Null),
            ])
            .is_ok()
        );
        // A name only Jsonnet has is taken too: an external plugin may not hide `ssm_list`.
        let error = setup(&[plugin(
            "external",
            "",
            serde_json::json!({"name": "ssm_list", "command": ["x"]}),
        )])
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "jsonnet native function ssm_list already exists. set func_prefix to external plugin"
        );
    }

    #[test]
    fn plugin_configs_are_checked_with_their_index() {
        let error = setup(&[plugin(
            "tfstate",
            "",
            serde_json::json!({"path": "a", "optinal": true}),
        )])
        .err()
        .unwrap();
        assert_eq!(
            error.to_string(),
            "plugins[0] (tfstate): config.optinal: unknown key, did you mean optional? (known: \
             path, url, optional)"
        );
        let error = setup(&[plugin("cloudformation", "", serde_json::json!("x"))])
            .err()
            .unwrap();
        assert_eq!(
            error.to_string(),
            "plugins[0] (cloudformation): config: expected an object, found a string"
        );
        let many: Vec<PluginConfig> = (0..=MAX_PLUGINS_OF_A_KIND)
            .map(|n| {
                plugin(
                    "tfstate",
                    &format!("p{n}_"),
                    serde_json::json!({"path": "a"}),
                )
            })
            .collect();
        let error = setup(&many).err().unwrap();
        assert!(
            error.to_string().contains("at most 8 tfstate plugins"),
            "{error}"
        );
    }
}
