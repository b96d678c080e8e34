//! Shell completions for netplug: bash, zsh and fish scripts from its clap definitions
//! (clap_complete), with one addition clap cannot know: where a verb takes an interface name,
//! the names of the stored definitions (`NAME.xml` in the configuration directory, from
//! `--config-dir` on the line being completed, else `NETPLUG_CONFIG_DIR`, else `/etc/netplug`).
//! They are read by the shell from the directory, so completing never runs netplug.

use std::collections::BTreeMap;

use anyhow::{bail, Result};
use clap_complete::Shell;

/// The three scripts, ready to install.
pub struct Scripts {
    pub bash: String,
    pub zsh: String,
    pub fish: String,
}

pub fn scripts() -> Result<Scripts> {
    let names = name_args();
    Ok(Scripts {
        bash: bash(&generate(Shell::Bash), &names)?,
        zsh: zsh(&generate(Shell::Zsh), &names)?,
        fish: fish(&generate(Shell::Fish), &names),
    })
}

/// What a verb takes: the ids of its positionals that name an existing interface, and its
/// options that take a value (after which a word is that value, not a name).
#[derive(Default)]
struct Verb {
    name_args: Vec<String>,
    value_options: Vec<String>,
}

/// Whether a verb's positional names a defined interface. `bridge IFACE BRIDGE` names a new
/// bridge second; `unbridge BRIDGE` an existing one.
fn names_an_interface(verb: &str, value_name: &str) -> bool {
    matches!(value_name, "NAME" | "IFACE") || (verb == "unbridge" && value_name == "BRIDGE")
}

/// The verbs with a positional naming an interface, by verb name.
fn name_args() -> BTreeMap<String, Verb> {
    let mut cmd = netplug_cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut verbs = BTreeMap::new();
    for sub in cmd.get_subcommands() {
        let verb = sub.get_name();
        let mut found = Verb::default();
        for arg in sub.get_arguments() {
            let value_name = arg.get_value_names().and_then(|v| v.first()).map(|v| v.as_str());
            if arg.is_positional() {
                if value_name.is_some_and(|v| names_an_interface(verb, v)) {
                    found.name_args.push(arg.get_id().to_string());
                }
            } else if arg.get_num_args().is_some_and(|n| n.takes_values()) {
                if let Some(long) = arg.get_long() {
                    found.value_options.push(format!("--{long}"));
                }
                if let Some(short) = arg.get_short() {
                    found.value_options.push(format!("-{short}"));
                }
            }
        }
        if !found.name_args.is_empty() {
            verbs.insert(verb.to_string(), found);
        }
    }
    verbs
}

fn generate(shell: Shell) -> String {
    let mut cmd = netplug_cli::command().disable_help_subcommand(true);
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "netplug", &mut out);
    String::from_utf8(out).expect("completion scripts are UTF-8")
}

const BASH_NAMES: &str = r#"# The stored definitions' names (NAME.xml in the configuration directory).
_netplug_names() {
    local dir="${NETPLUG_CONFIG_DIR:-/etc/netplug}" i f
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --config-dir) dir="${COMP_WORDS[i+1]}" ;;
            --config-dir=*) dir="${COMP_WORDS[i]#--config-dir=}" ;;
        esac
    done
    for f in "$dir"/*.xml; do
        [[ -f $f ]] || continue
        f="${f##*/}"
        printf '%s\n' "${f%.xml}"
    done
}

"#;

/// bash: in each such verb's branch, a word that is neither an option nor an option's value
/// completes to the names.
fn bash(script: &str, verbs: &BTreeMap<String, Verb>) -> Result<String> {
    let mut out = String::from(BASH_NAMES);
    let mut hooked = 0;
    let mut pending: Option<&Verb> = None;
    for line in script.lines() {
        out.push_str(line);
        out.push('\n');
        let trimmed = line.trim();
        if let Some(label) = trimmed.strip_prefix("netplug__subcmd__").and_then(|l| l.strip_suffix(')')) {
            // clap_complete spells `wait-online` as `wait__subcmd__online` in its case labels.
            pending = verbs.iter().find(|(name, _)| name.replace('-', "__subcmd__") == label).map(|(_, v)| v);
        } else if let (Some(verb), true) = (pending, trimmed.starts_with("opts=")) {
            let values =
                if verb.value_options.is_empty() { "\"\"".to_string() } else { verb.value_options.join("|") };
            out.push_str(&format!(
                "            if [[ ${{cur}} != -* ]]; then\n                case \"${{prev}}\" in\n                    {values}) ;;\n                    *) COMPREPLY=( $(compgen -W \"$(_netplug_names)\" -- \"${{cur}}\") ); return 0 ;;\n                esac\n            fi\n"
            ));
            hooked += 1;
            pending = None;
        }
    }
    if hooked != verbs.len() {
        bail!(
            "bash completions: hooked {hooked} of {} verbs taking names; clap_complete's output changed",
            verbs.len()
        );
    }
    Ok(out)
}

const ZSH_NAMES: &str = r#"
# The stored definitions' names (NAME.xml in the configuration directory).
(( $+functions[_netplug_names] )) ||
_netplug_names() {
    local dir=${NETPLUG_CONFIG_DIR:-/etc/netplug} i
    local -a line names
    line=(${(z)BUFFER})
    for ((i = 1; i <= $#line; i++)); do
        case $line[i] in
            --config-dir) dir=${(Q)line[i+1]} ;;
            --config-dir=*) dir=${(Q)line[i]#--config-dir=} ;;
        esac
    done
    names=(${dir}/*.xml(N-.:t:r))
    _wanted interfaces expl 'defined interface' compadd -a names
}
"#;

/// zsh: the positional's action `_default` becomes `_netplug_names`.
fn zsh(script: &str, verbs: &BTreeMap<String, Verb>) -> Result<String> {
    let mut out = String::new();
    let mut verb: Option<&Verb> = None;
    let mut hooked = 0;
    let wanted: usize = verbs.values().map(|v| v.name_args.len()).sum();
    for (i, line) in script.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('(').and_then(|l| l.strip_suffix(')')) {
            verb = verbs.get(name);
        }
        let hook = verb.is_some_and(|v| {
            v.name_args.iter().any(|id| {
                let spec = trimmed.strip_prefix("'*::").or_else(|| trimmed.strip_prefix("':"));
                let named = spec.and_then(|s| s.strip_prefix(id.as_str()));
                // `:id:_default'` or `:id -- help:_default'`
                named.is_some_and(|s| {
                    (s.starts_with(':') || s.starts_with(" -- ")) && s.ends_with(":_default' \\")
                })
            })
        });
        if hook {
            out.push_str(&line.replace(":_default'", ":_netplug_names'"));
            hooked += 1;
        } else {
            out.push_str(line);
        }
        out.push('\n');
        if i == 0 {
            out.push_str(ZSH_NAMES);
        }
    }
    if hooked != wanted {
        bail!("zsh completions: hooked {hooked} of {wanted} interface arguments; clap_complete's output changed");
    }
    Ok(out)
}

/// fish: one more `complete` line for the verbs taking names.
fn fish(script: &str, verbs: &BTreeMap<String, Verb>) -> String {
    let names: Vec<&str> = verbs.keys().map(String::as_str).collect();
    format!(
        r#"{script}
# The stored definitions' names (NAME.xml in the configuration directory).
function __fish_netplug_names
    set -l dir /etc/netplug
    set -q NETPLUG_CONFIG_DIR; and set dir $NETPLUG_CONFIG_DIR
    set -l tokens (commandline -opc)
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case --config-dir
                set -l next (math $i + 1)
                set -q tokens[$next]; and set dir $tokens[$next]
            case '--config-dir=*'
                set dir (string replace -- --config-dir= '' $tokens[$i])
        end
    end
    for f in $dir/*.xml
        test -f $f; and basename $f .xml
    end
end

complete -c netplug -n "__fish_netplug_using_subcommand {}" -f -a "(__fish_netplug_names)" -d 'defined interface'
"#,
        names.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verb_naming_an_interface_completes_names() {
        let verbs = name_args();
        for verb in
            ["start", "stop", "undefine", "dumpxml", "edit", "mac", "show", "status", "bridge", "unbridge"]
        {
            assert!(verbs.contains_key(verb), "{verb} takes an interface name: {:?}", verbs.keys());
        }
        assert_eq!(verbs["bridge"].name_args, ["iface"], "bridge's second argument is a new bridge");
        assert!(!verbs.contains_key("apply") && !verbs.contains_key("name"), "FILE and MAC are not names");
        // The hooks fail loudly if clap_complete's output no longer has the shape they expect.
        let s = scripts().unwrap();
        assert!(s.bash.contains("_netplug_names()") && s.bash.contains("complete -F _netplug"));
        assert!(s.zsh.starts_with("#compdef netplug\n"));
        assert!(s.zsh.contains("'*::names:_netplug_names' \\"));
        let fish = "__fish_netplug_using_subcommand bridge dumpxml edit mac show start status stop unbridge undefine wait-online\"";
        assert!(s.fish.contains(fish), "{}", s.fish);
    }
}
