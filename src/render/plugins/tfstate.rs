//! The tfstate plugin: `{{ tfstate "ADDRESS" }}`, `{{ tfstatef "FORMAT" ARGS… }}` and
//! `std.native('tfstate')(address)` (any JSON value, so `std.objectValues` works on `for_each`
//! resources), under the plugin's `func_prefix`.
//!
//! Config: `path` (relative to the config file) or `url` (`s3://BUCKET/KEY`, `https://…`,
//! `file://…`; `remote://`, `gs://` and `azurerm://` are refused as not supported yet by
//! `tfstate::state`), and `optional`. Each state is read once per run: a required state before
//! the first definition is rendered (ecspresso fails when it cannot read one, whether or not a
//! definition uses it), an `optional: true` state on its first lookup — and when it cannot be
//! read, only the lookups in it fail. `render config` reads no state.
//!
//! gtmpl's template functions are plain `fn` pointers and carry no state, so the states live
//! in a per-thread table of slots: slot N holds one plugin's source, and the Nth pair of
//! functions reads it. Rendering happens on one thread (the Jsonnet evaluator is not `Send`
//! either), so per-thread is the right scope. Must not: read a state at setup.

use std::cell::RefCell;
use std::rc::Rc;

use gtmpl::Func;
use gtmpl_value::{FuncError, Value as TemplateValue};
use serde_json::Value;

use super::{Provided, config_object, kind_of, slot_functions, text_argument, text_parameter};
use crate::render::NativeFunction;
use crate::tfstate::{TerraformState, TfStateError};

/// Where one tfstate plugin's state is, and what has been read from it.
pub(crate) struct Source {
    /// The plugin's index in `plugins:`, for messages.
    index: usize,
    location: String,
    optional: bool,
    loaded: Option<Result<Rc<TerraformState>, TfStateError>>,
}

impl Source {
    /// `{path | url, optional}`; a relative `path` was resolved against the config's directory
    /// when the config was read.
    pub(crate) fn from_config(index: usize, config: &Value) -> Result<Self, String> {
        let map = config_object(config, &["path", "url", "optional"])?
            .ok_or("config: needs path (a state file) or url (s3://, https://, file://)")?;
        let text = |key: &str| match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) if !text.is_empty() => Ok(Some(text.clone())),
            Some(other) => Err(format!(
                "config.{key}: expected a non-empty string, found {}",
                kind_of(other)
            )),
        };
        let location = match (text("path")?, text("url")?) {
            (Some(path), None) => path,
            (None, Some(url)) => url,
            (Some(_), Some(_)) => return Err("config: give path or url, not both".into()),
            (None, None) => {
                return Err(
                    "config: needs path (a state file) or url (s3://, https://, file://)".into(),
                );
            }
        };
        let optional = match map.get("optional") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(other) => {
                return Err(format!(
                    "config.optional: expected true or false, found {}",
                    kind_of(other)
                ));
            }
        };
        Ok(Self {
            index,
            location,
            optional,
            loaded: None,
        })
    }
}

thread_local! {
    static SOURCES: RefCell<Vec<Source>> = const { RefCell::new(Vec::new()) };
}

/// Replaces this thread's state sources (one per tfstate plugin, in config order).
pub(crate) fn install(sources: Vec<Source>) {
    SOURCES.with(|slots| *slots.borrow_mut() = sources);
}

/// The functions of the plugin in `slot`.
pub(crate) fn provided(slot: usize) -> Result<Provided, String> {
    const LOOKUPS: [Func; super::MAX_PLUGINS_OF_A_KIND] = slot_functions!(lookup);
    const FORMATS: [Func; super::MAX_PLUGINS_OF_A_KIND] = slot_functions!(lookup_format);
    let (Some(lookup), Some(format)) = (LOOKUPS.get(slot), FORMATS.get(slot)) else {
        return Err(format!("tfstate plugin slot {slot} does not exist"));
    };
    Ok(Provided {
        template: vec![("tfstate".into(), *lookup), ("tfstatef".into(), *format)],
        natives: vec![NativeFunction {
            name: "tfstate".into(),
            parameters: vec!["address".into()],
            call: Rc::new(move |arguments: &[Value]| native_lookup(slot, arguments)),
        }],
    })
}

/// Reads every state that is not optional (each once per run); the first that cannot be read
/// is returned with its plugin's index.
pub(crate) fn read_required() -> Result<(), (usize, TfStateError)> {
    let required: Vec<(usize, usize)> = SOURCES.with(|slots| {
        slots
            .borrow()
            .iter()
            .enumerate()
            .filter(|(_, source)| !source.optional)
            .map(|(slot, source)| (slot, source.index))
            .collect()
    });
    for (slot, index) in required {
        load(slot).map_err(|error| (index, error))?;
    }
    Ok(())
}

/// The state in `slot`, read on first use (the answer, error included, is kept for the run).
fn load(slot: usize) -> Result<Rc<TerraformState>, TfStateError> {
    let location = SOURCES.with(|slots| {
        let slots = slots.borrow();
        match slots.get(slot) {
            Some(Source {
                loaded: Some(result),
                ..
            }) => Err(result.clone()),
            Some(source) => Ok(source.location.clone()),
            None => Err(Err(TfStateError::Read {
                location: String::new(),
                message: "the tfstate plugin is not set up".into(),
            })),
        }
    });
    let location = match location {
        Ok(location) => location,
        Err(done) => return done,
    };
    let fetcher = crate::render::lookups::s3_object;
    let result = TerraformState::load(&location, Some(&fetcher)).map(Rc::new);
    SOURCES.with(|slots| {
        if let Some(source) = slots.borrow_mut().get_mut(slot) {
            source.loaded = Some(result.clone());
        }
    });
    result
}

/// The state for a lookup, or the message the lookup fails with.
fn state(slot: usize) -> Result<Rc<TerraformState>, String> {
    load(slot).map_err(|error| {
        let optional = SOURCES.with(|slots| {
            slots
                .borrow()
                .get(slot)
                .is_some_and(|source| source.optional)
        });
        if optional {
            format!("{error} (an optional state: lookups in it fail)")
        } else {
            error.to_string()
        }
    })
}

fn lookup(slot: usize, arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
    let [address] = arguments else {
        return Err(FuncError::ExactlyXArgs("tfstate".to_owned(), 1));
    };
    let address = text_argument("tfstate", address)?;
    let state = state(slot).map_err(FuncError::Generic)?;
    state
        .lookup_text(&address)
        .map(TemplateValue::String)
        .map_err(|error| FuncError::Generic(error.to_string()))
}

fn lookup_format(slot: usize, arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
    let Some((format, rest)) = arguments.split_first() else {
        return Err(FuncError::AtLeastXArgs("tfstatef".to_owned(), 1));
    };
    let format = text_argument("tfstatef", format)?;
    let values: Vec<Value> = rest
        .iter()
        .map(|argument| match argument {
            TemplateValue::Number(number) => serde_json::from_str(&number.to_string())
                .map_err(|_| FuncError::UnableToConvertFromValue),
            other => text_argument("tfstatef", other).map(Value::String),
        })
        .collect::<Result<_, _>>()?;
    let state = state(slot).map_err(FuncError::Generic)?;
    state
        .lookup_format(&format, &values)
        .map(TemplateValue::String)
        .map_err(|error| FuncError::Generic(error.to_string()))
}

/// `std.native('tfstate')(address)`: any JSON value.
fn native_lookup(slot: usize, arguments: &[Value]) -> Result<Value, String> {
    let [address] = arguments else {
        return Err("tfstate: takes one argument, the address".into());
    };
    let address = text_parameter("tfstate", address)?;
    let state = state(slot).map_err(|message| format!("tfstate: {message}"))?;
    state.lookup(&address).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture_path() -> String {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/ecspresso/terraform.tfstate"
        )
        .to_owned()
    }

    fn source(index: usize, location: &str, optional: bool) -> Source {
        Source::from_config(
            index,
            &serde_json::json!({"path": location, "optional": optional}),
        )
        .unwrap()
    }

    #[test]
    fn slots_read_their_state_once_and_answer_lookups() {
        let directory = tempfile::tempdir().unwrap();
        let copy = directory.path().join("copy.tfstate");
        std::fs::copy(fixture_path(), &copy).unwrap();
        install(vec![source(0, copy.to_str().unwrap(), false)]);
        let functions = provided(0).unwrap();
        let (tfstate, tfstatef) = (functions.template[0].1, functions.template[1].1);
        let subnet = tfstate(&[TemplateValue::String("aws_subnet.private-a.id".into())]).unwrap();
        assert_eq!(
            subnet,
            TemplateValue::String("subnet-07ac54af5e41a4fc4".into())
        );
        // Read once: the file may go away after the first lookup.
        std::fs::remove_file(&copy).unwrap();
        let group = tfstatef(&[
            TemplateValue::String("data.aws_security_group.default['%s'].id".into()),
            TemplateValue::String("first".into()),
        ])
        .unwrap();
        assert_eq!(group, TemplateValue::String("sg-12345678".into()));
        let native =
            (functions.natives[0].call)(&[Value::String("aws_subnet.private-a.id".into())])
                .unwrap();
        assert_eq!(native, "subnet-07ac54af5e41a4fc4");
        let missing =
            tfstate(&[TemplateValue::String("aws_subnet.private-z.id".into())]).unwrap_err();
        assert!(
            missing.to_string().contains("aws_subnet.private-z.id"),
            "{missing}"
        );
    }

    #[test]
    fn required_states_are_read_before_use_and_optional_ones_fail_only_their_lookups() {
        install(vec![
            source(0, &fixture_path(), false),
            source(1, "/nonexistent/optional.tfstate", true),
        ]);
        read_required().expect("the required state is readable");
        let (lookup, _) = {
            let functions = provided(1).unwrap();
            (functions.template[0].1, functions.template[1].1)
        };
        let error = lookup(&[TemplateValue::String("output.x".into())]).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("cannot read Terraform state /nonexistent/optional.tfstate: ")
                && error
                    .to_string()
                    .ends_with("(an optional state: lookups in it fail)"),
            "{error}"
        );

        install(vec![
            source(0, &fixture_path(), true),
            source(1, "/nonexistent/required.tfstate", false),
        ]);
        let (index, error) = read_required().unwrap_err();
        assert_eq!(index, 1, "the failing plugin's index in plugins:");
        assert!(
            error.to_string().contains("/nonexistent/required.tfstate"),
            "{error}"
        );
    }

    #[test]
    fn configs_name_one_location() {
        for (config, expected) in [
            (serde_json::json!({}), "config: needs path"),
            (serde_json::json!(null), "config: needs path"),
            (
                serde_json::json!({"path": "a", "url": "s3://b/k"}),
                "config: give path or url, not both",
            ),
            (
                serde_json::json!({"url": 3}),
                "config.url: expected a non-empty string, found a number",
            ),
            (
                serde_json::json!({"path": "a", "optional": "yes"}),
                "config.optional: expected true or false, found a string",
            ),
        ] {
            let error = Source::from_config(0, &config).err().unwrap();
            assert!(error.starts_with(expected), "{config}: {error}");
        }
        let source = Source::from_config(
            3,
            &serde_json::json!({"url": "https://example.com/a.tfstate", "optional": true}),
        )
        .unwrap();
        assert_eq!(
            (source.index, source.location.as_str(), source.optional),
            (3, "https://example.com/a.tfstate", true)
        );
    }
}
