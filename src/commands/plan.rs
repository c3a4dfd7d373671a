//! `ristretto plan`: compute the changes and actions for the configured service, print them
//! (text, JSON or Markdown on stdout), optionally save the sealed plan (`-o FILE|s3://…`) for a
//! later `apply`, and append the Markdown to `$GITHUB_STEP_SUMMARY` when it is set.

use crate::cli::{GlobalArgs, PlanArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::ProjectOptions;

use super::shared;

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &PlanArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = shared::load_project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    let runtime = shared::runtime()?;
    let (plan, config) = runtime.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let plan =
            shared::plan_now(&project, global, &arguments.flags, &config, &region, output).await?;
        Ok::<_, Error>((plan, config))
    })?;

    if let Some(destination) = &arguments.out {
        runtime.block_on(shared::save(&plan, destination, Some(&config)))?;
        output.info(&format!(
            "Saved the plan to {destination} (plan id {}).",
            plan.plan_id
        ));
    }
    output
        .data(&shared::render(&plan, arguments.format, output))
        .map_err(Error::Stdout)?;
    append_step_summary(&plan, output);

    Ok(if arguments.detailed_exitcode && plan.has_changes() {
        exit_code::CHANGES_PRESENT
    } else {
        exit_code::SUCCESS
    })
}

/// GitHub Actions shows `$GITHUB_STEP_SUMMARY` on the run page; a failure to append is only
/// a warning, never a reason to fail the plan.
fn append_step_summary(plan: &crate::plan::Plan, output: &Output) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|path| !path.is_empty()) else {
        return;
    };
    let markdown = shared::render(plan, PlanFormat::Markdown, output);
    let result = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .and_then(|mut file| {
            std::io::Write::write_all(&mut file, format!("{markdown}\n").as_bytes())
        });
    if let Err(error) = result {
        output.warn(&format!(
            "cannot append the plan to GITHUB_STEP_SUMMARY ({}): {error}",
            std::path::Path::new(&path).display()
        ));
    }
}
