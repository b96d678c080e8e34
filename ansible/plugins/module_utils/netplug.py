# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)
"""Everything the collection knows about the ``netplug`` command: how to call it and how to
read what it prints. Keeping it in this one file means a change to netplug's command line or
to its JSON and exit-code contract (docs/json.md) is a change here only."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import subprocess
import tempfile
import time

# netplug's exit statuses (docs/json.md): 1 covers invalid documents, drift, and an apply that
# failed and was rolled back; 2 bad usage or an unknown name; 3 a partial apply; 4 the lock was
# busy; 77 not permitted.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3
EXIT_BUSY = 4
EXIT_PERMISSION = 77

# What the module options shared by every module of the collection map to; the documentation
# is the doc fragment netplug.host.common.
COMMON_ARGS = dict(
    executable=dict(type='path'),
    netns=dict(type='str'),
    config_dir=dict(type='path'),
    run_dir=dict(type='path'),
    state_dir=dict(type='path'),
    lock_wait=dict(type='float'),
)

# The version of netplug's JSON documents this file reads (docs/json.md): fields may be added
# within a version, so a newer netplug of the same version is read as is.
JSON_VERSION = 1

# A document given inline is written to a file of this name, and diagnostics name it so.
CONTENT_NAME = 'content'


class NetplugError(Exception):
    """A netplug run that failed: its message, exit status, and diagnostics if it printed any."""

    def __init__(self, msg, rc=None, diagnostics=None, stdout='', stderr='', details=None):
        super(NetplugError, self).__init__(msg)
        self.msg = msg
        self.rc = rc
        self.diagnostics = diagnostics or []
        self.stdout = stdout
        self.stderr = stderr
        self.details = details or {}

    def result(self):
        """Keyword arguments for ``fail_json``."""
        out = dict(msg=self.msg, rc=self.rc, diagnostics=self.diagnostics,
                   stdout=self.stdout, stderr=self.stderr)
        out.update(self.details)
        return out


# ---------------------------------------------------------------------------------------------
# Reading netplug's output. Pure functions: the unit tests feed them netplug's documented output.

def unwrap(value, key):
    """``value[key]`` of a JSON document that carries it (every v1 document is an object)."""
    if isinstance(value, dict) and key in value:
        return value[key]
    return value


def parse_json(text):
    """The JSON document in ``text`` (netplug prints one per run), or None when there is none.
    Raises NetplugError for a schema version this collection does not read."""
    text = (text or '').strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        # Anything after the document (a remark) is not part of it.
        try:
            value, dummy = json.JSONDecoder().raw_decode(text)
        except ValueError:
            return None
    if isinstance(value, dict) and value.get('version', JSON_VERSION) != JSON_VERSION:
        raise NetplugError('netplug prints JSON of schema version %s; this collection reads version %s'
                           % (value.get('version'), JSON_VERSION))
    return value


def is_diagnostic(value):
    return isinstance(value, dict) and 'message' in value and 'line' in value


def parse_diagnostics(value):
    """Diagnostics in a JSON answer (a list of them, or an object holding one under
    ``diagnostics``); an empty list when it holds none."""
    value = unwrap(value, 'diagnostics')
    if isinstance(value, list) and value and all(is_diagnostic(d) for d in value):
        return value
    return []


def parse_steps(value):
    """The steps of a plan or an apply: ``[{interface, description, plugin, phase}, ...]``."""
    value = unwrap(value, 'steps')
    if not isinstance(value, list):
        raise ValueError('netplug printed no list of steps: %r' % (value,))
    return [step_summary(s) for s in value]


def step_summary(step):
    """A step without its plugin-private payload."""
    return dict((k, step.get(k)) for k in ('interface', 'description', 'plugin', 'phase'))


def format_diagnostic(d, rename=None):
    """``FILE:LINE:COL: SEVERITY: INTERFACE: MESSAGE``, as netplug prints it."""
    name = d.get('file', '')
    if rename and name in rename:
        name = rename[name]
    where = '%s:%s:%s' % (name, d.get('line'), d.get('column'))
    what = d.get('message', '')
    if d.get('interface'):
        what = '%s: %s' % (d['interface'], what)
    return '%s: %s: %s' % (where, d.get('severity', 'error'), what)


def format_steps(steps, verb):
    lines = ['%d change(s) %s:' % (len(steps), verb)]
    for i, s in enumerate(steps, 1):
        lines.append('%5d. %s: %s  [%s, %s]' % (
            i, s.get('interface'), s.get('description'), s.get('plugin'), s.get('phase')))
    return '\n'.join(lines) + '\n'


def concerned_interfaces(steps):
    """The interfaces a plan touches, in the order of their first step."""
    names = []
    for s in steps:
        if s.get('interface') and s['interface'] not in names:
            names.append(s['interface'])
    return names


def confirmed_apply_outcome(rc, stdout, stderr):
    """How a detached ``apply --confirm`` that had applied its change ended: ``confirmed`` (it
    was kept), ``rolled_back`` and ``rollback_verified`` (it was not confirmed in time)."""
    if rc == EXIT_OK:
        return dict(confirmed=True, rolled_back=False, rollback_verified=None)
    unverified = 'could NOT be verified' in stderr or 'rollback error' in stderr
    return dict(confirmed=False, rolled_back=True, rollback_verified=not unverified,
                netplug_stderr=stderr.strip())


def failure(verb, rc, stdout, stderr, rename=None):
    """A NetplugError for a failed run, carrying its diagnostics and rollback report."""
    value = parse_json(stdout)
    diagnostics = parse_diagnostics(value)
    for d in diagnostics:
        if rename and d.get('file') in rename:
            d['file'] = rename[d['file']]
    details = {}
    if diagnostics:
        errors = [d for d in diagnostics if d.get('severity', 'error') == 'error'] or diagnostics
        msg = '; '.join(format_diagnostic(d) for d in errors)
    elif isinstance(value, dict) and value.get('error'):
        # An `apply` document of a failed apply: what failed, and the rollback if it had started.
        msg = value['error']
        rollback = value.get('rollback')
        details['rolled_back'] = isinstance(rollback, dict)
        if isinstance(rollback, dict):
            errors = rollback.get('errors') or []
            details['rollback_verified'] = bool(rollback.get('verified')) and not errors
            details['rollback_errors'] = errors
            details['rollback_steps'] = parse_steps(rollback.get('steps') or [])
            if details['rollback_verified']:
                msg += '; rolled back %d change(s): the host is as it was before' % len(details['rollback_steps'])
            else:
                msg += '; rollback NOT verified: the host may differ from before'
        else:
            msg += '; nothing was changed'
    else:
        msg = (stderr or stdout or '').strip() or 'netplug %s failed' % verb
        if msg.startswith('netplug: error: '):
            msg = msg[len('netplug: error: '):]
    if rc == EXIT_BUSY:
        msg = 'another netplug holds the lock: ' + msg
    elif rc == EXIT_PERMISSION:
        msg = 'not permitted: ' + msg
    return NetplugError('netplug %s: %s' % (verb, msg), rc=rc, diagnostics=diagnostics,
                        stdout=stdout, stderr=stderr, details=details)


# ---------------------------------------------------------------------------------------------
# Running netplug on the managed host.

class Netplug(object):
    """netplug as the module options describe it (binary, namespace, directories)."""

    def __init__(self, module, **overrides):
        self.module = module
        p = dict(module.params)
        p.update(overrides)
        self.executable = p.get('executable') or module.get_bin_path(
            'netplug', required=True, opt_dirs=['/usr/local/bin', '/usr/sbin', '/usr/local/sbin'])
        self.netns = p.get('netns')
        self.config_dir = p.get('config_dir')
        self.run_dir = p.get('run_dir')
        self.state_dir = p.get('state_dir')
        self.lock_wait = p.get('lock_wait')

    def argv(self, verb, *args, **kw):
        """The command line for one verb; netplug's own options go before the verb."""
        cmd = [self.executable]
        if self.netns:
            cmd += ['--netns', self.netns]
        for opt, value in (('--config-dir', self.config_dir), ('--run-dir', self.run_dir),
                           ('--state-dir', self.state_dir)):
            if value:
                cmd += [opt, value]
        if self.lock_wait is not None:
            cmd += ['--wait', str(self.lock_wait)]
        if kw.get('as_json', True):
            cmd += ['--json']
        cmd += ['-q', verb]
        cmd += [str(a) for a in args]
        return cmd

    def run(self, verb, *args, **kw):
        """Run a verb; (rc, stdout, stderr)."""
        return self.module.run_command(self.argv(verb, *args, **kw), check_rc=False)

    def run_ok(self, verb, *args, **kw):
        rename = kw.pop('rename', None)
        rc, out, err = self.run(verb, *args, **kw)
        if rc != EXIT_OK:
            raise failure(verb, rc, out, err, rename)
        return out

    # The verbs.

    def plan(self, files, rename=None):
        """The steps an apply of ``files`` would take; raises NetplugError with diagnostics."""
        out = self.run_ok('plan', *files, rename=rename)
        return parse_steps(parse_json(out))

    def apply(self, files, rename=None):
        """Apply ``files``; the steps taken (empty when the host already matched)."""
        out = self.run_ok('apply', *files, rename=rename)
        return parse_steps(parse_json(out))

    def show(self, name):
        """The live state of one interface as netplug's XML, or None when it does not exist."""
        rc, out, dummy = self.run('show', name, as_json=False)
        return out if rc == EXIT_OK else None

    def show_all(self):
        return self.run_ok('show', as_json=False)

    def live_interfaces(self, names=None):
        """Live interfaces as ``show --json`` describes them (name, kind, state, mac, mtu,
        master, parent, element)."""
        value = unwrap(parse_json(self.run_ok('show', *(names or []))), 'interfaces')
        if not isinstance(value, list):
            raise NetplugError('netplug show: no list of interfaces in %r' % (value,))
        return value

    def definitions(self):
        """Every stored definition: ``[{name, kind, active, mac, startmode}]``."""
        value = unwrap(parse_json(self.run_ok('list', '--all')), 'interfaces')
        if not isinstance(value, list):
            raise NetplugError('netplug list: no list of definitions in %r' % (value,))
        return value

    def definition_xml(self, name):
        """A stored definition as netplug's XML, or None when there is none of that name."""
        rc, out, dummy = self.run('dumpxml', '--inactive', name, as_json=False)
        return out if rc == EXIT_OK else None

    def define(self, files, rename=None):
        self.run_ok('define', *files, rename=rename)

    def undefine(self, names):
        self.run_ok('undefine', *names)

    def start(self, names):
        return parse_steps(parse_json(self.run_ok('start', *names)))

    def stop(self, names):
        return parse_steps(parse_json(self.run_ok('stop', *names)))

    def confirm(self):
        """``netplug confirm``: True when a waiting apply was confirmed, False when none waited."""
        rc, out, err = self.run('confirm', as_json=False)
        if rc == EXIT_OK:
            return True
        if 'no confirmed apply is waiting' in (err + out):
            return False
        raise failure('confirm', rc, out, err)

    # A confirmed apply. `apply --confirm SECS` applies, then waits for `netplug confirm` and
    # rolls back at the deadline; it must outlive the module (and the connection that ran it),
    # so it runs detached, and its outcome is kept in a work directory for later modules.

    def start_confirmed_apply(self, files, seconds, workdir):
        """Start ``apply --confirm`` detached and wait until its apply is done. Returns
        ``('pending', steps)`` while it waits for confirmation, or ``('done', (rc, out, err))``
        when it already ended (nothing to change, or a failure)."""
        argv = self.argv('apply', '--confirm', seconds, *files)
        spawn_detached(argv, workdir)
        while True:
            ended = read_outcome(workdir)
            if ended is not None:
                return 'done', ended
            value = parse_json(read_file(os.path.join(workdir, 'stdout')))
            if isinstance(value, dict) and value.get('changed'):
                return 'pending', parse_steps(value)
            time.sleep(0.05)


def read_file(path):
    try:
        with open(path, 'r') as f:
            return f.read()
    except (IOError, OSError):
        return ''


def read_outcome(workdir):
    """``(rc, stdout, stderr)`` of a detached netplug once it has ended, else None."""
    rc = read_file(os.path.join(workdir, 'rc')).strip()
    if not rc:
        return None
    return (int(rc), read_file(os.path.join(workdir, 'stdout')),
            read_file(os.path.join(workdir, 'stderr')))


def wait_outcome(workdir, timeout):
    """Wait up to ``timeout`` seconds for a detached netplug to end; its outcome or None."""
    deadline = time.time() + timeout
    while True:
        ended = read_outcome(workdir)
        if ended is not None or time.time() >= deadline:
            return ended
        time.sleep(0.1)


def spawn_detached(argv, workdir):
    """Run ``argv`` in a new session, away from the module's stdin/stdout (the connection),
    and write its exit status to ``workdir/rc`` when it ends. Returns at once."""
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        return
    # First child: a new session, then a second fork, so the runner is nobody's child that
    # waits and lives on after the module has returned and the connection is gone.
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        with open(os.path.join(workdir, 'stdout'), 'wb') as out:
            with open(os.path.join(workdir, 'stderr'), 'wb') as err:
                rc = subprocess.call(argv, stdin=devnull, stdout=out, stderr=err, close_fds=True)
        tmp = os.path.join(workdir, 'rc.tmp')
        with open(tmp, 'w') as f:
            f.write('%d\n' % rc)
        os.rename(tmp, os.path.join(workdir, 'rc'))
    finally:
        os._exit(0)


def make_workdir():
    return tempfile.mkdtemp(prefix='netplug-ansible-')


def remove_workdir(path):
    shutil.rmtree(path, ignore_errors=True)


def write_document(workdir, content, name=CONTENT_NAME):
    path = os.path.join(workdir, name + '.xml')
    with open(path, 'w') as f:
        f.write(content)
    return path
