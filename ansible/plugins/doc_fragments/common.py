# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # The options every module of netplug.host takes: which netplug, where it acts, and where
    # it keeps its files.
    DOCUMENTATION = r'''
options:
  executable:
    description:
      - Path of the C(netplug) binary on the managed host.
      - By default it is looked up in E(PATH), then C(/usr/local/bin), C(/usr/sbin) and C(/usr/local/sbin).
    type: path
  netns:
    description:
      - Act inside this network namespace of the managed host (as made by C(ip netns add)), through
        netplug's C(--netns).
      - Lets one machine stand for many hosts, one namespace each, as the collection's own tests do.
    type: str
  config_dir:
    description:
      - Where netplug stores interface definitions (C(--config-dir)). netplug's default is C(/etc/netplug).
    type: path
  run_dir:
    description:
      - Where netplug keeps its lock and runtime state (C(--run-dir)). netplug's default is C(/run/netplug).
    type: path
  state_dir:
    description:
      - Where netplug journals transactions and pending confirmations (C(--state-dir)).
        netplug's default is C(/var/lib/netplug).
    type: path
  lock_wait:
    description:
      - How long, in seconds, to wait for another netplug on the host to finish (C(--wait)).
        netplug's default is 30.
    type: float
requirements:
  - netplug on the managed host
'''
