//! ecspresso's Go text/template syntax in config and definition files
//! (`{{ must_env `TAG` }}`, `{{ env `A` `default` }}`, `{{ env `JSON` | json_escape }}`).
//!
//! Rendering is delegated to `gtmpl`, a Rust implementation of Go's text/template. This module
//! owns the function table: the built-in functions, plus plugin functions registered under
//! unique names (two plugins providing the same name is an error, as in ecspresso). It must not
//! read config or definition files itself; callers hand it text and a name for messages.

use std::collections::BTreeMap;

use gtmpl::{Context, Func, Template};
use gtmpl_value::{FuncError, Value};

/// Where a template function comes from; decides whether a duplicate name is an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FunctionOrigin {
    BuiltIn,
    Plugin(String),
}

/// The set of functions available to `{{ }}` actions.
#[derive(Clone)]
pub struct TemplateFunctions {
    functions: BTreeMap<String, (Func, FunctionOrigin)>,
}

/// A function name was registered twice (by two plugins without distinct `func_prefix`).
#[derive(Debug, thiserror::Error)]
#[error("template function {name} already exists. set func_prefix to {plugin} plugin")]
pub struct DuplicateFunction {
    pub name: String,
    pub plugin: String,
}

/// A template failed to parse or execute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFailure {
    /// 1-based line in the template text, when it could be determined.
    pub line: Option<usize>,
    pub message: String,
}

impl Default for TemplateFunctions {
    fn default() -> Self {
        let mut functions = BTreeMap::new();
        for (name, function) in [
            ("env", env as Func),
            ("must_env", must_env as Func),
            ("json_escape", json_escape as Func),
            // ecspresso loads its ssm and secretsmanager plugins by default.
            ("ssm", super::lookups::ssm_template as Func),
            (
                "secretsmanager_arn",
                super::lookups::secretsmanager_arn_template as Func,
            ),
        ] {
            functions.insert(name.to_owned(), (function, FunctionOrigin::BuiltIn));
        }
        Self { functions }
    }
}

impl TemplateFunctions {
    /// Registers a plugin's function. A name that already exists is an error, except for the
    /// `ssm`/`secretsmanager` plugins, whose duplicates ecspresso skips silently because it
    /// loads them by default before any configured plugin.
    pub fn register_plugin_function(
        &mut self,
        plugin: &str,
        name: &str,
        function: Func,
    ) -> Result<(), DuplicateFunction> {
        if self.functions.contains_key(name) {
            if plugin == "ssm" || plugin == "secretsmanager" {
                return Ok(());
            }
            return Err(DuplicateFunction {
                name: name.to_owned(),
                plugin: plugin.to_owned(),
            });
        }
        self.functions.insert(
            name.to_owned(),
            (function, FunctionOrigin::Plugin(plugin.to_owned())),
        );
        Ok(())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.functions.keys().map(String::as_str)
    }

    /// Renders `text`. Text without `{{` is returned as it is, without parsing.
    pub fn render(&self, name: &str, text: &str) -> Result<String, TemplateFailure> {
        if !text.contains("{{") {
            return Ok(text.to_owned());
        }
        let mut template = Template::with_name(name);
        for (function_name, (function, _)) in &self.functions {
            template.add_func(function_name, *function);
        }
        template.parse(text).map_err(|error| TemplateFailure {
            line: parse_error_line(&error),
            message: clean_message(&error.to_string()),
        })?;
        template
            .render(&Context::empty())
            .map_err(|error| failure_with_line(text, &error.to_string()))
    }
}

fn parse_error_line(error: &gtmpl::error::ParseError) -> Option<usize> {
    match error {
        gtmpl::error::ParseError::WithContext(context, _) => Some(context.line),
        _ => None,
    }
}

/// gtmpl prefixes messages with internal context that means nothing to a user.
fn clean_message(message: &str) -> String {
    message
        .trim_start_matches("template: ")
        .trim_start_matches("unable to render: ")
        .to_owned()
}

/// gtmpl's execution errors carry no line. The failing action is almost always a `must_env`
/// of an unset variable, whose name the message contains: find the first line that mentions it.
fn failure_with_line(text: &str, message: &str) -> TemplateFailure {
    let message = innermost_message(message);
    let line = quoted_variable(&message).and_then(|variable| {
        text.lines()
            .position(|line| line.contains("{{") && line.contains(variable.as_str()))
            .map(|index| index + 1)
    });
    TemplateFailure { line, message }
}

/// gtmpl nests errors as "... : inner"; the innermost part is ours.
fn innermost_message(message: &str) -> String {
    for marker in ["environment variable ", "json_escape"] {
        if let Some(index) = message.find(marker) {
            return message[index..].to_owned();
        }
    }
    clean_message(message)
}

fn quoted_variable(message: &str) -> Option<String> {
    let rest = message.strip_prefix("environment variable ")?;
    Some(rest.split_whitespace().next()?.to_owned())
}

fn string_argument(function: &str, value: &Value) -> Result<String, FuncError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::NoValue | Value::Nil => Ok(String::new()),
        other => Err(FuncError::Generic(format!(
            "{function}: expected a string argument, got {other}"
        ))),
    }
}

/// `env "A" ["B" ...] "default"`: the first of the named variables that is set and non-empty,
/// else the last argument as it is. With one argument and the variable unset: empty string.
fn env(arguments: &[Value]) -> Result<Value, FuncError> {
    if arguments.is_empty() {
        return Err(FuncError::AtLeastXArgs("env".to_owned(), 1));
    }
    let names: Vec<String> = arguments
        .iter()
        .map(|argument| string_argument("env", argument))
        .collect::<Result<_, _>>()?;
    let (candidates, default) = if names.len() == 1 {
        (&names[..], String::new())
    } else {
        (&names[..names.len() - 1], names[names.len() - 1].clone())
    };
    let found = candidates
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|value| !value.is_empty()));
    Ok(Value::String(found.unwrap_or(default)))
}

/// `must_env "A"`: the variable's value (empty allowed); unset is an error.
fn must_env(arguments: &[Value]) -> Result<Value, FuncError> {
    if arguments.len() != 1 {
        return Err(FuncError::ExactlyXArgs("must_env".to_owned(), 1));
    }
    let name = string_argument("must_env", &arguments[0])?;
    match std::env::var(&name) {
        Ok(value) => Ok(Value::String(value)),
        Err(_) => Err(FuncError::Generic(format!(
            "environment variable {name} is not defined"
        ))),
    }
}

/// `json_escape`: the value escaped for use inside a JSON string literal (without the quotes).
fn json_escape(arguments: &[Value]) -> Result<Value, FuncError> {
    if arguments.len() != 1 {
        return Err(FuncError::ExactlyXArgs("json_escape".to_owned(), 1));
    }
    let text = string_argument("json_escape", &arguments[0])?;
    let quoted = serde_json::to_string(&text).expect("a string always serializes");
    Ok(Value::String(quoted[1..quoted.len() - 1].to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> Result<String, TemplateFailure> {
        TemplateFunctions::default().render("test.json", text)
    }

    #[test]
    fn text_without_actions_is_untouched() {
        assert_eq!(render("{\"a\": \"b\"}").unwrap(), "{\"a\": \"b\"}");
    }

    #[test]
    fn must_env_with_back_quotes_and_double_quotes() {
        // SAFETY: tests in this module use variable names no other test touches.
        unsafe { std::env::set_var("RISTRETTO_TEMPLATE_TEST_TAG", "v1") };
        assert_eq!(
            render("nginx:{{ must_env `RISTRETTO_TEMPLATE_TEST_TAG` }}").unwrap(),
            "nginx:v1"
        );
        assert_eq!(
            render("nginx:{{ must_env \"RISTRETTO_TEMPLATE_TEST_TAG\" }}").unwrap(),
            "nginx:v1"
        );
    }

    #[test]
    fn must_env_unset_fails_with_its_line() {
        let failure =
            render("{\n  \"image\": \"{{ must_env `RISTRETTO_TEMPLATE_TEST_UNSET` }}\"\n}")
                .unwrap_err();
        assert_eq!(failure.line, Some(2));
        assert_eq!(
            failure.message,
            "environment variable RISTRETTO_TEMPLATE_TEST_UNSET is not defined"
        );
    }

    #[test]
    fn env_falls_back_to_the_last_argument() {
        assert_eq!(
            render("{{ env `RISTRETTO_TEMPLATE_TEST_NOPE` `latest` }}").unwrap(),
            "latest"
        );
        assert_eq!(
            render("{{ env `RISTRETTO_TEMPLATE_TEST_NOPE` }}").unwrap(),
            ""
        );
    }

    #[test]
    fn env_piped_into_json_escape_keeps_quotes_inside_a_json_string() {
        // SAFETY: a variable name no other test touches.
        unsafe { std::env::set_var("RISTRETTO_TEMPLATE_TEST_JSON", "{\"foo\":\"bar\"}") };
        let rendered =
            render("{\"value\": \"{{ env `RISTRETTO_TEMPLATE_TEST_JSON` | json_escape }}\"}")
                .unwrap();
        let parsed: serde_json::Value = serde_json::from_str(&rendered).unwrap();
        assert_eq!(parsed["value"], "{\"foo\":\"bar\"}");
    }

    #[test]
    fn unknown_function_is_a_parse_error() {
        let failure = render("a\n{{ nope `X` }}").unwrap_err();
        assert!(failure.message.contains("nope"), "{failure:?}");
    }

    #[test]
    fn duplicate_plugin_function_is_refused_with_ecspressos_wording() {
        let mut functions = TemplateFunctions::default();
        functions
            .register_plugin_function("tfstate", "tfstate", env as Func)
            .unwrap();
        let error = functions
            .register_plugin_function("tfstate", "tfstate", env as Func)
            .unwrap_err();
        assert!(
            error
                .to_string()
                .ends_with("already exists. set func_prefix to tfstate plugin")
        );
        functions
            .register_plugin_function("ssm", "tfstate", env as Func)
            .expect("ssm duplicates are skipped");
    }
}
