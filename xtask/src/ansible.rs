//! `ansible-test`: the Ansible collection's own checks, `ansible-test sanity` and `ansible-test
//! units`, run locally (no containers) with the machine's ansible-core.
//!
//! ansible-test wants the collection at `.../ansible_collections/netplug/host`, so it is copied
//! into a temporary directory first. Two things of this machine are worked around, both
//! documented in docs/fleet.md:
//! - Sanity tests run in virtual environments that ansible-test bootstraps with a `get-pip.py`
//!   downloaded from a host that cannot be reached here. ansible-test takes that script from its
//!   cache if present, so `tests/ansible/get_pip_standin.py` is put there: it bootstraps pip with
//!   the environment's own `ensurepip`, then installs what ansible-test asked for from the
//!   package index.
//! - Unit tests run in a virtual environment made here with pytest below 9 (the constraint in
//!   `ansible/tests/unit/constraints.txt`), given to ansible-test as its interpreter.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::util::{root, run};

/// The Python ansible-core runs with (Debian's package uses the system one).
const PYTHON: &str = "/usr/bin/python3";

#[derive(clap::Args)]
pub struct Args {}

pub fn run_all(_args: &Args) -> Result<()> {
    if Command::new("ansible-test").arg("--version").output().is_err() {
        bail!("ansible-test not found: install ansible-core (`apt-get install ansible-core`; .ci/run does)");
    }
    // Outside the git work tree: inside one, ansible-test only sees files git tracks.
    let copy = std::env::temp_dir().join(format!("netplug-ansible-test-{}", std::process::id()));
    let collection = copy.join("ansible_collections/netplug/host");
    copy_dir(&root().join("ansible"), &collection)?;
    let result = checks(&collection);
    let _ = std::fs::remove_dir_all(&copy);
    result
}

fn checks(collection: &Path) -> Result<()> {
    let version = python_version()?;
    install_pip_standin()?;
    run(Command::new("ansible-test")
        .args(["sanity", "--color", "no", "--python", &version])
        .current_dir(collection))?;
    let venv = units_venv(&root().join("target/ansible-test"))?;
    run(Command::new("ansible-test")
        .args(["units", "--color", "no", "--python", &version, "--python-interpreter"])
        .arg(venv.join("bin/python"))
        .current_dir(collection))?;
    Ok(())
}

/// `X.Y` of the Python ansible-core runs with.
fn python_version() -> Result<String> {
    let out = Command::new(PYTHON)
        .args(["-c", "import sys; print('%d.%d' % sys.version_info[:2])"])
        .output()
        .with_context(|| format!("run {PYTHON}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Put the get-pip stand-in where ansible-test looks for its cached bootstrap script, under
/// the pip version this ansible-test pins (unless a real one is there already).
fn install_pip_standin() -> Result<()> {
    let out = Command::new(PYTHON)
        .args(["-c", "import ansible_test, os; print(os.path.dirname(ansible_test.__file__))"])
        .output()
        .context("locate ansible_test")?;
    let package = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    let source = std::fs::read_to_string(package.join("_internal/python_requirements.py"))
        .context("read ansible-test's python_requirements.py")?;
    let pip = source
        .split("pip='")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .context("no pinned pip version in ansible-test")?;
    let home = std::env::var_os("HOME").context("HOME is not set")?;
    let cache = Path::new(&home).join(".ansible/test/cache");
    let target = cache.join(format!("get_pip_{}.py", pip.replace('.', "_")));
    if !target.exists() {
        std::fs::create_dir_all(&cache)?;
        std::fs::copy(root().join("tests/ansible/get_pip_standin.py"), &target)
            .with_context(|| format!("write {}", target.display()))?;
    }
    Ok(())
}

/// A virtual environment with what ansible-test's unit tests need, made once.
fn units_venv(work: &Path) -> Result<PathBuf> {
    let venv = work.join("units-venv");
    let constraints = root().join("ansible/tests/unit/constraints.txt");
    if !venv.join("bin/pytest").exists() {
        run(Command::new(PYTHON).args(["-m", "venv"]).arg(&venv))?;
        run(Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-c"])
            .arg(&constraints)
            .args(["pytest", "pytest-forked", "pytest-xdist", "pytest-mock", "mock", "pyyaml"]))?;
    }
    Ok(venv)
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| from.display().to_string())? {
        let entry = entry?;
        let name = entry.file_name();
        // ansible-test's own output from a run in the source tree.
        if name == "output" && from.ends_with("tests") {
            continue;
        }
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            copy_dir(&path, &to.join(&name))?;
        } else {
            std::fs::copy(&path, to.join(&name)).with_context(|| path.display().to_string())?;
        }
    }
    Ok(())
}
