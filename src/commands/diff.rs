//! `ristretto diff`: what would change between the definitions and the live services; nothing is
//! written. By default printed like a plan; `--unified` (or `--jsonnet`) prints ecspresso-style
//! unified diffs of the comparable documents, and `--external CMD` (or RISTRETTO_DIFF_COMMAND /
//! ECSPRESSO_DIFF_COMMAND) hands them to a diff tool. `--detailed-exitcode`: 0 no changes, 2
//! changes.

use crate::cli::{DiffArgs, ENVIRONMENT_PREFIXES, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::operation::{self, DocumentKind, DocumentPair};
use crate::output::documents::{self, DocumentSyntax};

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DiffArgs) -> Result<u8, Error> {
    let external = arguments.external.clone().or_else(|| {
        ENVIRONMENT_PREFIXES.iter().find_map(|prefix| {
            std::env::var(format!("{prefix}DIFF_COMMAND"))
                .ok()
                .filter(|command| !command.is_empty())
        })
    });
    let textual = arguments.unified || arguments.jsonnet || external.is_some();
    if !textual {
        let plan = session.plan_now(&arguments.flags).await?;
        session
            .output
            .plan(&plan, PlanFormat::Text)
            .map_err(Error::Stdout)?;
        return Ok(changes_code(arguments, plan.has_changes()));
    }
    let region = session.region().await?;
    let (requests, warnings) = session
        .project
        .plan_requests(&session.global.service, &region)?;
    session.warn_all(&warnings);
    let (options, _) = session.plan_options(&arguments.flags);
    let pairs = operation::comparable_documents(
        &session.aws.ecs().await,
        &session.aws.cloud_map().await,
        &requests,
        &options.normalize,
    )
    .await?;
    let syntax = if arguments.jsonnet {
        DocumentSyntax::Jsonnet
    } else {
        DocumentSyntax::Json
    };
    match &external {
        Some(command) => documents::external(&pairs, command, syntax)?,
        None => {
            let labels: Vec<String> = pairs.iter().map(|pair| file_label(session, pair)).collect();
            let text = documents::unified(&pairs, &labels, syntax, session.output.stdout_color());
            if !text.is_empty() {
                session.output.data(&text).map_err(Error::Stdout)?;
            }
        }
    }
    Ok(changes_code(
        arguments,
        pairs.iter().any(DocumentPair::differs),
    ))
}

fn changes_code(arguments: &DiffArgs, changes: bool) -> u8 {
    if arguments.detailed_exitcode && changes {
        exit_code::CHANGES_PRESENT
    } else {
        exit_code::SUCCESS
    }
}

/// The file a desired document comes from, as the config names it.
fn file_label(session: &Session<'_>, pair: &DocumentPair) -> String {
    let config = &session.project.config;
    let service = config
        .services
        .iter()
        .find(|service| service.name == pair.target.service);
    let path = match pair.kind {
        DocumentKind::TaskDefinition => service
            .and_then(|service| service.task_definition.clone())
            .or_else(|| config.task_definition.clone()),
        DocumentKind::Service => service.and_then(|service| service.service_definition.clone()),
    };
    path.map(|path| path.display().to_string())
        .unwrap_or_default()
}
