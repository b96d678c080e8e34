//! `netplug check FILE...`: report drift between the documents and the kernel, change by
//! change, and exit 1 if there is any.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use netplug_core::apply::Run;

use crate::exit::Exit;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let Some(loaded) = super::engine::prepare(cli, &args.files, &registry) else {
        return Ok(Exit::Failed.into());
    };
    let run = Run::new(&loaded.config, &registry);
    let (plan, _) = run.plan()?;
    if cli.json {
        let drift = crate::report::steps_json(&plan.steps);
        crate::report::print_json(serde_json::json!({ "in_sync": plan.steps.is_empty(), "drift": drift }));
    } else if plan.steps.is_empty() {
        println!("in sync: the kernel matches {} interface(s)", loaded.config.interfaces.len());
    } else {
        for s in &plan.steps {
            println!("drift: {}: {} [{}]", s.change.interface, s.change.description, s.plugin);
        }
    }
    Ok(Exit::failed_if(!plan.steps.is_empty()))
}
