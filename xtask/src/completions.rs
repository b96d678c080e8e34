//! Shell completions for netplug: bash, zsh and fish scripts from its clap definitions
//! (clap_complete), with one addition clap cannot know: where a verb takes an interface name,
//! the names it can take. A verb acting on definitions (`start`, `edit`…) completes the stored
//! definitions' names (`NAME.xml` in the configuration directory, from `--config-dir` on the
//! line being completed, else `NETPLUG_CONFIG_DIR`, else `/etc/netplug`), read by the shell
//! from the directory. A verb reading live state (`show`, `mac`, `bridge IFACE`…) completes
//! those and the live devices: `/sys/class/net` in the shell's own namespace, or, with
//! `--netns NAME` on the line, that namespace's, which only netplug entering it can list
//! (the hidden `netplug --netns NAME __complete devices`; needs root, as entering does).

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

/// What a positional of a verb completes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Completion {
    /// The stored definitions' names.
    Names,
    /// The machine's network devices and the stored definitions' names.
    Devices,
    /// Nothing: a name that does not exist yet (`bridge IFACE BRIDGE`'s bridge).
    Nothing,
}

/// What a verb takes: its positionals that name an interface, in order, and its options that
/// take a value (after which a word is that value, not a name).
#[derive(Default)]
struct Verb {
    /// (clap id, what it completes to).
    positionals: Vec<(String, Completion)>,
    /// Whether the last positional takes any number of words (`show NAME...`).
    variadic: bool,
    value_options: Vec<String>,
}

impl Verb {
    /// What a verb taking any number of names of one sort completes to: then every word not
    /// an option completes to them, wherever it is on the line.
    fn everywhere(&self) -> Option<Completion> {
        match self.positionals.as_slice() {
            [(_, c)] if self.variadic && *c != Completion::Nothing => Some(*c),
            _ => None,
        }
    }
}

/// What a verb's positional completes to, if it names an interface. Verbs reading the kernel
/// take a device or a definition (`bridge IFACE BRIDGE` puts a new bridge over one; `unbridge
/// BRIDGE` names an existing bridge); the others act on definitions.
fn completion(verb: &str, value_name: &str) -> Option<Completion> {
    match (verb, value_name) {
        ("bridge", "IFACE") | ("show" | "dumpxml" | "mac", "NAME") | ("unbridge", "BRIDGE") => {
            Some(Completion::Devices)
        }
        ("bridge", "BRIDGE") => Some(Completion::Nothing),
        (_, "NAME" | "IFACE") => Some(Completion::Names),
        _ => None,
    }
}

/// netplug's clap definition without its hidden verbs, which clap_complete would offer.
fn visible_command() -> clap::Command {
    // clap takes names as &'static str; a chore building three scripts keeps one copy alive.
    let full: &'static clap::Command = Box::leak(Box::new(netplug_cli::command()));
    let mut cmd = clap::Command::new(full.get_name())
        .version(full.get_version())
        .about(full.get_about().cloned().unwrap_or_default())
        .propagate_version(true)
        .disable_help_subcommand(true);
    for arg in full.get_arguments().filter(|a| !matches!(a.get_id().as_str(), "help" | "version")) {
        cmd = cmd.arg(arg.clone());
    }
    for sub in full.get_subcommands().filter(|s| !s.is_hide_set()) {
        cmd = cmd.subcommand(sub.clone());
    }
    cmd
}

/// The verbs with a positional naming an interface, by verb name.
fn name_args() -> BTreeMap<String, Verb> {
    let mut cmd = visible_command();
    cmd.build();
    let mut verbs = BTreeMap::new();
    for sub in cmd.get_subcommands() {
        let verb = sub.get_name();
        let mut found = Verb::default();
        for arg in sub.get_arguments() {
            let value_name = arg.get_value_names().and_then(|v| v.first()).map(|v| v.as_str());
            if arg.is_positional() {
                if let Some(c) = value_name.and_then(|v| completion(verb, v)) {
                    found.positionals.push((arg.get_id().to_string(), c));
                    found.variadic = matches!(arg.get_action(), clap::ArgAction::Append);
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
        if found.positionals.iter().any(|(_, c)| *c != Completion::Nothing) {
            verbs.insert(verb.to_string(), found);
        }
    }
    verbs
}

fn generate(shell: Shell) -> String {
    let mut cmd = visible_command();
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

# The network devices (but lo) and the stored definitions' names. With --netns NAME on the
# line, that namespace's devices, listed by netplug inside it.
_netplug_devices() {
    local ns= i d
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            --netns) ns="${COMP_WORDS[i+1]}" ;;
            --netns=*) ns="${COMP_WORDS[i]#--netns=}" ;;
        esac
    done
    {
        _netplug_names
        if [[ -n $ns ]]; then
            "${COMP_WORDS[0]}" --netns "$ns" __complete devices 2>/dev/null
        else
            for d in /sys/class/net/*; do
                [[ -e $d && ${d##*/} != lo ]] && printf '%s\n' "${d##*/}"
            done
        fi
    } | sort -u
}

# Which positional of VERB the word being completed is (0 for the first), skipping options
# and the values of the options given after VERB.
_netplug_position() {
    local verb=$1 i n=-1 skip=0 w o
    shift
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${COMP_WORDS[i]}"
        if ((skip)); then skip=0; continue; fi
        if ((n < 0)); then [[ $w == "$verb" ]] && n=0; continue; fi
        if [[ $w == -* ]]; then
            for o in "$@"; do [[ $w == "$o" ]] && skip=1; done
            continue
        fi
        n=$((n + 1))
    done
    printf '%s\n' "$n"
}

"#;

/// bash: in each such verb's branch, a word that is neither an option nor an option's value
/// completes to the names.
fn bash(script: &str, verbs: &BTreeMap<String, Verb>) -> Result<String> {
    let mut out = String::from(BASH_NAMES);
    let mut hooked = 0;
    let mut pending: Option<(&str, &Verb)> = None;
    for line in script.lines() {
        out.push_str(line);
        out.push('\n');
        let trimmed = line.trim();
        if let Some(label) = trimmed.strip_prefix("netplug__subcmd__").and_then(|l| l.strip_suffix(')')) {
            // clap_complete spells `wait-online` as `wait__subcmd__online` in its case labels.
            pending = verbs
                .iter()
                .find(|(name, _)| name.replace('-', "__subcmd__") == label)
                .map(|(name, v)| (name.as_str(), v));
        } else if let (Some((name, verb)), true) = (pending, trimmed.starts_with("opts=")) {
            let values =
                if verb.value_options.is_empty() { "\"\"".to_string() } else { verb.value_options.join("|") };
            let complete = if let Some(c) = verb.everywhere() {
                let words = if c == Completion::Devices { "_netplug_devices" } else { "_netplug_names" };
                format!("COMPREPLY=( $(compgen -W \"$({words})\" -- \"${{cur}}\") )")
            } else {
                let mut arms = String::new();
                for (i, (_, c)) in verb.positionals.iter().enumerate() {
                    let words = match c {
                        Completion::Names => "$(compgen -W \"$(_netplug_names)\" -- \"${cur}\")",
                        Completion::Devices => "$(compgen -W \"$(_netplug_devices)\" -- \"${cur}\")",
                        Completion::Nothing => "",
                    };
                    arms.push_str(&format!("{i}) COMPREPLY=( {words} ) ;; "));
                }
                format!(
                    "case $(_netplug_position {name} {}) in {arms}*) COMPREPLY=() ;; esac",
                    verb.value_options.join(" ")
                )
            };
            out.push_str(&format!(
                "            if [[ ${{cur}} != -* ]]; then\n                case \"${{prev}}\" in\n                    {values}) ;;\n                    *) {complete}; return 0 ;;\n                esac\n            fi\n"
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

# The network devices (but lo) and the stored definitions' names. With --netns NAME on the
# line, that namespace's devices, listed by netplug inside it.
(( $+functions[_netplug_devices] )) ||
_netplug_devices() {
    local ns i
    local -a line devices
    line=(${(z)BUFFER})
    for ((i = 1; i <= $#line; i++)); do
        case $line[i] in
            --netns) ns=${(Q)line[i+1]} ;;
            --netns=*) ns=${(Q)line[i]#--netns=} ;;
        esac
    done
    if [[ -n $ns ]]; then
        devices=(${(f)"$(${(Q)line[1]} --netns $ns __complete devices 2>/dev/null)"})
    else
        devices=(/sys/class/net/*(N:t))
    fi
    devices=(${devices:#lo})
    _alternative 'devices:network device:compadd -a devices' 'interfaces:defined interface:_netplug_names'
}
"#;

/// zsh: the positional's action `_default` becomes `_netplug_names` (or `_netplug_devices`,
/// or nothing: `' '`).
fn zsh(script: &str, verbs: &BTreeMap<String, Verb>) -> Result<String> {
    let mut out = String::new();
    let mut verb: Option<&Verb> = None;
    let mut hooked = 0;
    let wanted: usize = verbs.values().map(|v| v.positionals.len()).sum();
    for (i, line) in script.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix('(').and_then(|l| l.strip_suffix(')')) {
            verb = verbs.get(name);
        }
        let hook = verb.and_then(|v| {
            v.positionals.iter().find_map(|(id, c)| {
                let spec = trimmed.strip_prefix("'*::").or_else(|| trimmed.strip_prefix("':"));
                let named = spec.and_then(|s| s.strip_prefix(id.as_str()));
                // `:id:_default'` or `:id -- help:_default'`
                named
                    .is_some_and(|s| {
                        (s.starts_with(':') || s.starts_with(" -- ")) && s.ends_with(":_default' \\")
                    })
                    .then_some(*c)
            })
        });
        if let Some(c) = hook {
            let action = match c {
                Completion::Names => ":_netplug_names'",
                Completion::Devices => ":_netplug_devices'",
                Completion::Nothing => ": '",
            };
            out.push_str(&line.replace(":_default'", action));
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

/// fish: one more `complete` line for the verbs taking names anywhere, and one per positional
/// for the others.
fn fish(script: &str, verbs: &BTreeMap<String, Verb>) -> String {
    let everywhere = |c: Completion| -> Vec<&str> {
        verbs.iter().filter(|(_, v)| v.everywhere() == Some(c)).map(|(n, _)| n.as_str()).collect()
    };
    let (names, devices) = (everywhere(Completion::Names), everywhere(Completion::Devices));
    let mut by_position = String::new();
    for (name, verb) in verbs.iter().filter(|(_, v)| v.everywhere().is_none()) {
        let options = verb.value_options.join(" ");
        // A positional that completes to nothing must not complete files either.
        by_position
            .push_str(&format!("complete -c netplug -n \"__fish_netplug_using_subcommand {name}\" -f\n"));
        for (i, (_, c)) in verb.positionals.iter().enumerate() {
            let (words, what) = match c {
                Completion::Names => ("__fish_netplug_names", "defined interface"),
                Completion::Devices => ("__fish_netplug_devices", "interface"),
                Completion::Nothing => continue,
            };
            by_position.push_str(&format!(
                "complete -c netplug -n \"__fish_netplug_using_subcommand {name}; and test (__fish_netplug_position {name} {options}) = {i}\" -f -a \"({words})\" -d '{what}'\n"
            ));
        }
    }
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

# The network devices (but lo) and the stored definitions' names. With --netns NAME on the
# line, that namespace's devices, listed by netplug inside it.
function __fish_netplug_devices
    set -l tokens (commandline -opc)
    set -l ns
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case --netns
                set -l next (math $i + 1)
                set -q tokens[$next]; and set ns $tokens[$next]
            case '--netns=*'
                set ns (string replace -- --netns= '' $tokens[$i])
        end
    end
    begin
        __fish_netplug_names
        if test -n "$ns"
            $tokens[1] --netns $ns __complete devices 2>/dev/null
        else
            for d in /sys/class/net/*
                set -l n (basename $d)
                test $n != lo; and echo $n
            end
        end
    end | sort -u
end

# Which positional of VERB the word being completed is (0 for the first), skipping options
# and the values of the options given (the other arguments).
function __fish_netplug_position --argument-names verb
    set -l value_options $argv[2..-1]
    set -l n -1
    set -l skip 0
    for t in (commandline -opc)[2..-1]
        if test $skip = 1
            set skip 0
        else if test $n -lt 0
            test "$t" = "$verb"; and set n 0
        else if string match -q -- '-*' $t
            contains -- $t $value_options; and set skip 1
        else
            set n (math $n + 1)
        end
    end
    echo $n
end

complete -c netplug -n "__fish_netplug_using_subcommand {}" -f -a "(__fish_netplug_names)" -d 'defined interface'
complete -c netplug -n "__fish_netplug_using_subcommand {}" -f -a "(__fish_netplug_devices)" -d 'interface'
{by_position}"#,
        names.join(" "),
        devices.join(" ")
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
        let bridge: Vec<Completion> = verbs["bridge"].positionals.iter().map(|(_, c)| *c).collect();
        assert_eq!(
            bridge,
            [Completion::Devices, Completion::Nothing],
            "bridge's second argument is a new bridge"
        );
        assert!(!verbs.contains_key("apply") && !verbs.contains_key("name"), "FILE and MAC are not names");
        // The hooks fail loudly if clap_complete's output no longer has the shape they expect.
        let s = scripts().unwrap();
        assert!(s.bash.contains("_netplug_names()") && s.bash.contains("complete -F _netplug"));
        assert!(s.zsh.starts_with("#compdef netplug\n"));
        assert!(s.zsh.contains("'*::names:_netplug_names' \\"));
        let fish = "__fish_netplug_using_subcommand start status stop undefine wait-online\"";
        assert!(s.fish.contains(fish), "{}", s.fish);
        let fish = "__fish_netplug_using_subcommand show\" -f -a \"(__fish_netplug_devices)\"";
        assert!(s.fish.contains(fish), "{}", s.fish);
        let fish = "__fish_netplug_using_subcommand dumpxml; and test (__fish_netplug_position dumpxml --netns) = 0\" \
                    -f -a \"(__fish_netplug_devices)\"";
        assert!(s.fish.contains(fish), "{}", s.fish);
        assert!(!verbs.contains_key("__complete"), "hidden");
    }
}
