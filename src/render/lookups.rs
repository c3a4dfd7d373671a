//! ecspresso's default plugin functions, available in every definition: `ssm` (a Parameter
//! Store value; `StringList` needs an index) and `secretsmanager_arn` (a secret's full ARN), as
//! template functions and as Jsonnet natives (`std.native('ssm')(name)`,
//! `std.native('ssm_list')(name, index)`, `std.native('secretsmanager_arn')(id)`).
//!
//! Each distinct lookup is made once per run and cached (a definition may name the same
//! parameter many times). Rendering is synchronous, so the lookups go through a
//! [`LookupBackend`]: the AWS adapter's runs each call on the command's one runtime
//! (`aws::lookups`), tests install a fake. The backend and the cache belong to the thread that
//! renders (the command's thread), installed by [`install`] when the session starts.
//!
//! Must not: start a runtime, or block on one (ARCHITECTURE.md §2).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gtmpl_value::{FuncError, Value as TemplateValue};

/// What rendering may ask of AWS. Errors are one line for the template error that quotes them.
pub(crate) trait LookupBackend {
    /// A Parameter Store parameter, decrypted: (its type, its value).
    fn parameter(&self, name: &str) -> Result<(String, String), String>;
    /// A Secrets Manager secret's full ARN.
    fn secret_arn(&self, id: &str) -> Result<String, String>;
    /// An S3 object's bytes (a tfstate plugin's `s3://` state).
    fn s3_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, String>;
}

/// A lookup's answer: (parameter type, value), or the error message.
type Answer = Result<(String, String), String>;

thread_local! {
    static BACKEND: RefCell<Option<Rc<dyn LookupBackend>>> = const { RefCell::new(None) };
    static CACHE: RefCell<HashMap<String, Answer>> = RefCell::new(HashMap::new());
}

/// Where this thread's lookups go from now on; clears the cache.
pub(crate) fn install(backend: Rc<dyn LookupBackend>) {
    BACKEND.with(|current| *current.borrow_mut() = Some(backend));
    CACHE.with(|cache| cache.borrow_mut().clear());
}

fn backend() -> Result<Rc<dyn LookupBackend>, String> {
    BACKEND
        .with(|current| current.borrow().clone())
        .ok_or_else(|| "AWS lookups are not available here (only in definitions)".to_owned())
}

fn cached(
    key: String,
    lookup: impl FnOnce(&dyn LookupBackend) -> Result<(String, String), String>,
) -> Result<(String, String), String> {
    if let Some(hit) = CACHE.with(|cache| cache.borrow().get(&key).cloned()) {
        return hit;
    }
    let result = lookup(backend()?.as_ref());
    CACHE.with(|cache| cache.borrow_mut().insert(key, result.clone()));
    result
}

/// An S3 object, for a tfstate plugin's state (the plugin caches the parsed state itself).
pub(crate) fn s3_object(bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    backend()?.s3_object(bucket, key)
}

/// A parameter's value; for a `StringList`, the element at `index` (required there).
pub(crate) fn parameter(name: &str, index: Option<usize>) -> Result<String, String> {
    let (kind, value) = cached(format!("ssm:{name}"), |backend| backend.parameter(name))
        .map_err(|error| format!("ssm {name}: {error}"))?;
    match (kind.as_str(), index) {
        ("StringList", Some(index)) => value
            .split(',')
            .nth(index)
            .map(str::to_owned)
            .ok_or_else(|| format!("ssm {name}: index {index} is out of range of the StringList")),
        ("StringList", None) => Err(format!(
            "ssm {name} is a StringList: give the index of the element, e.g. {{{{ ssm `{name}` 0 }}}}"
        )),
        (_, Some(_)) => Err(format!(
            "ssm {name} is a {kind}, not a StringList: drop the index"
        )),
        (_, None) => Ok(value),
    }
}

/// A secret's full ARN.
pub(crate) fn secret_arn(id: &str) -> Result<String, String> {
    cached(format!("secretsmanager:{id}"), |backend| {
        backend.secret_arn(id).map(|arn| (String::new(), arn))
    })
    .map(|(_, arn)| arn)
    .map_err(|error| format!("secretsmanager_arn {id}: {error}"))
}

fn text(function: &str, value: &TemplateValue) -> Result<String, FuncError> {
    match value {
        TemplateValue::String(text) => Ok(text.clone()),
        TemplateValue::Number(number) => Ok(number.to_string()),
        other => Err(FuncError::Generic(format!(
            "{function}: expected a string argument, got {other}"
        ))),
    }
}

/// `{{ ssm "/path" }}`, `{{ ssm "/list" 1 }}`.
pub(crate) fn ssm_template(arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
    let (name, index) = match arguments {
        [name] => (text("ssm", name)?, None),
        [name, index] => {
            let index = text("ssm", index)?
                .parse::<usize>()
                .map_err(|_| FuncError::Generic("ssm: the index must be a whole number".into()))?;
            (text("ssm", name)?, Some(index))
        }
        _ => return Err(FuncError::AtLeastXArgs("ssm".into(), 1)),
    };
    parameter(&name, index)
        .map(TemplateValue::String)
        .map_err(FuncError::Generic)
}

/// `{{ secretsmanager_arn "name" }}`.
pub(crate) fn secretsmanager_arn_template(
    arguments: &[TemplateValue],
) -> Result<TemplateValue, FuncError> {
    let [id] = arguments else {
        return Err(FuncError::ExactlyXArgs("secretsmanager_arn".into(), 1));
    };
    secret_arn(&text("secretsmanager_arn", id)?)
        .map(TemplateValue::String)
        .map_err(FuncError::Generic)
}
