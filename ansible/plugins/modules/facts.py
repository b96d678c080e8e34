#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
module: facts
short_description: netplug's view of a host's interfaces, as facts
version_added: 0.1.0
description:
  - Gathers the live state of the host's interfaces (C(netplug show)) and netplug's stored
    definitions (C(netplug list) and C(netplug dumpxml --inactive)) as the fact C(netplug).
extends_documentation_fragment:
  - netplug.host.common
  - action_common_attributes
  - action_common_attributes.facts
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  facts:
    support: full
  platform:
    platforms: posix
options:
  names:
    description:
      - Only these interfaces' live state (default every interface a netplug plugin recognises).
      - An interface that does not exist is left out of RV(ansible_facts.netplug.live).
    type: list
    elements: str
author:
  - netplug developers (@netplug)
'''

EXAMPLES = r'''
- name: Gather netplug facts
  netplug.host.facts:

- name: Show the stored definitions
  ansible.builtin.debug:
    var: ansible_facts.netplug.definitions
'''

RETURN = r'''
ansible_facts:
  description: The facts gathered.
  returned: always
  type: complex
  contains:
    netplug:
      description: netplug's view of the host.
      returned: always
      type: complex
      contains:
        live:
          description:
            - The live state in netplug's native XML, one document for the interfaces asked for
              (or all that a plugin recognises).
          type: str
          returned: always
        interfaces:
          description:
            - The same live interfaces as data (C(netplug show --json), schema version 1 of
              netplug's docs/json.md).
          type: list
          elements: dict
          returned: always
          contains:
            name:
              description: The interface name.
              type: str
            kind:
              description: Its kind.
              type: str
            state:
              description: C(up), C(down) or C(absent).
              type: str
            mac:
              description: Its MAC address.
              type: str
            mtu:
              description: Its MTU.
              type: int
            master:
              description: The bridge or bond it is a port of, if any.
              type: str
            parent:
              description: The link a VLAN sits on, if any.
              type: str
            element:
              description: The whole native XML element as data (C(name), C(attributes), C(children), C(text)).
              type: dict
        definitions:
          description: The stored definitions.
          type: list
          elements: dict
          returned: always
          contains:
            name:
              description: The interface name.
              type: str
            kind:
              description: Its kind (ethernet, bridge, bond, vlan, ...).
              type: str
            active:
              description: Whether it exists and is up.
              type: bool
            mac:
              description: Its MAC address, when known.
              type: str
            startmode:
              description: When netplug brings it up (onboot, hotplug, manual, ...).
              type: str
            xml:
              description: The stored definition in netplug's native XML.
              type: str
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.netplug.host.plugins.module_utils import netplug as np


def main():
    argument_spec = dict(names=dict(type='list', elements='str'))
    argument_spec.update(np.COMMON_ARGS)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)
    client = np.Netplug(module)
    try:
        names = module.params['names']
        if names:
            live, interfaces = '', []
            for n in names:
                xml = client.show(n)
                if xml is not None:
                    live += xml
                    interfaces += client.live_interfaces([n])
        else:
            live = client.show_all()
            interfaces = client.live_interfaces()
        definitions = client.definitions()
        for d in definitions:
            d['xml'] = client.definition_xml(d['name'])
    except np.NetplugError as e:
        module.fail_json(**e.result())
    module.exit_json(changed=False, ansible_facts=dict(netplug=dict(
        live=live, interfaces=interfaces, definitions=definitions)))


if __name__ == '__main__':
    main()
