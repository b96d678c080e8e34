//! `netplug convert --to libvirt|native FILE...`: rewrite documents in the other dialect,
//! saying on stderr what the target cannot express.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use netplug_core::dialect::{libvirt, native};
use netplug_core::xml;

use serde_json::json;

use crate::exit::Exit;
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
    // Conversion needs well-formed documents and a sound envelope, and for the libvirt dialect
    // the plugins of its kinds, which translate their subtrees both ways; it does not validate
    // with them.
    let (registry, _) = super::plugins(cli);
    let loaded = super::read_documents(&args.files, &registry);
    if loaded.has_errors() {
        super::print_diagnostics(cli, &loaded);
        return Ok(Exit::Failed.into());
    }
    let (text, dropped) = match args.to {
        Target::Native => (xml::write(&native::write(&loaded.config)), Vec::new()),
        Target::Libvirt => libvirt::write_document(&loaded.config.interfaces, &registry),
    };
    let refused = args.strict && !dropped.is_empty();
    if cli.json {
        let mut doc = crate::report::diagnostics_json(&loaded.sources, &loaded.diagnostics);
        doc["to"] = json!(match args.to {
            Target::Native => "native",
            Target::Libvirt => "libvirt",
        });
        doc["dropped"] = json!(dropped);
        doc["document"] = json!((!refused).then_some(&text));
        crate::report::print_json(doc);
        return Ok(Exit::failed_if(refused));
    }
    crate::report::diagnostics(false, &loaded.sources, &loaded.diagnostics);
    for d in &dropped {
        eprintln!("netplug: warning: dropped (libvirt cannot express it): {d}");
    }
    if refused {
        return Ok(Exit::Failed.into());
    }
    print!("{text}");
    if !text.ends_with('\n') {
        println!();
    }
    Ok(ExitCode::SUCCESS)
}
