//! `netplug order FILE...`: the steps an apply from scratch takes, in the order it takes them
//! (the planner's own sort, `netplug_core::order::sort`), with the plugin that plans each.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use netplug_core::order;

use crate::exit::Exit;
use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the dependency graph in Graphviz DOT instead.
    #[arg(long)]
    pub dot: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let loaded = super::load_and_validate(cli, &args.files, &registry);
    if loaded.has_errors() {
        super::print_diagnostics(cli, &loaded);
        return Ok(Exit::Failed.into());
    }
    // Warnings still go to stderr; the order itself is the output.
    crate::report::diagnostics(false, &loaded.sources, &loaded.diagnostics);
    if args.dot {
        print!("{}", order::to_dot(&loaded.config));
        return Ok(ExitCode::SUCCESS);
    }
    let ordered = match order::order(&loaded.config, &registry) {
        Ok(o) => o,
        Err(cycle) => {
            eprintln!("{}: error: {cycle}", loaded.sources.location(cycle.span));
            return Ok(Exit::Failed.into());
        }
    };
    if cli.json {
        let steps = serde_json::to_value(&ordered.steps)?;
        crate::report::print_json(serde_json::json!({ "steps": steps }));
    } else {
        for (i, s) in ordered.steps.iter().enumerate() {
            let step = serde_json::to_value(s.step).ok().and_then(|v| v.as_str().map(str::to_string));
            println!(
                "{:>4}  {:<16} {:<10} {:<16} {:<10} group {}",
                i + 1,
                s.interface,
                s.kind,
                step.unwrap_or_default(),
                s.plugin,
                s.group
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
