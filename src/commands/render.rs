//! `ristretto render [config|taskdef|servicedef]…` (also `task-definition`,
//! `service-definition`): the rendered documents as JSON (or `--jsonnet`) on stdout, keys sorted
//! so the output is stable. Warnings about the definitions go to stderr.

use crate::cli::{RenderArgs, RenderTarget};
use crate::error::Error;
use crate::exit_code;

use super::Session;

pub(super) fn run(session: &Session<'_>, arguments: &RenderArgs) -> Result<u8, Error> {
    let project = &session.project;
    let targets = if arguments.targets.is_empty() {
        vec![
            RenderTarget::Config,
            RenderTarget::Taskdef,
            RenderTarget::Servicedef,
        ]
    } else {
        arguments.targets.clone()
    };
    let services = project.selected_services(&session.global.service)?;
    let mut documents = Vec::new();
    for target in targets {
        match target {
            RenderTarget::Config => documents.push(project.config.to_json()),
            // A multi-service config renders each selected service's definition, in order.
            RenderTarget::Taskdef if !services.is_empty() => {
                for service in services.iter().filter(|s| s.task_definition.is_some()) {
                    let definition = project.task_definition_of(service)?;
                    session.warn_all(&definition.warnings);
                    documents.push(definition.document);
                }
            }
            RenderTarget::Servicedef if !services.is_empty() => {
                for service in &services {
                    if let Some(definition) = project.service_definition_of(service)? {
                        session.warn_all(&definition.warnings);
                        documents.push(definition.document);
                    }
                }
            }
            RenderTarget::Taskdef => {
                let definition = project.task_definition()?;
                session.warn_all(&definition.warnings);
                documents.push(definition.document);
            }
            RenderTarget::Servicedef => {
                let definition = project.service_definition()?;
                session.warn_all(&definition.warnings);
                documents.push(definition.document);
            }
        }
    }
    // Render everything before printing anything: an error never leaves half the output.
    let mut text = String::new();
    for document in &documents {
        if arguments.jsonnet {
            text.push_str(&crate::output::definitions::jsonnet_text(document));
        } else {
            text.push_str(&serde_json::to_string_pretty(document).expect("JSON always serializes"));
            text.push('\n');
        }
    }
    session.output.data(&text).map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
