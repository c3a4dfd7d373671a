//! `ristretto validate`: offline check of the config and both definitions. Every problem in
//! every file is reported, not only the first; exit 1 when there is any.

use crate::error::Error;
use crate::exit_code;

use super::Session;

pub(super) fn run(session: &Session<'_>) -> Result<u8, Error> {
    let (project, output) = (&session.project, session.output);
    let mut errors = Vec::new();
    let mut checked = Vec::new();
    let mut definitions = Vec::new();
    if project.config.services.is_empty() {
        if project.config.task_definition.is_some() {
            definitions.push(project.task_definition());
        }
    } else {
        for service in &project.config.services {
            if let Some(path) = &service.task_definition {
                definitions.push(project.load_task_definition(path));
            }
            if let Some(path) = &service.service_definition {
                definitions.push(project.load_named_service_definition(path, Some(&service.name)));
            }
        }
    }
    for result in definitions {
        match result {
            Ok(definition) => {
                definition
                    .warnings
                    .iter()
                    .for_each(|warning| output.warn(warning));
                definition
                    .notes
                    .iter()
                    .for_each(|note| output.info(&format!("note: {note}")));
                checked.push(definition.path);
            }
            Err(error) => errors.push(error),
        }
    }
    match errors.len() {
        0 => {
            let files: Vec<String> = std::iter::once(&project.config.file)
                .chain(checked.iter())
                .map(|path| path.display().to_string())
                .collect();
            output.info(&format!("ok: {}", files.join(", ")));
            Ok(exit_code::SUCCESS)
        }
        1 => Err(errors.remove(0)),
        _ => Err(Error::Many(errors)),
    }
}
