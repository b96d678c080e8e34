# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)
"""netplug.host.apply, confirm, facts and definition against a netplug stand-in."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.netplug.host.plugins.modules import apply as apply_module
from ansible_collections.netplug.host.plugins.modules import confirm as confirm_module
from ansible_collections.netplug.host.plugins.modules import definition as definition_module
from ansible_collections.netplug.host.plugins.modules import facts as facts_module

DOC = '<interfaces><interface device="eth0"><static ipaddr="192.0.2.10/24"/></interface></interfaces>'


VERBS = ('plan', 'apply', 'show', 'list', 'dumpxml', 'define', 'undefine', 'start', 'stop', 'confirm')


def verbs(calls):
    return [next(a for a in c if a in VERBS) for c in calls()]


def test_check_mode_plans_and_changes_nothing(fake_netplug, run_module, monkeypatch):
    monkeypatch.setenv('FAKE_NETPLUG_CHANGES', '1')
    r = run_module(apply_module.main, dict(content=DOC, executable=fake_netplug.executable), check_mode=True, diff=True)
    assert r['changed'] is True and r['interfaces'] == ['eth0']
    assert 'add address 192.0.2.10/24' in r['diff']['prepared']
    assert verbs(fake_netplug) == ['plan']


def test_changed_exactly_when_the_plan_is_not_empty(fake_netplug, run_module, monkeypatch):
    monkeypatch.setenv('FAKE_NETPLUG_CHANGES', '0')
    r = run_module(apply_module.main, dict(content=DOC, executable=fake_netplug.executable, netns='h1'))
    assert r['changed'] is False and r['steps'] == []
    assert verbs(fake_netplug) == ['plan']
    assert fake_netplug()[0][:2] == ['--netns', 'h1']
    monkeypatch.setenv('FAKE_NETPLUG_CHANGES', '1')
    r = run_module(apply_module.main, dict(content=DOC, executable=fake_netplug.executable), diff=True)
    assert r['changed'] is True and r['steps'][0]['description'] == 'add address 192.0.2.10/24'
    assert r['diff']['before'] == r['diff']['after'] == '<interface device="eth0"/>\n'


def test_a_refused_document_fails_with_file_line_column(fake_netplug, run_module, monkeypatch):
    monkeypatch.setenv('FAKE_NETPLUG_INVALID', '1')
    r = run_module(apply_module.main, dict(content=DOC, executable=fake_netplug.executable))
    assert r['failed'] and r['msg'].startswith('netplug plan: content:3:21: error: eth0: invalid ipaddr')
    assert r['diagnostics'][0]['file'] == 'content'


def test_stored_definitions_are_applied_by_name(fake_netplug, run_module, monkeypatch):
    monkeypatch.setenv('FAKE_NETPLUG_CHANGES', '1')
    r = run_module(apply_module.main, dict(names=['br0'], executable=fake_netplug.executable))
    assert r['changed'] is True
    assert verbs(fake_netplug) == ['dumpxml', 'plan', 'apply']
    r = run_module(apply_module.main, dict(names=['nope'], executable=fake_netplug.executable))
    assert r['failed'] and 'nope: no stored definition' in r['msg']


def test_a_confirmed_apply_is_left_pending_then_confirmed_or_rolled_back(fake_netplug, run_module, monkeypatch):
    monkeypatch.setenv('FAKE_NETPLUG_CHANGES', '1')
    monkeypatch.setenv('FAKE_NETPLUG_WAIT', '1')
    r = run_module(apply_module.main, dict(content=DOC, executable=fake_netplug.executable, confirm=5))
    pending = r['pending_confirmation']
    assert r['changed'] is True and r['confirmed'] is False and 0 < pending['remaining'] <= 5
    # Nobody confirmed: the stand-in rolls back, and the confirm module reports it as a failure.
    r = run_module(confirm_module.main, dict(workdir=pending['workdir'], executable=fake_netplug.executable))
    assert r['failed'] and r['rolled_back'] and r['rollback_verified'] and 'as it was before' in r['msg']
    monkeypatch.setenv('FAKE_NETPLUG_CONFIRMED', '1')
    r = run_module(apply_module.main, dict(content=DOC, executable=fake_netplug.executable, confirm=5))
    r = run_module(confirm_module.main, dict(workdir=r['pending_confirmation']['workdir'], mode='wait',
                                             executable=fake_netplug.executable))
    assert r['confirmed'] is True and not r.get('failed')


def test_facts_hold_live_state_and_definitions(fake_netplug, run_module):
    r = run_module(facts_module.main, dict(executable=fake_netplug.executable))
    facts = r['ansible_facts']['netplug']
    assert facts['live'] == '<interface device="eth0"/>\n'
    assert facts['interfaces'][0]['name'] == 'eth0' and facts['interfaces'][0]['mtu'] == 1500
    assert facts['definitions'][0]['name'] == 'br0' and facts['definitions'][0]['xml'].startswith('<bridge')


def test_definition_start_is_idempotent_on_activity(fake_netplug, run_module):
    r = run_module(definition_module.main, dict(name=['br0'], state='started', executable=fake_netplug.executable),
                   check_mode=True)
    assert r['changed'] is True and r['started'] == ['br0']
    assert 'start' not in verbs(fake_netplug)
    r = run_module(definition_module.main, dict(name=['br0'], state='stopped', executable=fake_netplug.executable))
    assert r['changed'] is False and r['stopped'] == []
    r = run_module(definition_module.main, dict(name=['br0'], state='absent', executable=fake_netplug.executable))
    assert r['changed'] is True and r['undefined'] == ['br0'] and verbs(fake_netplug)[-1] == 'undefine'
