# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)
"""How the collection reads netplug's output and calls it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from ansible_collections.netplug.host.plugins.module_utils import netplug as np

DIAG = {"file": "/tmp/w/content.xml", "line": 3, "column": 21, "severity": "error",
        "message": "invalid ipaddr `10.0.0.299/24`", "interface": "eth0", "attribute": "ipaddr"}
STEP = {"plugin": "static", "interface": "eth0", "phase": "address",
        "description": "add address 192.0.2.10/24", "payload": "{\"op\":\"add-address\"}"}


def test_json_with_a_remark_after_it():
    text = json.dumps({"version": 1, "changed": True}) + "\nwaiting up to 5 s for `netplug confirm`\n"
    assert np.parse_json(text) == {"version": 1, "changed": True}
    assert np.parse_json('') is None
    assert np.parse_json('not json') is None


def test_another_schema_version_is_refused():
    with pytest.raises(np.NetplugError) as e:
        np.parse_json(json.dumps({"version": 2, "steps": []}))
    assert 'schema version 2' in e.value.msg


def test_steps_lose_their_payload():
    plan = {"version": 1, "steps": [STEP]}
    assert np.parse_steps(plan) == [dict((k, STEP[k]) for k in ('interface', 'description', 'plugin', 'phase'))]
    applied = {"version": 1, "applied": True, "changed": False, "verified": True, "steps": [],
               "error": None, "rollback": None}
    assert np.parse_steps(applied) == []


def test_concerned_interfaces_in_first_step_order():
    steps = [dict(STEP, interface='br0'), dict(STEP, interface='eth0'), dict(STEP, interface='br0')]
    assert np.concerned_interfaces(steps) == ['br0', 'eth0']


def test_diagnostics_become_file_line_col_failures_named_after_the_source():
    out = json.dumps({"version": 1, "valid": False, "diagnostics": [DIAG]})
    e = np.failure('plan', 1, out, '', {'/tmp/w/content.xml': 'content'})
    assert e.rc == 1
    assert e.msg == 'netplug plan: content:3:21: error: eth0: invalid ipaddr `10.0.0.299/24`'
    result = e.result()
    assert result['diagnostics'][0]['file'] == 'content'
    assert result['diagnostics'][0]['line'] == 3 and result['diagnostics'][0]['column'] == 21


def test_warnings_alone_are_not_the_message_when_there_are_errors():
    warning = dict(DIAG, severity='warning', message='unused attribute')
    e = np.failure('plan', 1, json.dumps({"version": 1, "valid": False, "diagnostics": [warning, DIAG]}), '')
    assert 'unused attribute' not in e.msg and 'invalid ipaddr' in e.msg


def failed_apply(rollback):
    return json.dumps({"version": 1, "applied": False, "changed": False, "verified": False, "steps": [],
                       "error": "step 2: netlink said no", "rollback": rollback})


def test_a_failed_apply_reports_its_verified_rollback():
    e = np.failure('apply', 1, failed_apply({"steps": [STEP], "errors": [], "verified": True}), '')
    assert 'netlink said no' in e.msg and 'rolled back 1 change(s)' in e.msg and 'as it was before' in e.msg
    assert e.result()['rolled_back'] is True and e.result()['rollback_verified'] is True
    bad = np.failure('apply', 1, failed_apply({"steps": [STEP], "errors": ["y"], "verified": False}), '')
    assert 'NOT verified' in bad.msg and bad.result()['rollback_verified'] is False
    untouched = np.failure('apply', 1, failed_apply(None), '')
    assert 'nothing was changed' in untouched.msg and untouched.result()['rolled_back'] is False


def test_plain_errors_and_exit_statuses():
    e = np.failure('apply', np.EXIT_BUSY, '', 'netplug: error: lock held by pid 7\n')
    assert e.msg == 'netplug apply: another netplug holds the lock: lock held by pid 7'
    assert np.failure('show', 77, '', 'denied').msg == 'netplug show: not permitted: denied'
    assert np.failure('start', 2, '', '').msg == 'netplug start: netplug start failed'


def test_outcome_of_a_confirmed_apply():
    assert np.confirmed_apply_outcome(0, '{}', '')['confirmed'] is True
    rolled = np.confirmed_apply_outcome(1, '{}', 'netplug: not confirmed within 5 s; rolling back\n')
    assert rolled['rolled_back'] and rolled['rollback_verified'] and not rolled['confirmed']
    bad = np.confirmed_apply_outcome(1, '', 'netplug: unconfirmed apply rollback could NOT be verified')
    assert bad['rollback_verified'] is False


class FakeModule(object):
    def __init__(self, **params):
        self.params = dict((k, None) for k in np.COMMON_ARGS)
        self.params.update(params)

    def get_bin_path(self, name, required=False, opt_dirs=None):
        return '/usr/sbin/' + name


def test_own_options_go_before_the_verb():
    client = np.Netplug(FakeModule(netns='h1', config_dir='/c', run_dir='/r', state_dir='/s', lock_wait=2.5))
    assert client.argv('apply', '--confirm', 30, 'a.xml') == [
        '/usr/sbin/netplug', '--netns', 'h1', '--config-dir', '/c', '--run-dir', '/r', '--state-dir', '/s',
        '--wait', '2.5', '--json', '-q', 'apply', '--confirm', '30', 'a.xml']
    assert np.Netplug(FakeModule(executable='/opt/np')).argv('show', 'br0', as_json=False) == [
        '/opt/np', '-q', 'show', 'br0']
    assert np.Netplug(FakeModule(), netns=None, config_dir='/x').argv('list')[:3] == ['/usr/sbin/netplug', '--config-dir', '/x']


def test_detached_run_outlives_its_caller_and_records_its_status(tmp_path):
    workdir = str(tmp_path)
    np.spawn_detached([sys.executable, '-c', 'import sys; print("hello"); sys.exit(3)'], workdir)
    outcome = np.wait_outcome(workdir, 30)
    assert outcome == (3, 'hello\n', '')
    assert not os.path.exists(os.path.join(workdir, 'rc.tmp'))
