# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys

import pytest

from ansible.module_utils import basic
from ansible.module_utils.common.text.converters import to_bytes

FAKE = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'fake_netplug.py')


class Exited(Exception):
    """exit_json or fail_json was called; ``result`` holds what was reported."""

    def __init__(self, result):
        super(Exited, self).__init__(result)
        self.result = result


@pytest.fixture
def fake_netplug(tmp_path, monkeypatch):
    """A netplug stand-in on disk; returns a function giving the commands it was run with."""
    exe = tmp_path / 'netplug'
    exe.write_text('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (sys.executable, FAKE))
    exe.chmod(0o755)
    log = tmp_path / 'log'
    log.write_text('')
    monkeypatch.setenv('FAKE_NETPLUG_LOG', str(log))

    def calls():
        return [json.loads(line) for line in log.read_text().splitlines()]

    calls.executable = str(exe)
    return calls


@pytest.fixture
def run_module(monkeypatch):
    """Run a module's main() with these arguments; the result it exited with (``failed`` set
    when it failed)."""

    def exit_json(self, **kw):
        kw.setdefault('changed', False)
        raise Exited(kw)

    def fail_json(self, msg, **kw):
        kw['failed'] = True
        kw['msg'] = msg
        raise Exited(kw)

    monkeypatch.setattr(basic.AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(basic.AnsibleModule, 'fail_json', fail_json)

    def run(main, args, check_mode=False, diff=False):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=diff)
        monkeypatch.setattr(basic, '_ANSIBLE_ARGS', to_bytes(json.dumps({'ANSIBLE_MODULE_ARGS': args})))
        with pytest.raises(Exited) as e:
            main()
        return e.value.result

    return run
