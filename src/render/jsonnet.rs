//! Jsonnet evaluation with jrsonnet: external variables, top-level arguments, library paths and
//! the native functions of ARCHITECTURE.md §3 (`std.native('env')`, `std.native('must_env')`,
//! the default `ssm`/`secretsmanager_arn` lookups, and each plugin's [`NativeFunction`]s).
//!
//! One evaluator is shared by every file of a run, so the standard library is set up once.
//! jrsonnet's values are not `Send`: an evaluator lives on the thread that made it, and only
//! plain `serde_json::Value`s leave this module. It must not know what the documents mean.

use std::path::{Path, PathBuf};
use std::rc::Rc;

use jrsonnet_evaluator::{
    FileImportResolver, IStr, State, Thunk, Val, apply_tla, bail,
    function::builtin::Builtin,
    function::{CallLocation, FunctionSignature, ParamDefault, ParamName, ParamParse, builtin},
    manifest::JsonFormat,
    rustc_hash::FxHashMap,
    tla::TlaArg,
    trace::{CompactFormat, PathResolver, TraceFormat},
};
use jrsonnet_stdlib::ContextInitializer;
use serde_json::Value;

/// Everything the command line and the config say about Jsonnet evaluation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonnetOptions {
    pub ext_str: Vec<(String, String)>,
    pub ext_code: Vec<(String, String)>,
    pub tla_str: Vec<(String, String)>,
    pub tla_code: Vec<(String, String)>,
    /// Library search path, in order.
    pub library_paths: Vec<PathBuf>,
    /// `--env`: given to every evaluated file that is a function with an `env` parameter (as
    /// the top-level argument `env`), besides `std.extVar('env')`.
    pub environment: Option<String>,
    /// The plugins' native functions (`render::plugins`), under their `func_prefix`.
    pub natives: Vec<NativeFunction>,
}

/// What a plugin's native function does: JSON arguments in, a JSON value or a one-line error
/// out (the evaluator adds the file, line and column of the call).
pub(crate) type NativeCall = Rc<dyn Fn(&[Value]) -> Result<Value, String>>;

/// A native function a plugin provides: `std.native('<name>')(<parameters>…)`.
#[derive(Clone)]
pub struct NativeFunction {
    pub name: String,
    pub parameters: Vec<String>,
    pub call: NativeCall,
}

impl std::fmt::Debug for NativeFunction {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}({})", self.name, self.parameters.join(", "))
    }
}

/// The same function: same name and parameters, and the same code behind them.
impl PartialEq for NativeFunction {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.parameters == other.parameters
            && Rc::ptr_eq(&self.call, &other.call)
    }
}

impl Eq for NativeFunction {}

/// A Jsonnet evaluation failed. `trace` is jrsonnet's message with file:line:column frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct JsonnetFailure {
    pub trace: String,
}

pub(crate) struct JsonnetEvaluator {
    state: State,
    /// `--tla-str`/`--tla-code`, plus `env` from `--env`.
    top_level_arguments: FxHashMap<IStr, TlaArg>,
}

impl JsonnetEvaluator {
    /// Sets up the standard library, external variables and native functions. Fails only when
    /// an `--ext-code` value does not parse.
    // jrsonnet's interned strings are map keys by design (their hash never changes).
    #[allow(clippy::mutable_key_type)]
    pub(crate) fn new(options: &JsonnetOptions) -> Result<Self, JsonnetFailure> {
        let context = ContextInitializer::new(PathResolver::new_cwd_fallback());
        for (name, value) in &options.ext_str {
            context.add_ext_str(name.as_str().into(), value.as_str().into());
        }
        for (name, code) in &options.ext_code {
            context
                .add_ext_code(name, code)
                .map_err(|error| JsonnetFailure {
                    trace: format!("--ext-code {name}: {}", error.error()),
                })?;
        }
        context.add_native("env", env {});
        context.add_native("must_env", must_env {});
        context.add_native("ssm", ssm {});
        context.add_native("ssm_list", ssm_list {});
        context.add_native("secretsmanager_arn", secretsmanager_arn {});
        for native in &options.natives {
            context.add_native(native.name.as_str(), PluginNative::new(native));
        }

        let mut builder = State::builder();
        builder
            .import_resolver(FileImportResolver::new(options.library_paths.clone()))
            .context_initializer(context);
        let state = builder.build();

        let mut top_level_arguments = FxHashMap::default();
        for (name, value) in &options.tla_str {
            top_level_arguments.insert(
                IStr::from(name.as_str()),
                TlaArg::String(value.as_str().into()),
            );
        }
        for (name, code) in &options.tla_code {
            top_level_arguments.insert(IStr::from(name.as_str()), TlaArg::InlineCode(code.clone()));
        }
        if let Some(environment) = &options.environment {
            top_level_arguments
                .entry(IStr::from("env"))
                .or_insert_with(|| TlaArg::String(environment.as_str().into()));
        }
        Ok(Self {
            state,
            top_level_arguments,
        })
    }

    /// Evaluates a file (imports resolve relative to the importing file, then the library
    /// path); a file that evaluates to a function is called with the top-level arguments it
    /// declares.
    #[allow(clippy::mutable_key_type)] // IStr keys, see `new`
    pub(crate) fn evaluate_file(&self, path: &Path) -> Result<Value, JsonnetFailure> {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let _entered = self.state.enter();
        let manifested = self
            .state
            .import(absolute.as_path())
            .and_then(|value| {
                // A project has many files and each function declares the arguments it uses:
                // every file gets those of the top-level arguments it declares, so that
                // `--tla-str tag=v1` reaches the task definitions without breaking the service
                // definitions that do not take a tag.
                let arguments: FxHashMap<IStr, TlaArg> = match &value {
                    Val::Func(function) => {
                        let parameters = function.params();
                        self.top_level_arguments
                            .iter()
                            .filter(|(name, _)| {
                                parameters.iter().any(|parameter| {
                                    parameter.name().as_str() == Some(name.as_str())
                                })
                            })
                            .map(|(name, argument)| (name.clone(), argument.clone()))
                            .collect()
                    }
                    _ => FxHashMap::default(),
                };
                apply_tla(&arguments, value)
            })
            .and_then(|value| value.manifest(JsonFormat::minify()))
            .map_err(|error| JsonnetFailure {
                trace: format_trace(&error),
            })?;
        serde_json::from_str(&manifested).map_err(|error| JsonnetFailure {
            trace: format!("the evaluated document is not valid JSON: {error}"),
        })
    }
}

fn format_trace(error: &jrsonnet_evaluator::Error) -> String {
    let format = CompactFormat {
        resolver: PathResolver::new_cwd_fallback(),
        padding: 4,
        max_trace: 20,
    };
    let mut out = String::new();
    if format.write_trace(&mut out, error).is_err() {
        out = error.error().to_string();
    }
    out
}

/// `std.native('env')(name, default)`: the variable's value, or `default` when it is unset.
#[builtin]
fn env(name: IStr, default: IStr) -> jrsonnet_evaluator::Result<String> {
    Ok(std::env::var(name.as_str()).unwrap_or_else(|_| default.to_string()))
}

/// A plugin's native function as jrsonnet calls it: the arguments are evaluated and handed over
/// as JSON, the answer comes back as a Jsonnet value (objects too, so `std.objectValues` works
/// on a tfstate `for_each` resource).
#[derive(jrsonnet_gcmodule::Trace)]
struct PluginNative {
    #[trace(skip)]
    name: String,
    signature: FunctionSignature,
    #[trace(skip)]
    call: NativeCall,
}

impl PluginNative {
    fn new(native: &NativeFunction) -> Self {
        let parameters: Vec<ParamParse> = native
            .parameters
            .iter()
            .map(|name| ParamParse::new(ParamName::Named(name.as_str().into()), ParamDefault::None))
            .collect();
        Self {
            name: native.name.clone(),
            signature: FunctionSignature::new(parameters.into()),
            call: Rc::clone(&native.call),
        }
    }
}

impl Builtin for PluginNative {
    fn name(&self) -> &str {
        &self.name
    }

    fn params(&self) -> FunctionSignature {
        self.signature.clone()
    }

    fn call(
        &self,
        _location: CallLocation<'_>,
        arguments: &[Option<Thunk<Val>>],
    ) -> jrsonnet_evaluator::Result<Val> {
        let mut values = Vec::with_capacity(arguments.len());
        for argument in arguments {
            // Every parameter is required, so jrsonnet hands over a value for each.
            let Some(argument) = argument else {
                bail!("{}: an argument is missing", self.name);
            };
            match serde_json::to_value(argument.evaluate()?) {
                Ok(value) => values.push(value),
                Err(error) => bail!("{}: an argument is not plain data: {error}", self.name),
            }
        }
        let answer = match (self.call)(&values) {
            Ok(answer) => answer,
            Err(message) => bail!("{message}"),
        };
        match serde_json::from_value::<Val>(answer) {
            Ok(value) => Ok(value),
            Err(error) => bail!("{}: {error}", self.name),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// `std.native('ssm')(name)`: a Parameter Store value (cached per run).
#[builtin]
fn ssm(name: IStr) -> jrsonnet_evaluator::Result<String> {
    super::lookups::parameter(name.as_str(), None).or_else(|message| bail!("{message}"))
}

/// `std.native('ssm_list')(name, index)`: an element of a `StringList` parameter.
#[builtin]
fn ssm_list(name: IStr, index: usize) -> jrsonnet_evaluator::Result<String> {
    super::lookups::parameter(name.as_str(), Some(index)).or_else(|message| bail!("{message}"))
}

/// `std.native('secretsmanager_arn')(id)`: a secret's full ARN (cached per run).
#[builtin]
fn secretsmanager_arn(id: IStr) -> jrsonnet_evaluator::Result<String> {
    super::lookups::secret_arn(id.as_str()).or_else(|message| bail!("{message}"))
}

/// `std.native('must_env')(name)`: the variable's value; unset is an error.
#[builtin]
fn must_env(name: IStr) -> jrsonnet_evaluator::Result<String> {
    match std::env::var(name.as_str()) {
        Ok(value) => Ok(value),
        Err(_) => bail!("environment variable {name} is not defined"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_reaches_functions_that_take_it_and_only_those() {
        let dir = tempfile::tempdir().unwrap();
        let takes = write(
            dir.path(),
            "takes.jsonnet",
            "function(env, tag='x') { env: env, tag: tag }",
        );
        let ignores = write(
            dir.path(),
            "ignores.jsonnet",
            "function(tag='x') { tag: tag }",
        );
        let plain = write(dir.path(), "plain.jsonnet", "{ env: std.extVar('env') }");
        let evaluator = JsonnetEvaluator::new(&JsonnetOptions {
            ext_str: vec![("env".into(), "prod".into())],
            tla_str: vec![("tag".into(), "v1".into())],
            environment: Some("prod".into()),
            ..JsonnetOptions::default()
        })
        .unwrap();
        assert_eq!(
            evaluator.evaluate_file(&takes).unwrap(),
            serde_json::json!({"env": "prod", "tag": "v1"})
        );
        assert_eq!(
            evaluator.evaluate_file(&ignores).unwrap(),
            serde_json::json!({"tag": "v1"})
        );
        assert_eq!(
            evaluator.evaluate_file(&plain).unwrap(),
            serde_json::json!({"env": "prod"})
        );
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn ext_vars_tlas_library_paths_and_relative_imports() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "lib/util.libsonnet", "{ name(x): 'lib-' + x }");
        write(dir.path(), "parts/port.libsonnet", "{ port: 80 }");
        let main = write(
            dir.path(),
            "main.jsonnet",
            "local util = import 'util.libsonnet';\n\
             local port = import 'parts/port.libsonnet';\n\
             function(tag, replicas) { env: std.extVar('env'), n: std.extVar('n'),\n\
               name: util.name(tag), replicas: replicas, port: port.port }",
        );
        let evaluator = JsonnetEvaluator::new(&JsonnetOptions {
            ext_str: vec![("env".into(), "prod".into())],
            ext_code: vec![("n".into(), "24 + 1".into())],
            tla_str: vec![("tag".into(), "v2".into())],
            tla_code: vec![("replicas".into(), "3".into())],
            library_paths: vec![dir.path().join("lib")],
            environment: None,
            natives: Vec::new(),
        })
        .unwrap();
        let value = evaluator.evaluate_file(&main).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"env": "prod", "n": 25, "name": "lib-v2", "replicas": 3, "port": 80})
        );
    }

    #[test]
    fn native_functions() {
        let dir = tempfile::tempdir().unwrap();
        // SAFETY: a variable name no other test touches.
        unsafe { std::env::set_var("RISTRETTO_JSONNET_TEST_SET", "yes") };
        let main = write(
            dir.path(),
            "n.jsonnet",
            "{ a: std.native('must_env')('RISTRETTO_JSONNET_TEST_SET'),\n\
               b: std.native('env')('RISTRETTO_JSONNET_TEST_UNSET', 'fallback') }",
        );
        let evaluator = JsonnetEvaluator::new(&JsonnetOptions::default()).unwrap();
        assert_eq!(
            evaluator.evaluate_file(&main).unwrap(),
            serde_json::json!({"a": "yes", "b": "fallback"})
        );
    }

    #[test]
    fn errors_carry_file_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let main = write(
            dir.path(),
            "bad.jsonnet",
            "{\n  a: std.native('must_env')('RISTRETTO_JSONNET_TEST_NEVER_SET'),\n}",
        );
        let evaluator = JsonnetEvaluator::new(&JsonnetOptions::default()).unwrap();
        let failure = evaluator.evaluate_file(&main).unwrap_err();
        assert!(
            failure
                .trace
                .contains("environment variable RISTRETTO_JSONNET_TEST_NEVER_SET is not defined"),
            "{}",
            failure.trace
        );
        assert!(
            failure.trace.contains("bad.jsonnet:2:"),
            "{}",
            failure.trace
        );

        let syntax = write(dir.path(), "syntax.jsonnet", "{\n  b: [1, 2,\n};");
        let failure = evaluator.evaluate_file(&syntax).unwrap_err();
        assert!(
            failure.trace.contains("syntax.jsonnet:3:1"),
            "{}",
            failure.trace
        );
    }
}
