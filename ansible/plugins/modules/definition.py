#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: definition
short_description: Store, remove, start and stop netplug interface definitions
version_added: 0.1.0
description:
  - Manages netplug's stored definitions (C(netplug define), C(undefine), C(start), C(stop); the
    counterparts of C(virsh iface-define), C(iface-undefine), C(iface-start), C(iface-destroy)).
  - Idempotent. A definition is stored only when it differs from the stored one, compared in
    netplug's own normalised form; an interface is started only when it is not active (existing
    and up) and stopped only when it is.
extends_documentation_fragment:
  - netplug.host.common
  - action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The stored definitions before and after, in netplug's native XML.
  platform:
    platforms: posix
options:
  name:
    description:
      - The interfaces concerned.
      - Required unless O(content) is given, whose interfaces are then the ones concerned.
    type: list
    elements: str
  content:
    description:
      - A document (either dialect) whose interfaces to store, each replacing the stored
        definition of its name.
    type: str
  state:
    description:
      - V(present) stores the definitions of O(content) (which is then required).
      - V(absent) removes the stored definitions (the kernel is not touched).
      - V(started) stores O(content) if given, then brings each interface up with its ports.
      - V(stopped) stores O(content) if given, then takes each interface down (virtual links are deleted).
    type: str
    choices: [present, absent, started, stopped]
    default: present
author:
  - netplug developers (@netplug)
'''

EXAMPLES = r'''
- name: Define br0 and start it
  netplug.host.definition:
    state: started
    content: |
      <interfaces>
        <bridge name="br0" stp="off"><static ipaddr="192.0.2.5/24"/></bridge>
      </interfaces>

- name: Stop and forget bond0
  netplug.host.definition:
    name: bond0
    state: "{{ item }}"
  loop: [stopped, absent]
'''

RETURN = r'''
defined:
  description: The interfaces whose stored definition was added or replaced.
  returned: always
  type: list
  elements: str
undefined:
  description: The interfaces whose stored definition was removed.
  returned: always
  type: list
  elements: str
started:
  description: The interfaces brought up.
  returned: always
  type: list
  elements: str
stopped:
  description: The interfaces taken down.
  returned: always
  type: list
  elements: str
diagnostics:
  description: netplug's diagnostics when the document was refused (see M(netplug.host.apply)).
  returned: failure
  type: list
  elements: dict
'''

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netplug.host.plugins.module_utils import netplug as np


def normalised(module, content, workdir):
    """The document's interfaces as netplug stores them: defined into a scratch store (with its
    own lock and journals, so the host's netplug is not involved)."""
    scratch = dict((d, os.path.join(workdir, d)) for d in ('config_dir', 'run_dir', 'state_dir'))
    client = np.Netplug(module, netns=None, **scratch)
    path = np.write_document(workdir, content)
    client.define([path], rename={path: np.CONTENT_NAME})
    return path, dict((d['name'], client.definition_xml(d['name'])) for d in client.definitions())


def main():
    argument_spec = dict(
        name=dict(type='list', elements='str'),
        content=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent', 'started', 'stopped'], default='present'),
    )
    argument_spec.update(np.COMMON_ARGS)
    module = AnsibleModule(
        argument_spec=argument_spec,
        required_if=[('state', 'present', ('content',)), ('state', 'absent', ('name',))],
        required_one_of=[('name', 'content')],
        mutually_exclusive=[('content', 'name')],
        supports_check_mode=True,
    )
    p = module.params
    client = np.Netplug(module)
    result = dict(changed=False, defined=[], undefined=[], started=[], stopped=[])
    before, after = {}, {}
    workdir = np.make_workdir()
    try:
        names = p['name']
        if p['content'] is not None:
            path, wanted = normalised(module, p['content'], workdir)
            names = sorted(wanted)
            for name, xml in sorted(wanted.items()):
                current = client.definition_xml(name)
                before[name], after[name] = current, xml
                if current != xml:
                    result['defined'].append(name)
            if result['defined'] and not module.check_mode:
                client.define([path], rename={path: np.CONTENT_NAME})
        if p['state'] == 'absent':
            for name in names:
                current = client.definition_xml(name)
                before[name], after[name] = current, None
                if current is not None:
                    result['undefined'].append(name)
            if result['undefined'] and not module.check_mode:
                client.undefine(result['undefined'])
        elif p['state'] in ('started', 'stopped'):
            active = dict((d['name'], d.get('active')) for d in client.definitions())
            for name in names:
                if name not in active and name not in result['defined']:
                    module.fail_json(msg='%s: no stored definition of that name' % name)
            up = p['state'] == 'started'
            todo = [n for n in names if bool(active.get(n)) != up]
            result['started' if up else 'stopped'] = todo
            if todo and not module.check_mode:
                (client.start if up else client.stop)(todo)
    except np.NetplugError as e:
        module.fail_json(**e.result())
    finally:
        np.remove_workdir(workdir)
    result['changed'] = any(result[k] for k in ('defined', 'undefined', 'started', 'stopped'))
    if module._diff and (before or after):
        result['diff'] = dict(before=render(before), after=render(after),
                              before_header='stored definitions before', after_header='stored definitions after')
    module.exit_json(**result)


def render(definitions):
    return ''.join(xml or '' for dummy, xml in sorted(definitions.items()))


if __name__ == '__main__':
    main()
