//! Turns a config or definition file into a JSON document (ARCHITECTURE.md §3):
//!
//! - `.jsonnet`: evaluated with jrsonnet, then the resulting JSON text goes through the
//!   template functions (ecspresso renders `{{ }}` inside Jsonnet strings too), then is parsed;
//! - `.json`: template, then JSON (a config `.json` is evaluated as Jsonnet first, as ecspresso
//!   does: plain JSON is valid Jsonnet);
//! - `.yml` / `.yaml`: template, then YAML.
//!
//! This module knows file formats, not what the documents mean: no config keys, no ECS fields.

pub(crate) mod jsonnet;
pub(crate) mod lookups;
pub(crate) mod plugins;
pub(crate) mod template;

use std::cell::OnceCell;
use std::path::{Path, PathBuf};

use serde_json::Value;

pub(crate) use jsonnet::{JsonnetEvaluator, JsonnetFailure, JsonnetOptions, NativeFunction};
pub(crate) use template::{DuplicateFunction, TemplateFunctions};

/// How a file is read, decided by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SourceFormat {
    Jsonnet,
    Json,
    Yaml,
}

impl SourceFormat {
    pub(crate) fn of(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()? {
            "jsonnet" | "libsonnet" => Some(Self::Jsonnet),
            "json" => Some(Self::Json),
            "yml" | "yaml" => Some(Self::Yaml),
            _ => None,
        }
    }
}

/// Whether `.json` files are evaluated as Jsonnet before templating (configs: yes, as in
/// ecspresso; definitions: no, so that a JSON syntax error points at the file's own line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonHandling {
    AsJsonnet,
    AsJson,
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot read {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: unsupported file extension (expected .jsonnet, .json, .yml or .yaml)", path.display())]
    UnsupportedExtension { path: PathBuf },
    #[error("{}: Jsonnet evaluation failed: {trace}", path.display())]
    Jsonnet { path: PathBuf, trace: String },
    #[error("{}{}: template error: {message}", path.display(), line.map(|line| format!(":{line}")).unwrap_or_default())]
    Template {
        path: PathBuf,
        line: Option<usize>,
        message: String,
    },
    #[error("{}:{line}:{column}: invalid JSON: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}{}: invalid YAML: {message}", path.display(), location.map(|(line, column)| format!(":{line}:{column}")).unwrap_or_default())]
    Yaml {
        path: PathBuf,
        location: Option<(usize, usize)>,
        message: String,
    },
    #[error(transparent)]
    DuplicateFunction(#[from] DuplicateFunction),
}

impl RenderError {
    pub fn hint(&self) -> Option<String> {
        match self {
            RenderError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                Some("paths in the config are relative to the config file's directory".into())
            }
            RenderError::Template { message, .. } | RenderError::Jsonnet { trace: message, .. }
                if message.contains("environment variable") =>
            {
                let variable = message
                    .split("environment variable ")
                    .nth(1)
                    .and_then(|rest| rest.split_whitespace().next())
                    .unwrap_or("it");
                Some(format!(
                    "set {variable} in the environment or in a file given with --envfile"
                ))
            }
            RenderError::Jsonnet { trace, .. } if trace.contains("external variable") => Some(
                "pass external variables with --ext-str KEY=VALUE or --ext-code KEY=CODE".into(),
            ),
            RenderError::Template { message, .. } | RenderError::Jsonnet { trace: message, .. }
                if message.contains("external plugin ") =>
            {
                Some(
                    "run the command by hand from the working directory to see all it prints; \
                     the plugin's timeout, parser and num_args are in its config"
                        .into(),
                )
            }
            RenderError::Template { message, .. } | RenderError::Jsonnet { trace: message, .. }
                if message.contains("cfn_output ") || message.contains("cfn_export ") =>
            {
                Some(
                    "lookups use the run's account and region (--region, the config's region, \
                     AWS_REGION): check that the stack or export is there"
                        .into(),
                )
            }
            RenderError::DuplicateFunction(_) => {
                Some("give each plugin of the same kind its own func_prefix".into())
            }
            _ => None,
        }
    }
}

/// Renders files with one shared Jsonnet evaluator (made on first use, so YAML-only runs never
/// pay for it) and one template function table.
pub struct Renderer {
    options: JsonnetOptions,
    evaluator: OnceCell<Result<JsonnetEvaluator, JsonnetFailure>>,
    functions: TemplateFunctions,
}

impl Renderer {
    pub fn new(options: JsonnetOptions, functions: TemplateFunctions) -> Self {
        Self {
            options,
            evaluator: OnceCell::new(),
            functions,
        }
    }

    pub fn functions(&self) -> &TemplateFunctions {
        &self.functions
    }

    pub fn jsonnet_options(&self) -> &JsonnetOptions {
        &self.options
    }

    /// A renderer with the same Jsonnet settings and another function table (the definitions
    /// get the plugin functions; the config itself does not, as in ecspresso v2).
    pub fn with_functions(self, functions: TemplateFunctions) -> Self {
        Self { functions, ..self }
    }

    /// A renderer for the definitions: the plugin template functions, and the plugins' Jsonnet
    /// native functions (which need a fresh evaluator, as natives are set up with it).
    pub fn with_plugins(self, functions: TemplateFunctions, natives: Vec<NativeFunction>) -> Self {
        if natives.is_empty() {
            return self.with_functions(functions);
        }
        let mut options = self.options;
        options.natives = natives;
        Self::new(options, functions)
    }

    pub fn render_file(&self, path: &Path, json: JsonHandling) -> Result<Value, RenderError> {
        let format = SourceFormat::of(path).ok_or_else(|| RenderError::UnsupportedExtension {
            path: path.to_path_buf(),
        })?;
        match (format, json) {
            (SourceFormat::Jsonnet, _) | (SourceFormat::Json, JsonHandling::AsJsonnet) => {
                let evaluated = self.evaluate_jsonnet(path)?;
                if !contains_template_action(&evaluated) {
                    return Ok(evaluated);
                }
                // Render the templates over the evaluated JSON text, then parse again.
                let text = serde_json::to_string_pretty(&evaluated)
                    .expect("a JSON value always serializes");
                let rendered = self.template(path, &text)?;
                parse_json(path, &rendered)
            }
            (SourceFormat::Json, JsonHandling::AsJson) => {
                let text = read(path)?;
                let rendered = self.template(path, &text)?;
                parse_json(path, &rendered)
            }
            (SourceFormat::Yaml, _) => {
                let text = read(path)?;
                let rendered = self.template(path, &text)?;
                parse_yaml(path, &rendered)
            }
        }
    }

    fn evaluate_jsonnet(&self, path: &Path) -> Result<Value, RenderError> {
        if !path.exists() {
            // jrsonnet reports a missing root file without the path; say it ourselves.
            return Err(RenderError::Read {
                path: path.to_path_buf(),
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        let evaluator = self
            .evaluator
            .get_or_init(|| JsonnetEvaluator::new(&self.options))
            .as_ref()
            .map_err(|failure| RenderError::Jsonnet {
                path: path.to_path_buf(),
                trace: failure.trace.clone(),
            })?;
        evaluator
            .evaluate_file(path)
            .map_err(|failure| RenderError::Jsonnet {
                path: path.to_path_buf(),
                trace: failure.trace,
            })
    }

    fn template(&self, path: &Path, text: &str) -> Result<String, RenderError> {
        let name = path.display().to_string();
        self.functions
            .render(&name, text)
            .map_err(|failure| RenderError::Template {
                path: path.to_path_buf(),
                line: failure.line,
                message: failure.message,
            })
    }
}

fn read(path: &Path) -> Result<String, RenderError> {
    std::fs::read_to_string(path).map_err(|source| RenderError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn contains_template_action(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains("{{"),
        Value::Array(items) => items.iter().any(contains_template_action),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains("{{") || contains_template_action(value)),
        _ => false,
    }
}

pub(crate) fn parse_json(path: &Path, text: &str) -> Result<Value, RenderError> {
    serde_json::from_str(text).map_err(|error| RenderError::Json {
        path: path.to_path_buf(),
        line: error.line(),
        column: error.column(),
        message: strip_serde_position(&error.to_string()),
    })
}

/// serde_json appends " at line L column C"; the error already shows them as path:L:C.
fn strip_serde_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

pub(crate) fn parse_yaml(path: &Path, text: &str) -> Result<Value, RenderError> {
    // YAML 1.2 booleans only: `on`/`yes` stay strings, as in ecspresso's YAML library.
    let options = serde_saphyr::options! { strict_booleans: true };
    let value: Value = serde_saphyr::from_str_with_options(text, options).map_err(|error| {
        let location = error
            .location()
            .map(|location| (location.line() as usize, location.column() as usize));
        RenderError::Yaml {
            path: path.to_path_buf(),
            location,
            message: first_line(&error.to_string()),
        }
    })?;
    // An empty YAML file is an empty document, not `null`.
    Ok(if value.is_null() {
        Value::Object(Default::default())
    } else {
        value
    })
}

/// serde-saphyr's message may carry a source snippet after the first line; the error
/// already names file, line and column.
fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or(message).trim();
    let line = line.strip_prefix("error: ").unwrap_or(line);
    // "line 2 column 10: unclosed bracket" — the location is already in path:line:column.
    match line
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
    {
        Some((location, rest)) if location.contains(" column ") => rest.to_owned(),
        _ => line.to_owned(),
    }
}
