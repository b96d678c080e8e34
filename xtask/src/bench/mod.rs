//! `bench`: netplug against `ip -batch` doing the same work, side by side in the same run, each
//! timed as a whole process in a fresh network namespace, reported as ratios.
//!
//! For each case and size the chore times, best of R runs:
//! * `ip -n NS -batch FILE` (one process) in one fresh namespace;
//! * in another fresh namespace, the netplug verbs in the order that splits the cost:
//!   `plugins` (loading), `validate FILE` (+ parsing, validation), `plan FILE` (+ reading and
//!   planning from empty), `apply FILE` (the number compared with `ip`), `apply FILE` again (the
//!   no-change re-apply) and `plan FILE` on the applied state.
//!
//! Both namespaces get the same IPv6 setting and both runs wait for earlier namespaces'
//! teardown first; the states the two tools leave are compared. Targets are reported, never
//! asserted. See docs/performance.md.
//!
//! The `vlans` case needs 802.1Q, which this machine's kernel lacks: it runs in the `vm-test`
//! guest (`vlans.rs`), and `--no-vm` leaves it out of a full run.

mod netns;
mod report;
mod run;
mod vlans;
mod workload;

use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::util::{cargo, root, run as run_cmd};
use workload::Case;

/// What one invocation measures and how.
pub struct Options {
    pub sizes: Vec<usize>,
    /// Sizes the `routes` case adds to `sizes`: 50,000 in a full run (a router's full table).
    pub routes_extra: Vec<usize>,
    pub cases: Vec<Case>,
    /// Runs per measurement; `None` is 3 below 10,000 items and 1 from there (teardowns of
    /// 10,000 bridges take minutes).
    pub runs: Option<usize>,
    pub ipv6: bool,
    pub write: bool,
    pub build: bool,
    /// Also time the raw-netlink floors: for bridges (`bench_bridges`, sizes up to 1,000) and
    /// for routes (`bench_routes`, every size).
    pub floor: bool,
    /// Run the `vlans` case in the vm-test guest.
    pub vlans: bool,
}

/// The command line of `bench`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Sizes to measure, comma-separated (default 100,1000,10000).
    #[arg(long, value_name = "N,N,..")]
    sizes: Option<String>,
    /// Sizes 100 and 1000 only.
    #[arg(long, conflicts_with = "sizes")]
    quick: bool,
    /// Cases to run, comma-separated: veth, routes, bridges, ports, vlans (default: all).
    #[arg(long, value_name = "CASE,..")]
    only: Option<String>,
    /// Runs per measurement (default: as many as a size affords).
    #[arg(long, value_name = "R")]
    runs: Option<usize>,
    /// IPv6 in the namespaces.
    #[arg(long, value_name = "on|off", default_value = "off", value_parser = ["on", "off"])]
    ipv6: String,
    /// Put the results into docs/performance.md.
    #[arg(long)]
    write: bool,
    /// Use the release binaries as they are.
    #[arg(long)]
    no_build: bool,
    /// Leave out the raw-netlink floors (bridges, routes).
    #[arg(long)]
    no_floor: bool,
    /// Leave out the vlans case (it runs in the qemu guest).
    #[arg(long)]
    no_vm: bool,
    /// Seconds to wait, before each run, for the CPUs to be mostly idle (then time anyway).
    #[arg(long, value_name = "SECS", default_value_t = 20.0)]
    idle_wait: f64,
    #[command(subcommand)]
    guest: Option<GuestMode>,
}

/// What the vm-test guest runs of the bench: this same binary, in a mode of its own.
#[derive(clap::Subcommand)]
enum GuestMode {
    /// The vlans case's timer, as the vm-test guest runs it.
    #[command(name = vlans::GUEST_MODE, hide = true)]
    GuestVlans(vlans::GuestArgs),
}

impl Options {
    fn parse(args: &Args) -> Result<Options> {
        let sizes = match &args.sizes {
            Some(list) => list
                .split(',')
                .map(|s| {
                    s.trim().replace('_', "").parse::<usize>().with_context(|| format!("bad size `{s}`"))
                })
                .collect::<Result<Vec<_>>>()?,
            None if args.quick => vec![100, 1_000],
            None => vec![100, 1_000, 10_000],
        };
        let only = &args.only;
        let vlans = match &only {
            Some(list) => list.split(',').any(|s| s.trim() == "vlans"),
            None => !args.no_vm,
        };
        let cases = match only {
            Some(list) => list
                .split(',')
                .filter(|s| s.trim() != "vlans")
                .map(|s| {
                    Case::parse(s.trim()).with_context(|| {
                        let names: Vec<_> = workload::ALL.iter().map(|c| c.name()).collect();
                        format!("unknown case `{s}` (known: {}, vlans)", names.join(", "))
                    })
                })
                .collect::<Result<Vec<_>>>()?,
            None => workload::ALL.to_vec(),
        };
        for &n in &sizes {
            if n == 0 || cases.iter().any(|c| n > c.max_size()) {
                bail!("size {n} out of range (1..={})", Case::Veth.max_size());
            }
        }
        let runs = args.runs;
        if runs == Some(0) {
            bail!("--runs must be at least 1");
        }
        let ipv6 = args.ipv6 == "on";
        let routes_extra = if args.sizes.is_none() && !args.quick { vec![ROUTES_FULL_TABLE] } else { vec![] };
        Ok(Options {
            sizes,
            routes_extra,
            cases,
            runs,
            ipv6,
            write: args.write,
            build: !args.no_build,
            floor: !args.no_floor,
            vlans,
        })
    }

    /// The sizes `case` is measured at.
    pub fn sizes_for(&self, case: Case) -> Vec<usize> {
        let mut sizes = self.sizes.clone();
        if case == Case::Routes {
            sizes.extend(&self.routes_extra);
        }
        sizes
    }

    /// Runs per size, as many as a size can afford: other work on these shared machines moved
    /// the best of three runs at 100 items (a few milliseconds) by a third, while a run there
    /// costs a tenth of a second. So 15 runs up to 100 items, 7 up to 1,000, 5 beyond; one
    /// for bridges from 10,000 (tearing 10,000 bridges down takes minutes), and 3 for the
    /// guest's VLAN case (`case` `None`: under TCG every run is slow).
    pub fn runs_for(&self, case: Option<Case>, n: usize) -> usize {
        let affordable = match (case, n) {
            (None, _) => 3,
            (_, ..=100) => 15,
            (_, ..=1_000) => 7,
            (Some(Case::Bridges), 10_000..) => 1,
            _ => 5,
        };
        self.runs.unwrap_or(affordable)
    }
}

/// The routes case's extra size in a full run: the full routing table.
const ROUTES_FULL_TABLE: usize = 50_000;

/// Where the binaries under test are.
pub struct Binaries {
    pub netplug: PathBuf,
    pub validate_order: PathBuf,
    pub bench_bridges: PathBuf,
    pub bench_routes: PathBuf,
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

fn build(opts: &Options) -> Result<Binaries> {
    let release = target_dir().join("release");
    let bins = Binaries {
        netplug: release.join("netplug"),
        validate_order: release.join("examples/validate_order"),
        bench_bridges: release.join("examples/bench_bridges"),
        bench_routes: release.join("examples/bench_routes"),
    };
    if !opts.build {
        return Ok(bins);
    }
    // Every plugin the repository ships (veth among them), as an install would have them:
    // loading is timed too.
    let mut cmd = cargo();
    cmd.args(["build", "--release", "--package", "netplug"]);
    for p in crate::dist::PLUGINS {
        cmd.args(["--package", &format!("netplug-plugin-{p}")]);
    }
    run_cmd(&mut cmd)?;
    if !opts.cases.is_empty() {
        run_cmd(cargo().args(["build", "--release", "-p", "netplug-core", "--example", "validate_order"]))?;
    }
    if opts.floor && opts.cases.contains(&Case::Bridges) {
        run_cmd(cargo().args(["build", "--release", "-p", "netplug-netlink", "--example", "bench_bridges"]))?;
    }
    if opts.floor && opts.cases.contains(&Case::Routes) {
        run_cmd(cargo().args(["build", "--release", "-p", "netplug-netlink", "--example", "bench_routes"]))?;
    }
    Ok(bins)
}

pub fn main(args: Args) -> Result<()> {
    if let Some(GuestMode::GuestVlans(guest)) = args.guest {
        return vlans::guest(&guest);
    }
    let opts = Options::parse(&args)?;
    netns::set_idle_wait(std::time::Duration::from_secs_f64(args.idle_wait.max(0.0)));
    if !std::path::Path::new("/run").exists() || std::process::Command::new("ip").arg("-V").output().is_err()
    {
        bail!("bench needs iproute2's `ip` and root");
    }
    netns::remove_stale()?;
    let bins = build(&opts)?;
    if !opts.cases.is_empty() {
        host_cases(&bins, &opts)?;
    }
    if opts.vlans {
        let results = vlans::run(&bins, &opts)?;
        print!("{}", results.text());
        if opts.write {
            let path = root().join("docs/performance.md");
            results.write_doc(&path)?;
            eprintln!("bench: wrote the vlans section of {}", path.display());
        }
    }
    Ok(())
}

/// The cases this machine's kernel can run.
fn host_cases(bins: &Binaries, opts: &Options) -> Result<()> {
    let machine = report::Machine::probe();
    eprintln!("bench: {machine}");
    let core = run::core_bench(bins, &opts.sizes)?;
    let floor = if opts.floor && opts.cases.contains(&Case::Bridges) {
        run::floor(bins, &opts.sizes)?
    } else {
        Vec::new()
    };
    let mut rows = Vec::new();
    for &case in &opts.cases {
        for n in opts.sizes_for(case) {
            let row = run::measure(case, n, bins, opts)?;
            eprintln!("{}", report::row_line(&row));
            rows.push(row);
        }
    }
    let results = report::Results { machine, opts, rows, core, floor };
    print!("{}", results.text());
    if opts.write {
        let path = root().join("docs/performance.md");
        report::write_doc(&path, &results)?;
        eprintln!("bench: wrote {}", path.display());
    }
    Ok(())
}
