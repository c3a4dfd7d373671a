//! `ristretto render [config|taskdef|servicedef]…`: the rendered documents as JSON on stdout,
//! keys sorted so the output is stable. Warnings about the definitions go to stderr.

use crate::cli::{RenderArgs, RenderTarget};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::{Project, ProjectOptions};

pub(super) fn run(
    options: &ProjectOptions,
    selection: &[String],
    arguments: &RenderArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = Project::load(options)?;
    for warning in &project.config.warnings {
        output.warn(warning);
    }
    let targets = if arguments.targets.is_empty() {
        vec![
            RenderTarget::Config,
            RenderTarget::Taskdef,
            RenderTarget::Servicedef,
        ]
    } else {
        arguments.targets.clone()
    };
    let services = project.selected_services(selection)?;
    let mut documents = Vec::new();
    for target in targets {
        match target {
            RenderTarget::Config => documents.push(project.config.to_json()),
            // A multi-service config renders each selected service's definition, in order.
            RenderTarget::Taskdef if !services.is_empty() => {
                for service in &services {
                    if let Some(path) = &service.task_definition {
                        let definition = project.load_task_definition(path)?;
                        definition
                            .warnings
                            .iter()
                            .for_each(|warning| output.warn(warning));
                        documents.push(definition.document);
                    }
                }
            }
            RenderTarget::Servicedef if !services.is_empty() => {
                for service in &services {
                    if let Some(path) = &service.service_definition {
                        let definition =
                            project.load_named_service_definition(path, Some(&service.name))?;
                        definition
                            .warnings
                            .iter()
                            .for_each(|warning| output.warn(warning));
                        documents.push(definition.document);
                    }
                }
            }
            RenderTarget::Taskdef => {
                let definition = project.task_definition()?;
                definition
                    .warnings
                    .iter()
                    .for_each(|warning| output.warn(warning));
                documents.push(definition.document);
            }
            RenderTarget::Servicedef => {
                let definition = project.service_definition()?;
                definition
                    .warnings
                    .iter()
                    .for_each(|warning| output.warn(warning));
                documents.push(definition.document);
            }
        }
    }
    // Render everything before printing anything: an error never leaves half the output.
    let mut text = String::new();
    for document in &documents {
        text.push_str(&serde_json::to_string_pretty(document).expect("JSON always serializes"));
        text.push('\n');
    }
    output.data(&text).map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
