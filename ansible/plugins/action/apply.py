# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)
"""The controller's half of netplug.host.apply: read ``src`` on the controller, run the module,
and for ``confirm:`` send the confirmation over a new connection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time

from ansible.errors import AnsibleActionFail, AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible.plugins.connection import ConnectionBase

COMMON = ('executable', 'netns', 'config_dir', 'run_dir', 'state_dir', 'lock_wait')

# Between two tries to reach the host again.
RETRY_PAUSE = 1.0


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        src = args.pop('src', None)
        if src is not None:
            if args.get('content') is not None or args.get('names') is not None:
                raise AnsibleActionFail('src, content and names are mutually exclusive')
            try:
                path = self._find_needle('files', src)
                with open(path, 'rb') as f:
                    args['content'] = to_text(f.read(), errors='surrogate_or_strict')
            except (AnsibleError, IOError, OSError) as e:
                raise AnsibleActionFail('src %s: %s' % (src, to_text(e)))

        applied = self._execute_module('netplug.host.apply', module_args=args, task_vars=task_vars)
        if src is not None:
            name_src_in(applied, src)
        result.update(applied)
        pending = result.pop('pending_confirmation', None)
        if not pending or result.get('failed'):
            return result
        common = dict((k, args[k]) for k in COMMON if args.get(k) is not None)
        outcome = self._confirm(pending, common, task_vars, args.get('reconnect_timeout', 60))
        result.update(outcome)
        return result

    def _confirm(self, pending, common, task_vars, reconnect_timeout):
        """Confirm from a new connection before the host's deadline. If the host cannot be
        reached in time, netplug rolls back there; learn how that went once it can be reached."""
        deadline = time.time() + float(pending['remaining'])
        confirm_args = dict(common, workdir=pending['workdir'])
        answer, error = self._reach(deadline, 'netplug.host.confirm', dict(confirm_args, mode='confirm'),
                                    task_vars)
        if answer is not None:
            out = confirmation(answer)
            if out.get('failed') and error:
                # Reached only once netplug had rolled back.
                out['msg'] = 'the host could not be reached to confirm the change in time (%s); %s' % (error, out['msg'])
            return out
        # Not reachable before the deadline: the host rolls the change back by itself. Wait for
        # that, then look (over yet another connection) at how it went.
        after = max(deadline, time.time()) + reconnect_timeout
        late, dummy = self._reach(after, 'netplug.host.confirm',
                                  dict(confirm_args, mode='wait', timeout=reconnect_timeout), task_vars,
                                  not_before=deadline)
        msg = ('the host could not be reached to confirm the change within its deadline (%s)'
               % to_text(error))
        out = dict(failed=True, confirmed=False, rolled_back=True, changed=False)
        if late is None:
            out['msg'] = msg + '; netplug rolls it back on the host, but the host could not be reached ' \
                               'afterwards either to see how that went'
            out['rollback_verified'] = None
            return out
        out.update((k, late[k]) for k in ('rolled_back', 'rollback_verified', 'netplug_stderr') if k in late)
        if late.get('confirmed'):
            # Someone else confirmed it meanwhile.
            return dict(confirmed=True, rolled_back=False, changed=True)
        out['msg'] = msg + '; ' + late.get('msg', 'netplug rolled it back')
        return out

    def _reach(self, until, module, module_args, task_vars, not_before=None):
        """Run ``module`` over a new connection, retrying until the time ``until``; the module's
        answer or None, and the last connection error before it."""
        if not_before is not None:
            time.sleep(max(0.0, not_before - time.time()))
        error = None
        while True:
            # A persistent connection (ssh's ControlPersist) may outlive the path to the host:
            # drop it, so what answers proves the host is still reachable now.
            # (A connection without that, like local, has nothing to drop.)
            if type(self._connection).reset is not ConnectionBase.reset:
                try:
                    self._connection.reset()
                except AnsibleError as e:  # reopened by the module run below anyway
                    self._display.vvv('netplug.host.apply: connection reset: %s' % to_text(e))
            try:
                answer = self._execute_module(module, module_args=module_args, task_vars=task_vars)
                if not answer.get('unreachable'):
                    return answer, error
                error = answer.get('msg')
            except AnsibleConnectionFailure as e:
                error = to_text(e)
            if time.time() + RETRY_PAUSE >= until:
                return None, error
            time.sleep(RETRY_PAUSE)


def confirmation(answer):
    """The task result's part from the confirm module's answer."""
    out = dict((k, answer[k]) for k in ('confirmed', 'rolled_back', 'rollback_verified', 'netplug_stderr')
               if k in answer)
    if answer.get('failed'):
        out['failed'] = True
        out['changed'] = False
        out['msg'] = answer.get('msg', 'netplug confirm failed')
    return out


def name_src_in(result, src):
    """Diagnostics name an inline document ``content``; name the controller file instead."""
    diagnostics = result.get('diagnostics') or []
    for d in diagnostics:
        if d.get('file') == 'content':
            d['file'] = src
    if diagnostics and isinstance(result.get('msg'), str):
        result['msg'] = result['msg'].replace('content:', src + ':')
