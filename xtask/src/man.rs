//! Man pages: `netplug(8)` and `netplug-VERB(8)` from netplug's clap definitions
//! (clap_mangen), and `netplug.xml(5)` from `docs/format.md`, the one description of the
//! native dialect. `cargo xtask man` writes them, with the completions, into a directory;
//! `install`, `dist` and `deb` put them in place.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap_mangen::Man;

use crate::util::root;

/// The command line of `man`.
#[derive(clap::Args)]
pub struct Args {
    /// Where to write `man5/`, `man8/` and `completions/` (default target/man).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(args: &Args) -> Result<()> {
    let out = args.out.clone().unwrap_or_else(|| root().join("target/man"));
    let pages = write_pages(&out)?;
    for p in &pages {
        println!("{}", p.display());
    }
    let scripts = crate::completions::scripts()?;
    let dir = out.join("completions");
    fs::create_dir_all(&dir)?;
    for (file, text) in
        [("netplug.bash", &scripts.bash), ("_netplug", &scripts.zsh), ("netplug.fish", &scripts.fish)]
    {
        fs::write(dir.join(file), text)?;
        println!("{}", dir.join(file).display());
    }
    Ok(())
}

/// How netplug exits: the table of `docs/json.md` ("Exit statuses"), the one list of them,
/// kept with `cli/src/exit.rs`: (status, meaning in roff).
fn exit_statuses() -> Result<Vec<(String, String)>> {
    let path = root().join("docs/json.md");
    let text = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Exit statuses"))
        .with_context(|| format!("{} has no \"## Exit statuses\" section", path.display()))?;
    let rows: Vec<(String, String)> = section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.trim().trim_matches('|').split('|').map(str::trim).collect();
            match cells.as_slice() {
                [status, meaning] if status.parse::<u8>().is_ok() => {
                    Some((status.to_string(), crate::mdroff::inline(meaning)))
                }
                _ => None,
            }
        })
        .collect();
    if rows.is_empty() {
        bail!("no statuses in the table of {}'s \"Exit statuses\"", path.display());
    }
    Ok(rows)
}

const ENVIRONMENT: &[(&str, &str)] = &[
    ("NETPLUG_CONFIG_DIR", "Where definitions are stored, as --config-dir (default /etc/netplug)."),
    (
        "NETPLUG_RUN_DIR",
        "Runtime state: the lock, leases, the plugin index, as --run-dir (default /run/netplug).",
    ),
    (
        "NETPLUG_STATE_DIR",
        "Transactions and pending confirmations, as --state-dir (default /var/lib/netplug).",
    ),
    ("NETPLUG_PLUGIN_PATH", "Directories searched for plugins after --plugin-dir, separated by colons."),
    ("NETPLUG_LOG", "A tracing env-filter specification overriding -v and -q, e.g. netplug=debug."),
    ("VISUAL, EDITOR", "The editor netplug edit runs."),
    ("NO_COLOR", "When set and not empty, no colours in log lines."),
    (
        "JOURNAL_STREAM",
        "Set by systemd when stderr is the journal: netplug then logs to journald, with priorities and NETPLUG_ fields.",
    ),
];

const FILES: &[(&str, &str)] = &[
    ("/etc/netplug/NAME.xml", "The stored definition of interface NAME (netplug define, edit, undefine)."),
    ("/usr/lib/netplug/plugins/", "The installed plugins; one shared object per kind or feature."),
    ("/run/netplug/", "The lock, DHCP leases and generated resolv.conf and yp.conf."),
    ("/var/lib/netplug/", "The journal of an open transaction or an unconfirmed apply."),
    (
        "netplug-apply.service, netplug-daemon.service",
        "The systemd units: apply the onboot definitions at boot; keep them as defined.",
    ),
];

/// Write every page under `dir` (`man8/netplug.8`, `man8/netplug-VERB.8`,
/// `man5/netplug.xml.5`), uncompressed; return their paths.
pub fn write_pages(dir: &Path) -> Result<Vec<PathBuf>> {
    let man8 = dir.join("man8");
    let man5 = dir.join("man5");
    fs::create_dir_all(&man8)?;
    fs::create_dir_all(&man5)?;
    let mut written = Vec::new();

    let mut cmd = netplug_cli::command().disable_help_subcommand(true);
    // Expands the deferred subcommands and propagates the global options into them.
    cmd.build();
    let verbs: Vec<clap::Command> = cmd.get_subcommands().filter(|c| !c.is_hide_set()).cloned().collect();

    let date = date();
    let path = man8.join("netplug.8");
    fs::write(&path, main_page(cmd, &date)?)?;
    written.push(path);
    for verb in verbs {
        let name = verb.get_display_name().unwrap_or(verb.get_name()).to_string();
        let path = man8.join(format!("{name}.8"));
        fs::write(&path, verb_page(verb, &date)?)?;
        written.push(path);
    }

    let format = root().join("docs/format.md");
    let markdown = fs::read_to_string(&format).with_context(|| format!("reading {}", format.display()))?;
    let path = man5.join("netplug.xml.5");
    let page = crate::mdroff::Page {
        title: "NETPLUG.XML",
        section: "5",
        source: &source(),
        date: &date,
        manual: "File Formats",
        name: "netplug.xml",
        summary: "the native XML dialect of netplug's interface documents",
        see_also: &["netplug(8)", "virsh(1)"],
    };
    fs::write(&path, crate::mdroff::render(&page, &markdown))?;
    written.push(path);
    Ok(written)
}

fn source() -> String {
    format!("netplug {}", env!("CARGO_PKG_VERSION"))
}

/// The pages' date, `YYYY-MM-DD`: `SOURCE_DATE_EPOCH` when set (reproducible builds), else the
/// date of the commit built, so that building the same source twice writes the same pages.
/// Without either (a tree outside git), none.
fn date() -> String {
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok().or_else(|| {
        let out = std::process::Command::new("git")
            .args(["log", "-1", "--format=%ct"])
            .current_dir(root())
            .output()
            .ok()?;
        out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
    });
    match epoch.as_deref().map(str::parse::<i64>) {
        Some(Ok(seconds)) => iso_date(seconds),
        _ => {
            eprintln!("man pages: no SOURCE_DATE_EPOCH and no git commit: the pages carry no date");
            String::new()
        }
    }
}

/// `YYYY-MM-DD` of a Unix time, in UTC (the proleptic Gregorian calendar, as `date -u +%F`).
fn iso_date(seconds: i64) -> String {
    // Days since 1970-01-01 to a civil date: Howard Hinnant's days_from_civil, inverted.
    let z = seconds.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn man(cmd: clap::Command, date: &str) -> Man {
    let title = cmd.get_display_name().unwrap_or(cmd.get_name()).to_uppercase();
    Man::new(cmd).title(title).section("8").date(date).source(source()).manual("System Administration")
}

fn main_page(cmd: clap::Command, date: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    man(cmd, date).render(&mut out)?;
    let mut extra = String::new();
    extra.push_str(".SH \"EXIT STATUS\"\nEvery verb exits with one of these statuses:\n");
    for (status, meaning) in exit_statuses()? {
        extra.push_str(&format!(".TP\n\\fB{status}\\fR\n{meaning}\n"));
    }
    definition_list(&mut extra, "ENVIRONMENT", ENVIRONMENT);
    definition_list(&mut extra, "FILES", FILES);
    extra.push_str(
        ".SH \"SEE ALSO\"\n\\fBnetplug.xml\\fR(5), \\fBsystemctl\\fR(1), \\fBip\\fR(8); \
         each verb's page, \\fBnetplug\\-VERB\\fR(8); /usr/share/doc/netplug/ for the guides.\n",
    );
    out.extend_from_slice(extra.as_bytes());
    Ok(out)
}

fn verb_page(cmd: clap::Command, date: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    man(cmd, date).render(&mut out)?;
    out.extend_from_slice(
        b".SH \"EXIT STATUS\"\nAs for every verb; see \\fBnetplug\\fR(8).\n\
          .SH \"SEE ALSO\"\n\\fBnetplug\\fR(8), \\fBnetplug.xml\\fR(5)\n",
    );
    Ok(out)
}

fn definition_list(out: &mut String, heading: &str, rows: &[(&str, &str)]) {
    out.push_str(&format!(".SH \"{heading}\"\n"));
    for (term, text) in rows {
        out.push_str(&format!(
            ".TP\n\\fB{}\\fR\n{}\n",
            crate::mdroff::escape(term),
            crate::mdroff::escape(text)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::iso_date;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(iso_date(0), "1970-01-01");
        assert_eq!(iso_date(951_782_400), "2000-02-29");
        assert_eq!(iso_date(1_798_761_599), "2026-12-31");
        assert_eq!(iso_date(1_798_761_600), "2027-01-01");
    }
}
