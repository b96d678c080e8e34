//! `netplug schema`: the RelaxNG schema of the native dialect, as the installed plugins speak
//! it, for editors and `xmllint --relaxng`.

use std::process::ExitCode;

use anyhow::Result;
use netplug_core::schema::{self, Vocabulary};

use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {}

pub fn run(cli: &Cli, _args: &Args) -> Result<ExitCode> {
    let (registry, _) = super::plugins(cli);
    let assembled = schema::relaxng(&registry);
    if cli.json {
        crate::report::print_json(serde_json::json!({
            "schema": assembled.text,
            "plugins": assembled.plugins,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    // Refused vocabularies were logged as warnings; a plugin without one is worth a note too,
    // since its elements then take anything.
    for p in assembled.plugins.iter().filter(|p| p.vocabulary == Vocabulary::Open) {
        tracing::info!(
            target: "netplug::schema",
            "plugin '{}' declares no vocabulary: its kinds and elements take any content",
            p.name
        );
    }
    print!("{}", assembled.text);
    Ok(ExitCode::SUCCESS)
}
