#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: apply
short_description: Make a host's interfaces match a netplug document
version_added: 0.1.0
description:
  - Runs C(netplug plan) and, unless in check mode, C(netplug apply) on the managed host, for a
    document in either of netplug's dialects (native or libvirt interface XML) or for stored
    definitions.
  - The interfaces the document names are made to match it, in dependency order, verified, and
    rolled back by netplug at once if any step fails. Interfaces the document does not name are
    not touched.
  - The task is C(changed) exactly when netplug's plan was not empty.
  - With O(confirm), the change is applied with C(netplug apply --confirm), and the action plugin
    confirms it from a B(new) connection to the host once it can reach the host again. A change
    that cuts the controller off is never confirmed, and netplug on the host rolls it back by
    itself at the deadline; the task then fails and says whether the rollback was verified.
extends_documentation_fragment:
  - netplug.host.common
  - action_common_attributes
attributes:
  check_mode:
    support: full
    details: Check mode runs C(netplug plan) only; nothing on the host changes.
  diff_mode:
    support: full
    details: >-
      The diff is the live state (C(netplug show)) of the interfaces the plan touches, before and
      after; in check mode it is the plan itself.
  platform:
    platforms: posix
  action:
    support: full
    description: An action plugin reads O(src) on the controller and sends the confirmation.
  async:
    support: none
    description: A confirmed apply already outlives the connection on its own.
options:
  content:
    description:
      - The document, inline (native C(<interfaces>) or libvirt C(<interface type=...>) XML).
      - Diagnostics about it name the file C(content).
    type: str
  src:
    description:
      - A document file on the controller (looked up like the C(copy) module's O(src), in the
        role's or play's C(files/)); it is read by the action plugin and sent as O(content).
      - Diagnostics about it name this path.
    type: path
  names:
    description:
      - Apply these stored definitions (as C(netplug define) stored them) instead of a document.
    type: list
    elements: str
  confirm:
    description:
      - Roll the change back on the host unless it is confirmed within this many seconds.
      - Confirmation is sent over a new connection once the change is applied (persistent
        connections are reset first), so it proves the controller still reaches the host.
      - Leave room for the time a new connection takes to set up.
    type: int
  reconnect_timeout:
    description:
      - When the host could not be reached to confirm, how long to keep trying to reach it
        after the deadline, to report whether netplug's rollback was verified.
    type: int
    default: 60
notes:
  - Requires netplug on the managed host and root (or CAP_NET_ADMIN) there.
seealso:
  - module: netplug.host.definition
  - module: netplug.host.facts
  - module: netplug.host.confirm
author:
  - netplug developers (@netplug)
'''

EXAMPLES = r'''
- name: A bond under a bridge, rolled back by the host unless we still reach it within 60 s
  netplug.host.apply:
    src: "{{ inventory_hostname }}.xml"
    confirm: 60

- name: Inline document, in a network namespace
  netplug.host.apply:
    netns: lab1
    content: |
      <interfaces>
        <interface device="eth0">
          <static ipaddr="192.0.2.10/24" gateway="192.0.2.1"/>
        </interface>
      </interfaces>

- name: Bring the stored definitions br0 and bond0 to life
  netplug.host.apply:
    names: [br0, bond0]
'''

RETURN = r'''
changed:
  description: Whether netplug's plan was not empty (in check mode, whether it would change something).
  returned: always
  type: bool
steps:
  description: The steps taken (or, in check mode, that would be), in order.
  returned: success
  type: list
  elements: dict
  contains:
    interface:
      description: The interface the step acts on.
      type: str
    description:
      description: What the step does.
      type: str
    plugin:
      description: The netplug plugin that carries it out.
      type: str
    phase:
      description: The phase of the apply it belongs to.
      type: str
  sample: [{"interface": "eth0", "description": "add address 192.0.2.10/24", "plugin": "static", "phase": "address"}]
interfaces:
  description: The interfaces the plan touches.
  returned: success
  type: list
  elements: str
  sample: [eth0]
diagnostics:
  description: netplug's diagnostics when the document was refused.
  returned: failure
  type: list
  elements: dict
  contains:
    file:
      description: The file (C(content) for an inline document, the O(src) path for a file).
      type: str
    line:
      description: Line, from 1.
      type: int
    column:
      description: Column, from 1.
      type: int
    severity:
      description: C(error) or C(warning).
      type: str
    message:
      description: What is wrong.
      type: str
    interface:
      description: The interface concerned, when known.
      type: str
    attribute:
      description: The attribute concerned, when known.
      type: str
  sample: [{"file": "content", "line": 3, "column": 21, "severity": "error", "message": "invalid ipaddr"}]
pending_confirmation:
  description:
    - Returned by the module while a confirmed apply waits on the host; the action plugin uses it
      to confirm and removes it from the task result.
  returned: when O(confirm) is set and the plan was not empty
  type: dict
  contains:
    workdir:
      description: Where the waiting netplug keeps its output on the host.
      type: str
    remaining:
      description: Seconds left before netplug rolls the change back.
      type: float
confirmed:
  description: Whether a confirmed apply was confirmed (kept).
  returned: when O(confirm) is set and the plan was not empty
  type: bool
rolled_back:
  description: Whether netplug rolled the change back (a failed step, or no confirmation in time).
  returned: failure
  type: bool
rollback_verified:
  description: Whether the rollback was verified, that is whether the host is as it was before.
  returned: when RV(rolled_back) is true
  type: bool
'''

import os
import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netplug.host.plugins.module_utils import netplug as np


def documents(module, client, workdir):
    """The files to hand netplug, and how to rename them in diagnostics."""
    p = module.params
    if p['content'] is not None:
        path = np.write_document(workdir, p['content'])
        return [path], {path: np.CONTENT_NAME}
    if p['src'] is not None:
        return [p['src']], {}
    files, rename = [], {}
    for name in p['names']:
        xml = client.definition_xml(name)
        if xml is None:
            module.fail_json(msg='%s: no stored definition of that name' % name)
        path = np.write_document(workdir, xml, 'definition-%d' % len(files))
        files.append(path)
        rename[path] = 'definition %s' % name
    return files, rename


def live(client, names):
    return ''.join(client.show(n) or '' for n in names)


def main():
    argument_spec = dict(
        content=dict(type='str'),
        src=dict(type='path'),
        names=dict(type='list', elements='str'),
        confirm=dict(type='int'),
        reconnect_timeout=dict(type='int', default=60),
    )
    argument_spec.update(np.COMMON_ARGS)
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[('content', 'src', 'names')],
        required_one_of=[('content', 'src', 'names')],
        supports_check_mode=True,
    )
    if module.params['confirm'] is not None and module.params['confirm'] < 1:
        module.fail_json(msg='confirm must be at least 1 second')
    client = np.Netplug(module)
    workdir = np.make_workdir()
    keep_workdir = False
    try:
        files, rename = documents(module, client, workdir)
        steps = client.plan(files, rename)
        names = np.concerned_interfaces(steps)
        result = dict(changed=bool(steps), steps=steps, interfaces=names)
        if module.check_mode or not steps:
            if module._diff:
                result['diff'] = dict(prepared=np.format_steps(steps, 'to make') if steps else '')
            module.exit_json(**result)
        before = live(client, names) if module._diff else None
        seconds = module.params['confirm']
        if seconds is None:
            result['steps'] = client.apply(files, rename)
        else:
            started = time.time()
            state, value = client.start_confirmed_apply(files, seconds, workdir)
            if state == 'pending':
                keep_workdir = True
                result['steps'] = value
                result['confirmed'] = False
                result['pending_confirmation'] = dict(
                    workdir=workdir, remaining=max(0.0, started + seconds - time.time()))
            else:
                rc, out, err = value
                if rc != np.EXIT_OK:
                    raise np.failure('apply', rc, out, err, rename)
                result['steps'] = np.parse_steps(np.parse_json(out))
                result['confirmed'] = True
        result['changed'] = bool(result['steps'])
        if module._diff:
            result['diff'] = dict(before=before, after=live(client, names),
                                  before_header='live state before', after_header='live state after')
        module.exit_json(**result)
    except np.NetplugError as e:
        module.fail_json(**e.result())
    finally:
        if not keep_workdir and os.path.isdir(workdir):
            np.remove_workdir(workdir)


if __name__ == '__main__':
    main()
