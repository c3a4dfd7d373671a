//! ecspresso's default plugin functions, available in every definition: `ssm` (a Parameter
//! Store value; `StringList` needs an index) and `secretsmanager_arn` (a secret's full ARN), as
//! template functions and as Jsonnet natives (`std.native('ssm')(name)`,
//! `std.native('ssm_list')(name, index)`, `std.native('secretsmanager_arn')(id)`).
//!
//! Each distinct lookup is made once per run and cached (a definition may name the same
//! parameter many times). Rendering is synchronous and single-threaded, so the AWS settings and
//! the cache are per thread, and each lookup runs on a small current-thread runtime.

use std::cell::RefCell;
use std::collections::HashMap;

use gtmpl_value::{FuncError, Value as TemplateValue};

use crate::aws::sdk::AwsSettings;
use crate::aws::ssm::Secrets;

/// A lookup's answer: (parameter type, value), or the error message.
type Answer = Result<(String, String), String>;

thread_local! {
    static SETTINGS: RefCell<Option<AwsSettings>> = const { RefCell::new(None) };
    static CACHE: RefCell<HashMap<String, Answer>> = RefCell::new(HashMap::new());
}

/// Where lookups go (the project's region, profile and role); clears the cache.
pub(crate) fn install(settings: AwsSettings) {
    SETTINGS.with(|current| *current.borrow_mut() = Some(settings));
    CACHE.with(|cache| cache.borrow_mut().clear());
}

fn cached(
    key: String,
    lookup: impl FnOnce(&AwsSettings) -> Result<(String, String), String>,
) -> Result<(String, String), String> {
    if let Some(hit) = CACHE.with(|cache| cache.borrow().get(&key).cloned()) {
        return hit;
    }
    let settings = SETTINGS
        .with(|current| current.borrow().clone())
        .ok_or_else(|| "AWS lookups are not available here (only in definitions)".to_owned())?;
    let result = lookup(&settings);
    CACHE.with(|cache| cache.borrow_mut().insert(key, result.clone()));
    result
}

fn block_on<T>(
    settings: &AwsSettings,
    work: impl AsyncFnOnce(Secrets) -> Result<T, crate::aws::AwsError>,
) -> Result<T, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| format!("cannot start the async runtime: {error}"))?;
    runtime.block_on(async {
        let config = crate::aws::sdk::load(settings).await;
        work(Secrets::new(&config))
            .await
            .map_err(|error| match error {
                crate::aws::AwsError::Api { code, message, .. } => format!("{code}: {message}"),
                other => other.to_string(),
            })
    })
}

/// A parameter's value; for a `StringList`, the element at `index` (required there).
pub(crate) fn parameter(name: &str, index: Option<usize>) -> Result<String, String> {
    let (kind, value) = cached(format!("ssm:{name}"), |settings| {
        block_on(settings, async |secrets| secrets.parameter(name).await)
    })
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
    cached(format!("secretsmanager:{id}"), |settings| {
        block_on(settings, async |secrets| secrets.secret_arn(id).await)
            .map(|arn| (String::new(), arn))
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
