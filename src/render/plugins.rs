//! The tfstate plugin's functions for templates (`tfstate`, `tfstatef`, under each plugin's
//! `func_prefix`) and for Jsonnet (`std.native('<prefix>tfstate')`).
//!
//! gtmpl's template functions are plain `fn` pointers and carry no state, so the states live
//! in a per-thread table of slots: slot N holds one plugin's state source, and the Nth pair of
//! functions reads it. A state is read on first use only, so `render config` and files that do
//! not look anything up never touch the state file or S3. Rendering happens on one thread (the
//! Jsonnet evaluator is not `Send` either), so per-thread is the right scope.
//!
//! This module knows how to call a state, not where states come from: `project` registers the
//! sources the config names.

use std::cell::RefCell;
use std::rc::Rc;

use gtmpl::Func;
use gtmpl_value::{FuncError, Value as TemplateValue};

use crate::tfstate::TerraformState;

/// How many tfstate plugins one config may declare.
pub(crate) const MAX_TFSTATE_PLUGINS: usize = 8;

/// Reads a state when it is first needed.
pub(crate) type StateLoader = Rc<dyn Fn() -> Result<TerraformState, String>>;

struct Slot {
    loader: StateLoader,
    loaded: Option<Result<Rc<TerraformState>, String>>,
}

thread_local! {
    static SLOTS: RefCell<Vec<Slot>> = const { RefCell::new(Vec::new()) };
}

/// Replaces this thread's state sources (one per tfstate plugin, in config order) and returns
/// their slot numbers.
pub(crate) fn install(loaders: Vec<StateLoader>) -> Result<Vec<usize>, String> {
    if loaders.len() > MAX_TFSTATE_PLUGINS {
        return Err(format!(
            "at most {MAX_TFSTATE_PLUGINS} tfstate plugins are supported, the config has {}",
            loaders.len()
        ));
    }
    SLOTS.with(|slots| {
        *slots.borrow_mut() = loaders
            .into_iter()
            .map(|loader| Slot {
                loader,
                loaded: None,
            })
            .collect();
    });
    Ok((0..SLOTS.with(|slots| slots.borrow().len())).collect())
}

/// The state in `slot`, read on first use.
pub(crate) fn state(slot: usize) -> Result<Rc<TerraformState>, String> {
    let loader = SLOTS.with(|slots| {
        let slots = slots.borrow();
        match slots.get(slot) {
            Some(Slot {
                loaded: Some(result),
                ..
            }) => Err(result.clone()),
            Some(Slot { loader, .. }) => Ok(Rc::clone(loader)),
            None => Err(Err("the tfstate plugin is not set up".to_owned())),
        }
    });
    let loader = match loader {
        Ok(loader) => loader,
        Err(done) => return done,
    };
    let result = loader().map(Rc::new);
    SLOTS.with(|slots| {
        if let Some(entry) = slots.borrow_mut().get_mut(slot) {
            entry.loaded = Some(result.clone());
        }
    });
    result
}

fn text_argument(function: &str, value: &TemplateValue) -> Result<String, FuncError> {
    match value {
        TemplateValue::String(text) => Ok(text.clone()),
        TemplateValue::Number(number) => Ok(number.to_string()),
        TemplateValue::Bool(flag) => Ok(flag.to_string()),
        other => Err(FuncError::Generic(format!(
            "{function}: expected a string argument, got {other}"
        ))),
    }
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
    let values: Vec<serde_json::Value> = rest
        .iter()
        .map(|argument| match argument {
            TemplateValue::Number(number) => serde_json::from_str(&number.to_string())
                .map_err(|_| FuncError::UnableToConvertFromValue),
            other => text_argument("tfstatef", other).map(serde_json::Value::String),
        })
        .collect::<Result<_, _>>()?;
    let state = state(slot).map_err(FuncError::Generic)?;
    state
        .lookup_format(&format, &values)
        .map(TemplateValue::String)
        .map_err(|error| FuncError::Generic(error.to_string()))
}

macro_rules! slot_functions {
    ($($slot:literal => $lookup:ident, $format:ident;)*) => {
        $(
            fn $lookup(arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
                lookup($slot, arguments)
            }
            fn $format(arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
                lookup_format($slot, arguments)
            }
        )*
        /// The template functions (`tfstate`, `tfstatef`) bound to `slot`.
        pub(crate) fn template_functions(slot: usize) -> Option<(Func, Func)> {
            match slot {
                $($slot => Some(($lookup as Func, $format as Func)),)*
                _ => None,
            }
        }
    };
}

slot_functions! {
    0 => tfstate_0, tfstatef_0;
    1 => tfstate_1, tfstatef_1;
    2 => tfstate_2, tfstatef_2;
    3 => tfstate_3, tfstatef_3;
    4 => tfstate_4, tfstatef_4;
    5 => tfstate_5, tfstatef_5;
    6 => tfstate_6, tfstatef_6;
    7 => tfstate_7, tfstatef_7;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> TerraformState {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/ecspresso/terraform.tfstate"
        );
        TerraformState::load(path, None).unwrap()
    }

    #[test]
    fn slots_read_their_state_once_and_answer_lookups() {
        let reads = Rc::new(std::cell::Cell::new(0));
        let counter = Rc::clone(&reads);
        install(vec![Rc::new(move || {
            counter.set(counter.get() + 1);
            Ok(fixture())
        })])
        .unwrap();
        let (tfstate, tfstatef) = template_functions(0).unwrap();
        let subnet = tfstate(&[TemplateValue::String("aws_subnet.private-a.id".into())]).unwrap();
        assert_eq!(
            subnet,
            TemplateValue::String("subnet-07ac54af5e41a4fc4".into())
        );
        let group = tfstatef(&[
            TemplateValue::String("data.aws_security_group.default['%s'].id".into()),
            TemplateValue::String("first".into()),
        ])
        .unwrap();
        assert_eq!(group, TemplateValue::String("sg-12345678".into()));
        assert_eq!(reads.get(), 1, "the state is read once");
        let missing =
            tfstate(&[TemplateValue::String("aws_subnet.private-z.id".into())]).unwrap_err();
        assert!(
            missing.to_string().contains("aws_subnet.private-z.id"),
            "{missing}"
        );
    }

    #[test]
    fn a_failing_source_is_reported_on_use() {
        install(vec![Rc::new(|| Err("s3://b/k: NoSuchKey".to_owned()))]).unwrap();
        let (tfstate, _) = template_functions(0).unwrap();
        let error = tfstate(&[TemplateValue::String("output.x".into())]).unwrap_err();
        assert!(error.to_string().contains("NoSuchKey"), "{error}");
    }
}
