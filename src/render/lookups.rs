//! The AWS lookups of rendering, each made once per run and cached (a definition may name the
//! same parameter many times): ecspresso's default plugin functions, available in every
//! definition — `ssm` (a Parameter Store value; `StringList` needs an index) and
//! `secretsmanager_arn` (a secret's full ARN), as template functions and as Jsonnet natives
//! (`std.native('ssm')(name)`, `std.native('ssm_list')(name, index)`,
//! `std.native('secretsmanager_arn')(id)`) — and what the plugins ask of AWS: a CloudFormation
//! stack's outputs and the account's exports (`plugins::cloudformation`), an S3 object (a
//! tfstate plugin's `s3://` state).
//!
//! Rendering is synchronous, so the lookups go through a [`LookupBackend`]: the AWS adapter's
//! runs each call on the command's one runtime (`aws::lookups`), tests install a fake. The
//! backend and the cache belong to the thread that renders (the command's thread), installed by
//! [`install`] when the session starts.
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
    /// A CloudFormation stack's outputs, (key, value) in the order the stack lists them.
    fn stack_outputs(&self, stack: &str) -> Result<Vec<(String, String)>, String>;
    /// Every CloudFormation export of the account in the region, (name, value), all pages.
    fn exports(&self) -> Result<Vec<(String, String)>, String>;
}

/// Named values: a stack's outputs, or the exports, in AWS's order.
pub(crate) type NamedValues = Rc<[(String, String)]>;

/// One cache per kind of answer, keyed by what was asked; errors are cached too, so a failing
/// lookup is not retried within the run.
type Cache<T> = RefCell<HashMap<String, Result<T, String>>>;

thread_local! {
    static BACKEND: RefCell<Option<Rc<dyn LookupBackend>>> = const { RefCell::new(None) };
    /// Parameters: (type, value).
    static PARAMETERS: Cache<(String, String)> = RefCell::new(HashMap::new());
    static SECRET_ARNS: Cache<String> = RefCell::new(HashMap::new());
    /// Stack outputs by stack name; the exports under the empty key.
    static NAMED_VALUES: Cache<NamedValues> = RefCell::new(HashMap::new());
}

/// Where this thread's lookups go from now on; clears the caches.
pub(crate) fn install(backend: Rc<dyn LookupBackend>) {
    BACKEND.with(|current| *current.borrow_mut() = Some(backend));
    PARAMETERS.with(|cache| cache.borrow_mut().clear());
    SECRET_ARNS.with(|cache| cache.borrow_mut().clear());
    NAMED_VALUES.with(|cache| cache.borrow_mut().clear());
}

fn backend() -> Result<Rc<dyn LookupBackend>, String> {
    BACKEND
        .with(|current| current.borrow().clone())
        .ok_or_else(|| "AWS lookups are not available here (only in definitions)".to_owned())
}

/// The answer for `key` from `cache`, else from `lookup` (then cached).
fn cached<T: Clone + 'static>(
    cache: &'static std::thread::LocalKey<Cache<T>>,
    key: &str,
    lookup: impl FnOnce(&dyn LookupBackend) -> Result<T, String>,
) -> Result<T, String> {
    if let Some(hit) = cache.with(|cache| cache.borrow().get(key).cloned()) {
        return hit;
    }
    let result = lookup(backend()?.as_ref());
    cache.with(|cache| cache.borrow_mut().insert(key.to_owned(), result.clone()));
    result
}

/// An S3 object, for a tfstate plugin's state (the plugin caches the parsed state itself).
pub(crate) fn s3_object(bucket: &str, key: &str) -> Result<Vec<u8>, String> {
    backend()?.s3_object(bucket, key)
}

/// A CloudFormation stack's outputs: one DescribeStacks per distinct stack per run.
pub(crate) fn stack_outputs(stack: &str) -> Result<NamedValues, String> {
    // A stack name is never empty, so the empty key stays free for the exports.
    cached(&NAMED_VALUES, stack, |backend| {
        backend.stack_outputs(stack).map(NamedValues::from)
    })
}

/// The account's CloudFormation exports in the region: listed once per run.
pub(crate) fn exports() -> Result<NamedValues, String> {
    cached(&NAMED_VALUES, "", |backend| {
        backend.exports().map(NamedValues::from)
    })
}

/// A parameter's value; for a `StringList`, the element at `index` (required there).
pub(crate) fn parameter(name: &str, index: Option<usize>) -> Result<String, String> {
    let (kind, value) = cached(&PARAMETERS, name, |backend| backend.parameter(name))
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
    cached(&SECRET_ARNS, id, |backend| backend.secret_arn(id))
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
