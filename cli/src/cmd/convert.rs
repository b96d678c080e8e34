//! `netplug convert --to libvirt|native FILE...`: rewrite documents in the other dialect,
//! saying on stderr what the target cannot express.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use netplug_core::dialect::{libvirt, native};
use netplug_core::xml;

use crate::Cli;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Native,
    Libvirt,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The dialect to write.
    #[arg(long, value_enum)]
    pub to: Target,
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Fail (exit 1) instead of dropping what the target dialect cannot express.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    // Conversion needs well-formed documents and a sound envelope, not the plugins: a file can
    // be converted on a machine that lacks the plugins to apply it.
    let loaded = super::read_documents(&args.files);
    if loaded.has_errors() {
        super::print_diagnostics(cli, &loaded);
        return Ok(ExitCode::from(1));
    }
    crate::report::diagnostics(false, &loaded.sources, &loaded.diagnostics);
    let (text, dropped) = match args.to {
        Target::Native => (xml::write(&native::write(&loaded.config)), Vec::new()),
        Target::Libvirt => libvirt::write_document(&loaded.config.interfaces),
    };
    for d in &dropped {
        eprintln!("netplug: warning: dropped (libvirt cannot express it): {d}");
    }
    if args.strict && !dropped.is_empty() {
        return Ok(ExitCode::from(1));
    }
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
