#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: confirm
short_description: Keep a change that netplug applied with a deadline, or learn how it ended
version_added: 0.1.0
description:
  - Runs C(netplug confirm) on the managed host, keeping what a waiting C(netplug apply --confirm)
    applied, then waits for that netplug to finish and reports how it ended.
  - M(netplug.host.apply) with O(netplug.host.apply#module:confirm) calls this module itself, over a
    new connection. Use it directly, without O(workdir), to confirm a C(netplug apply --confirm)
    started some other way on the host.
  - Fails when there was nothing left to confirm because netplug had already rolled the change back.
extends_documentation_fragment:
  - netplug.host.common
  - action_common_attributes
attributes:
  check_mode:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  workdir:
    description:
      - The work directory of the waiting apply on the host, as returned by M(netplug.host.apply)
        in RV(netplug.host.apply#module:pending_confirmation.workdir).
      - Without it, only C(netplug confirm) is run.
    type: path
  mode:
    description:
      - V(confirm) confirms the waiting apply, then reports how it ended.
      - V(wait) does not confirm; it waits for the apply to end (rolled back at its deadline,
        or confirmed by someone else) and reports how it ended.
    type: str
    choices: [confirm, wait]
    default: confirm
  timeout:
    description:
      - How long to wait, in seconds, for the waiting apply to end.
    type: int
    default: 60
author:
  - netplug developers (@netplug)
'''

EXAMPLES = r'''
- name: Confirm whatever apply --confirm is waiting on this host
  netplug.host.confirm:
'''

RETURN = r'''
confirmed:
  description: Whether the change was kept.
  returned: always
  type: bool
rolled_back:
  description: Whether netplug rolled the change back because it was not confirmed in time.
  returned: always
  type: bool
rollback_verified:
  description: Whether that rollback was verified (the host is as it was before).
  returned: when RV(rolled_back) is true
  type: bool
netplug_stderr:
  description: What the waiting netplug said while rolling back.
  returned: when RV(rolled_back) is true
  type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netplug.host.plugins.module_utils import netplug as np


def main():
    argument_spec = dict(
        workdir=dict(type='path'),
        mode=dict(type='str', choices=['confirm', 'wait'], default='confirm'),
        timeout=dict(type='int', default=60),
    )
    argument_spec.update(np.COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=False)
    p = module.params
    client = np.Netplug(module)
    try:
        kept = client.confirm() if p['mode'] == 'confirm' else False
    except np.NetplugError as e:
        module.fail_json(**e.result())
    if p['workdir'] is None:
        if not kept:
            module.fail_json(msg='no confirmed apply was waiting', confirmed=False, rolled_back=False)
        module.exit_json(changed=True, confirmed=True, rolled_back=False)
    ended = np.wait_outcome(p['workdir'], p['timeout'])
    if ended is None:
        module.fail_json(msg='the waiting netplug apply had not ended after %d s' % p['timeout'],
                         confirmed=kept, rolled_back=False)
    np.remove_workdir(p['workdir'])
    outcome = np.confirmed_apply_outcome(*ended)
    if outcome['confirmed']:
        module.exit_json(changed=kept, **outcome)
    msg = 'the change was not confirmed in time, and netplug rolled it back'
    if outcome['rollback_verified']:
        msg += ': the host is as it was before'
    else:
        msg += ', but could NOT verify the rollback: ' + outcome['netplug_stderr']
    if p['mode'] == 'wait':
        module.exit_json(changed=False, msg=msg, **outcome)
    module.fail_json(msg=msg, **outcome)


if __name__ == '__main__':
    main()
