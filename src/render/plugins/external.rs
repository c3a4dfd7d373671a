//! The external plugin (ecspresso v2.5): a function named by the plugin whose value is what a
//! command prints. `{{ NAME "a" "b" }}` and `std.native('NAME')(a, b)` run
//! `command… a b` (no shell) and use its stdout, parsed as JSON (`parser: json`, the default)
//! or taken as text (`parser: string`, one trailing line ending dropped).
//!
//! Config: `name` (the function's name, before `func_prefix`), `command` (the argv list),
//! `num_args` (the Jsonnet native's parameters, `arg0`…; templates pass any number, as in
//! ecspresso), `parser`, `timeout` (a duration; none by default, as in ecspresso) and `mode`
//! (`exec`; ecspresso's `jsonrpc` is refused as not supported yet).
//!
//! Rendering is synchronous, so the command runs with `std::process` and a deadline, never on a
//! runtime. It runs in a process group of its own (Unix): a timeout kills the group, so a shell
//! script's children do not outlive it. Each distinct call (plugin and arguments) runs once per
//! run; a failure names the plugin, the command and the last line of its stderr.
//! Must not: run a command at setup, or through a shell.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::Read;
use std::process::{Child, ExitStatus, Stdio};
use std::rc::Rc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

use gtmpl::Func;
use gtmpl_value::{FuncError, Number, Value as TemplateValue};
use serde_json::Value;

use super::{Provided, config_object, kind_of, slot_functions, text_argument, text_parameter};
use crate::render::NativeFunction;

/// How the command's stdout becomes the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parser {
    Json,
    Text,
}

/// One external plugin: its function's name and the command that answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    pub name: String,
    /// The program and its first arguments; a call's arguments follow them.
    pub argv: Vec<String>,
    pub num_args: usize,
    pub parser: Parser,
    pub timeout: Option<Duration>,
}

const CONFIG_KEYS: &[&str] = &["name", "command", "num_args", "parser", "timeout", "mode"];

impl Command {
    pub(crate) fn from_config(config: &Value) -> Result<Self, String> {
        let map = config_object(config, CONFIG_KEYS)?.ok_or(
            "config: needs name (the function's name) and command (a list such as [\"./lookup\"])",
        )?;
        let name = match map.get("name") {
            Some(Value::String(name)) if is_identifier(name) => name.clone(),
            Some(Value::String(name)) => {
                return Err(format!(
                    "config.name: {name:?} cannot be a function name (letters, digits and _, \
                     not starting with a digit)"
                ));
            }
            None | Some(Value::Null) => {
                return Err(
                    "config.name: needed: the function's name in templates and Jsonnet".into(),
                );
            }
            Some(other) => {
                return Err(format!(
                    "config.name: expected a string, found {}",
                    kind_of(other)
                ));
            }
        };
        let argv = match map.get("command") {
            Some(Value::Array(items)) if !items.is_empty() => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    other => Err(format!(
                        "config.command: every element must be a string, found {}",
                        kind_of(other)
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?,
            Some(Value::String(text)) => {
                return Err(format!(
                    "config.command: expected a list of the program and its arguments (no \
                     shell runs it), found the string {text:?}; write e.g. [\"./lookup\", \"--flag\"]"
                ));
            }
            None | Some(Value::Null) => {
                return Err(
                    "config.command: needed: a list such as [\"./lookup\", \"--flag\"]".into(),
                );
            }
            Some(other) => {
                return Err(format!(
                    "config.command: expected a non-empty list of strings, found {}",
                    if other.is_array() {
                        "an empty list"
                    } else {
                        kind_of(other)
                    }
                ));
            }
        };
        let num_args = match map.get("num_args") {
            None | Some(Value::Null) => 0,
            Some(Value::Number(number)) => number
                .as_u64()
                .and_then(|count| usize::try_from(count).ok())
                .ok_or_else(|| {
                    format!("config.num_args: expected a whole number 0 or more, found {number}")
                })?,
            Some(other) => {
                return Err(format!(
                    "config.num_args: expected a whole number 0 or more, found {}",
                    kind_of(other)
                ));
            }
        };
        let parser = match map.get("parser") {
            None | Some(Value::Null) => Parser::Json,
            Some(Value::String(text)) if text == "json" => Parser::Json,
            Some(Value::String(text)) if text == "string" => Parser::Text,
            Some(other) => {
                return Err(format!(
                    "config.parser: expected json or string, found {other}"
                ));
            }
        };
        let timeout = match map.get("timeout") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => {
                Some(crate::config::duration::parse(text).map_err(|message| {
                    format!("config.timeout: {message}; write a duration such as 10s or 1m")
                })?)
            }
            Some(Value::Number(number)) => Some(
                number
                    .as_f64()
                    .filter(|seconds| seconds.is_finite() && *seconds >= 0.0)
                    .map(Duration::from_secs_f64)
                    .ok_or_else(|| format!("config.timeout: {number} is not a duration"))?,
            ),
            Some(other) => {
                return Err(format!(
                    "config.timeout: expected a duration such as 10s, found {}",
                    kind_of(other)
                ));
            }
        }
        .filter(|timeout| !timeout.is_zero());
        match map.get("mode") {
            None | Some(Value::Null) => {}
            Some(Value::String(mode)) if mode == "exec" => {}
            Some(Value::String(mode)) if mode == "jsonrpc" => {
                return Err(
                    "config.mode: jsonrpc (a long-running command answering JSON-RPC) is not \
                     supported yet; use mode: exec (the default), which runs the command per call"
                        .into(),
                );
            }
            Some(other) => return Err(format!("config.mode: expected exec, found {other}")),
        }
        Ok(Self {
            name,
            argv,
            num_args,
            parser,
            timeout,
        })
    }

    /// The command line of a call, as a person would type it (for messages).
    fn display(&self, arguments: &[String]) -> String {
        self.argv
            .iter()
            .chain(arguments)
            .map(|word| shell_quoted(word))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Runs the command with `arguments` and parses its stdout; the error names the plugin,
    /// the command and the last line of its stderr.
    fn call(&self, arguments: &[String]) -> Result<Value, String> {
        let failed = |what: String, stderr: &[u8]| {
            format!(
                "external plugin {}: `{}` {what}; {}",
                self.name,
                self.display(arguments),
                last_line(stderr)
            )
        };
        let finished =
            run(&self.argv, arguments, self.timeout).map_err(|failure| match failure {
                RunFailure::Start(error) => format!(
                    "external plugin {}: cannot run `{}`: {error}",
                    self.name,
                    self.display(arguments)
                ),
                RunFailure::TimedOut { stderr } => failed(
                    format!(
                        "timed out after {} and was killed",
                        crate::config::duration::format(self.timeout.unwrap_or_default())
                    ),
                    &stderr,
                ),
            })?;
        if !finished.status.success() {
            return Err(failed(
                format!("failed ({})", describe_status(finished.status)),
                &finished.stderr,
            ));
        }
        match self.parser {
            Parser::Json => serde_json::from_slice(&finished.stdout).map_err(|error| {
                failed(
                    format!("printed invalid JSON ({error}; set parser: string for text)"),
                    &finished.stderr,
                )
            }),
            Parser::Text => {
                let text = String::from_utf8_lossy(&finished.stdout);
                let text = text
                    .strip_suffix('\n')
                    .map(|rest| rest.strip_suffix('\r').unwrap_or(rest))
                    .unwrap_or(&text);
                Ok(Value::String(text.to_owned()))
            }
        }
    }
}

fn is_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

fn shell_quoted(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|character| character.is_ascii_alphanumeric() || "-_./=:,@%+".contains(character));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// "stderr: <its last non-empty line>", or that it was empty.
fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .map(|line| format!("stderr: {line}"))
        .unwrap_or_else(|| "its stderr was empty".to_owned())
}

fn describe_status(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return format!("killed by signal {signal}");
        }
    }
    status.to_string()
}

/// What a finished command left.
struct Finished {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

enum RunFailure {
    Start(std::io::Error),
    TimedOut { stderr: Vec<u8> },
}

/// How long the pipes may stay open after the command was killed at its timeout (a process
/// that left the command's process group may hold them).
const KILLED_PIPE_GRACE: Duration = Duration::from_secs(1);

/// Runs `argv arguments…` with stdin closed, collecting stdout and stderr (on threads, so a
/// command that fills one pipe while we read the other cannot deadlock), and kills it — with its
/// process group on Unix — when `timeout` passes. The wait polls with a growing pause (1 ms up
/// to 20 ms): std has no wait-with-timeout, and crates that add one install a SIGCHLD handler
/// for the whole process.
fn run(
    argv: &[String],
    arguments: &[String],
    timeout: Option<Duration>,
) -> Result<Finished, RunFailure> {
    let (program, first_arguments) = argv
        .split_first()
        .ok_or_else(|| RunFailure::Start(std::io::Error::other("the command is empty")))?;
    let mut command = std::process::Command::new(program);
    command
        .args(first_arguments)
        .args(arguments)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn().map_err(RunFailure::Start)?;
    let stdout = collect(child.stdout.take());
    let stderr = collect(child.stderr.take());
    let deadline = timeout.map(|timeout| Instant::now() + timeout);
    let mut pause = Duration::from_millis(1);
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(error) => {
                kill(&mut child);
                return Err(RunFailure::Start(error));
            }
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            kill(&mut child);
            return Err(RunFailure::TimedOut {
                stderr: received(&stderr, Some(Instant::now() + KILLED_PIPE_GRACE)),
            });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    };
    // A background process the command left may keep the pipes open: wait for them no longer
    // than the command's own deadline.
    let until = deadline.map(|deadline| deadline.max(Instant::now() + KILLED_PIPE_GRACE));
    Ok(Finished {
        status,
        stdout: received(&stdout, until),
        stderr: received(&stderr, until),
    })
}

/// A pipe read to its end on a thread of its own; the bytes arrive on the channel.
fn collect(pipe: Option<impl Read + Send + 'static>) -> Option<Receiver<Vec<u8>>> {
    let mut pipe = pipe?;
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        // What was read before an error is still worth showing.
        let _ = pipe.read_to_end(&mut bytes);
        // The receiver is gone only when the caller stopped waiting.
        let _ = sender.send(bytes);
    });
    Some(receiver)
}

/// What a pipe held, waiting until `until` at most (forever without one).
fn received(receiver: &Option<Receiver<Vec<u8>>>, until: Option<Instant>) -> Vec<u8> {
    let Some(receiver) = receiver else {
        return Vec::new();
    };
    match until {
        None => receiver.recv().unwrap_or_default(),
        Some(until) => receiver
            .recv_timeout(until.saturating_duration_since(Instant::now()))
            .unwrap_or_default(),
    }
}

/// Kills the command and what it started (its process group), then reaps it.
fn kill(child: &mut Child) {
    #[cfg(unix)]
    {
        // The group may be gone already (everything exited): nothing left to kill.
        let _ = rustix::process::kill_process_group(
            rustix::process::Pid::from_child(child),
            rustix::process::Signal::KILL,
        );
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A call: the plugin's slot and the arguments.
type Call = (usize, Vec<String>);

thread_local! {
    static COMMANDS: RefCell<Vec<Command>> = const { RefCell::new(Vec::new()) };
    /// Answers by call: each distinct call runs once per run.
    static ANSWERS: RefCell<HashMap<Call, Result<Value, String>>> = RefCell::new(HashMap::new());
}

/// Replaces this thread's external commands (one per external plugin, in config order).
pub(crate) fn install(commands: Vec<Command>) {
    COMMANDS.with(|slots| *slots.borrow_mut() = commands);
    ANSWERS.with(|answers| answers.borrow_mut().clear());
}

/// The function of the plugin in `slot`, named `name`, and its native with `num_args`
/// parameters.
pub(crate) fn provided(slot: usize, name: &str, num_args: usize) -> Result<Provided, String> {
    const CALLS: [Func; super::MAX_PLUGINS_OF_A_KIND] = slot_functions!(template_call);
    let function = *CALLS
        .get(slot)
        .ok_or_else(|| format!("external plugin slot {slot} does not exist"))?;
    let native_name = name.to_owned();
    Ok(Provided {
        template: vec![(name.to_owned(), function)],
        natives: vec![NativeFunction {
            name: name.to_owned(),
            parameters: (0..num_args).map(|index| format!("arg{index}")).collect(),
            call: Rc::new(move |arguments: &[Value]| {
                let arguments = arguments
                    .iter()
                    .map(|argument| text_parameter(&native_name, argument))
                    .collect::<Result<Vec<_>, _>>()?;
                call(slot, arguments)
            }),
        }],
    })
}

/// The answer of the plugin in `slot` for `arguments`, run once per run.
fn call(slot: usize, arguments: Vec<String>) -> Result<Value, String> {
    let key = (slot, arguments);
    if let Some(answer) = ANSWERS.with(|answers| answers.borrow().get(&key).cloned()) {
        return answer;
    }
    let command = COMMANDS
        .with(|slots| slots.borrow().get(slot).cloned())
        .ok_or_else(|| "the external plugin is not set up".to_owned())?;
    let answer = command.call(&key.1);
    ANSWERS.with(|answers| answers.borrow_mut().insert(key, answer.clone()));
    answer
}

fn template_call(slot: usize, arguments: &[TemplateValue]) -> Result<TemplateValue, FuncError> {
    let name = COMMANDS.with(|slots| {
        slots
            .borrow()
            .get(slot)
            .map(|command| format!("external plugin {}", command.name))
    });
    let name = name.as_deref().unwrap_or("external plugin");
    let arguments = arguments
        .iter()
        .map(|argument| text_argument(name, argument))
        .collect::<Result<Vec<_>, _>>()?;
    call(slot, arguments)
        .map(template_value)
        .map_err(FuncError::Generic)
}

/// A JSON answer as a template value: strings print as they are, objects and lists work with
/// `index`.
fn template_value(value: Value) -> TemplateValue {
    match value {
        Value::Null => TemplateValue::Nil,
        Value::Bool(flag) => TemplateValue::Bool(flag),
        Value::Number(number) => TemplateValue::Number(
            number
                .as_u64()
                .map(Number::from)
                .or_else(|| number.as_i64().map(Number::from))
                .unwrap_or_else(|| Number::from(number.as_f64().unwrap_or_default())),
        ),
        Value::String(text) => TemplateValue::String(text),
        Value::Array(items) => {
            TemplateValue::Array(items.into_iter().map(template_value).collect())
        }
        Value::Object(map) => TemplateValue::Map(
            map.into_iter()
                .map(|(key, value)| (key, template_value(value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn command(config: Value) -> Command {
        Command::from_config(&config).unwrap()
    }

    fn shell(script: &str) -> Value {
        serde_json::json!(["sh", "-c", script, "plugin"])
    }

    #[test]
    fn json_and_text_answers_with_the_call_arguments() {
        let json = command(serde_json::json!({
            "name": "lookup",
            "command": shell("printf '{\"name\": \"%s\", \"n\": [1, 2]}' \"$1\""),
        }));
        assert_eq!(
            json.call(&["web".into()]).unwrap(),
            serde_json::json!({"name": "web", "n": [1, 2]})
        );
        let text = command(serde_json::json!({
            "name": "lookup",
            "command": shell("echo \"$1-$2\""),
            "parser": "string",
        }));
        assert_eq!(
            text.call(&["a".into(), "b c".into()]).unwrap(),
            Value::String("a-b c".into()),
            "one trailing newline dropped"
        );
    }

    #[test]
    fn failures_name_the_plugin_the_command_and_the_last_stderr_line() {
        let failing = command(serde_json::json!({
            "name": "vault",
            "command": shell("echo starting >&2; echo 'permission denied' >&2; exit 3"),
        }));
        assert_eq!(
            failing.call(&["secret/db".into()]).unwrap_err(),
            "external plugin vault: `sh -c 'echo starting >&2; echo '\\''permission denied'\\'' \
             >&2; exit 3' plugin secret/db` failed (exit status 3); stderr: permission denied"
        );
        let bad_json =
            command(serde_json::json!({"name": "vault", "command": ["echo", "not json"]}));
        let error = bad_json.call(&[]).unwrap_err();
        assert!(
            error.starts_with("external plugin vault: `echo 'not json'` printed invalid JSON (")
                && error.ends_with("; its stderr was empty"),
            "{error}"
        );
        let missing =
            command(serde_json::json!({"name": "vault", "command": ["/nonexistent/lookup"]}));
        let error = missing.call(&[]).unwrap_err();
        assert!(
            error.starts_with("external plugin vault: cannot run `/nonexistent/lookup`: "),
            "{error}"
        );
    }

    #[test]
    fn a_timeout_kills_the_command_and_what_it_started() {
        let directory = tempfile::tempdir().unwrap();
        let marker = directory.path().join("survived");
        // The shell starts a child that would write the marker after the timeout.
        let slow = command(serde_json::json!({
            "name": "slow",
            "command": shell(&format!(
                "echo waiting >&2; (sleep 1; touch {}) & sleep 5",
                marker.display()
            )),
            "timeout": "200ms",
        }));
        let started = Instant::now();
        let error = slow.call(&[]).unwrap_err();
        let elapsed = started.elapsed();
        assert!(
            error.contains("timed out after 200ms and was killed; stderr: waiting"),
            "{error}"
        );
        assert!(elapsed < Duration::from_secs(1), "took {elapsed:?}");
        std::thread::sleep(Duration::from_millis(1300));
        assert!(!marker.exists(), "the command's children were killed too");
    }

    #[test]
    fn each_distinct_call_runs_once_per_run() {
        let directory = tempfile::tempdir().unwrap();
        let count = directory.path().join("count");
        install(vec![command(serde_json::json!({
            "name": "counted",
            "command": shell(&format!("echo x >> {}; echo '\"'$1'\"'", count.display())),
        }))]);
        let functions = provided(0, "counted", 1).unwrap();
        let template = functions.template[0].1;
        let native = &functions.natives[0];
        assert_eq!(native.parameters, ["arg0"]);
        for _ in 0..3 {
            assert_eq!(
                template(&[TemplateValue::String("a".into())]).unwrap(),
                TemplateValue::String("a".into())
            );
        }
        assert_eq!(
            (native.call)(&[Value::String("a".into())]).unwrap(),
            Value::String("a".into())
        );
        assert_eq!((native.call)(&[Value::String("b".into())]).unwrap(), "b");
        let runs = std::fs::read_to_string(&count).unwrap().lines().count();
        assert_eq!(runs, 2, "once for a, once for b");
    }

    #[test]
    fn configs_are_checked() {
        for (config, expected) in [
            (serde_json::json!({"command": ["x"]}), "config.name: needed"),
            (
                serde_json::json!({"name": "a-b", "command": ["x"]}),
                "config.name: \"a-b\" cannot be a function name",
            ),
            (
                serde_json::json!({"name": "a", "command": "x --flag"}),
                "config.command: expected a list of the program and its arguments",
            ),
            (
                serde_json::json!({"name": "a", "command": []}),
                "config.command: expected a non-empty list of strings, found an empty list",
            ),
            (
                serde_json::json!({"name": "a", "command": ["x"], "parser": "yaml"}),
                "config.parser: expected json or string, found \"yaml\"",
            ),
            (
                serde_json::json!({"name": "a", "command": ["x"], "num_args": -1}),
                "config.num_args: expected a whole number 0 or more, found -1",
            ),
            (
                serde_json::json!({"name": "a", "command": ["x"], "timeout": "soon"}),
                "config.timeout: ",
            ),
            (
                serde_json::json!({"name": "a", "command": ["x"], "mode": "jsonrpc"}),
                "config.mode: jsonrpc (a long-running command answering JSON-RPC) is not supported yet",
            ),
            (
                serde_json::json!({"name": "a", "command": ["x"], "args": 1}),
                "config.args: unknown key",
            ),
        ] {
            let error = Command::from_config(&config).unwrap_err();
            assert!(error.starts_with(expected), "{config}: {error}");
        }
        let full = command(serde_json::json!({
            "name": "lookup", "command": ["x", "y"], "num_args": 2, "parser": "string",
            "timeout": "1m30s", "mode": "exec",
        }));
        assert_eq!(
            full,
            Command {
                name: "lookup".into(),
                argv: vec!["x".into(), "y".into()],
                num_args: 2,
                parser: Parser::Text,
                timeout: Some(Duration::from_secs(90)),
            }
        );
    }
}
