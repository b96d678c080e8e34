//! `netplug edit NAME` (`virsh iface-edit`): open the stored definition in `$VISUAL` or
//! `$EDITOR`, validate the result, and store it only if it is valid and still defines NAME.
//! Running the user's editor is the one program netplug starts, and only here.

use std::io::{BufRead, IsTerminal, Write};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};
use netplug_core::store::Store;

use crate::Cli;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(value_name = "NAME")]
    pub name: String,
}

pub fn run(cli: &Cli, args: &Args) -> Result<ExitCode> {
    let store = Store::new(&cli.config_dir);
    let original = store.read(&args.name)?;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join(format!("{}.xml", args.name));
    std::fs::write(&path, &original)?;
    let editor =
        std::env::var_os("VISUAL").or_else(|| std::env::var_os("EDITOR")).unwrap_or_else(|| "vi".into());
    let (registry, _) = super::plugins(cli);
    loop {
        let status = Command::new(&editor)
            .arg(&path)
            .status()
            .with_context(|| format!("cannot run the editor {}", editor.to_string_lossy()))?;
        if !status.success() {
            bail!("the editor failed ({status}); {} is unchanged", args.name);
        }
        let edited = std::fs::read_to_string(&path)?;
        if edited == original {
            println!("{}: unchanged", args.name);
            return Ok(ExitCode::SUCCESS);
        }
        let loaded = super::load_and_validate(cli, std::slice::from_ref(&path), &registry);
        let mut problem = super::print_diagnostics(cli, &loaded);
        let names: Vec<&str> = loaded.config.interfaces.iter().map(|i| i.name.as_str()).collect();
        if !problem && names != [args.name.as_str()] {
            eprintln!(
                "netplug: error: the document must define exactly `{}` (it defines {names:?})",
                args.name
            );
            problem = true;
        }
        if !problem {
            let _lock = super::engine::lock(cli)?;
            store.define(&loaded.config.interfaces[0])?;
            println!("{}: definition updated", args.name);
            return Ok(ExitCode::SUCCESS);
        }
        if !again()? {
            eprintln!("netplug: {} is unchanged", args.name);
            return Ok(ExitCode::from(1));
        }
    }
}

/// Ask whether to edit again, as virsh does; never when not talking to a person.
fn again() -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    eprint!("edit again? [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}
