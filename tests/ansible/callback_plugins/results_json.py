# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later
"""Test-only stdout callback: the run's task results and stats as one JSON document, for the
fleet tests to assert on (ansible-core ships no JSON stdout callback; ansible.posix's is not
installed here). Shape: {"plays": [{"tasks": [{"task": {"name"}, "hosts": {HOST: RESULT}}]}],
"stats": {HOST: {"ok", "changed", "failures", "unreachable", ...}}}."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = '''
name: results_json
type: stdout
short_description: task results as one JSON document (netplug's fleet tests)
description: Prints every task result and the stats as one JSON document when the run ends.
'''


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'stdout'
    CALLBACK_NAME = 'results_json'

    def __init__(self):
        super(CallbackModule, self).__init__()
        self.plays = []

    def v2_playbook_on_play_start(self, play):
        self.plays.append({'play': {'name': play.get_name()}, 'tasks': []})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self.plays[-1]['tasks'].append({'task': {'name': task.get_name()}, 'hosts': {}})

    def _record(self, result, **extra):
        out = dict(result._result)
        out.update(extra)
        self.plays[-1]['tasks'][-1]['hosts'][result._host.get_name()] = out

    def v2_runner_on_ok(self, result):
        self._record(result)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, failed=True)

    def v2_runner_on_unreachable(self, result):
        self._record(result, unreachable=True)

    def v2_runner_on_skipped(self, result):
        self._record(result, skipped=True)

    def v2_playbook_on_stats(self, stats):
        hosts = {}
        for host in sorted(stats.processed):
            hosts[host] = stats.summarize(host)
        self._display.display(json.dumps({'plays': self.plays, 'stats': hosts}, default=str, sort_keys=True))
