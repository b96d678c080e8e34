# -*- coding: utf-8 -*-
# Copyright: netplug developers
# GNU Lesser General Public License v2.1 or later (see COPYING or https://www.gnu.org/licenses/lgpl-2.1.txt)
"""A stand-in for the netplug binary in unit tests: answers the verbs the collection uses with
netplug's documented output (docs/json.md, version 1), driven by FAKE_NETPLUG_* variables, and
logs each command line."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import sys
import time

STEP = {"plugin": "static", "interface": "eth0", "phase": "address",
        "description": "add address 192.0.2.10/24", "payload": "{}"}


def main():
    argv = sys.argv[1:]
    with open(os.environ['FAKE_NETPLUG_LOG'], 'a') as log:
        log.write(json.dumps(argv) + '\n')
    verbs = ('plan', 'apply', 'show', 'list', 'dumpxml', 'define', 'undefine', 'start', 'stop', 'confirm')
    verb = next(a for a in argv if a in verbs)
    rest = argv[argv.index(verb) + 1:]
    steps = [STEP] if os.environ.get('FAKE_NETPLUG_CHANGES') == '1' else []
    if os.environ.get('FAKE_NETPLUG_INVALID') == '1' and verb in ('plan', 'apply', 'define'):
        doc = [a for a in rest if a.endswith('.xml')][0]
        print(json.dumps({"version": 1, "valid": False, "diagnostics": [
            {"file": doc, "line": 3, "column": 21, "severity": "error",
             "message": "invalid ipaddr `10.0.0.299/24`", "interface": "eth0", "attribute": "ipaddr"}]}))
        return 1
    json_out = '--json' in argv
    if verb == 'plan':
        print(json.dumps({"version": 1, "steps": steps}))
    elif verb == 'apply':
        print(json.dumps({"version": 1, "applied": True, "changed": bool(steps), "verified": True,
                          "steps": steps, "error": None, "rollback": None}))
        sys.stdout.flush()
        if '--confirm' in rest and steps:
            time.sleep(float(os.environ.get('FAKE_NETPLUG_WAIT', '0.2')))
            if os.environ.get('FAKE_NETPLUG_CONFIRMED') != '1':
                sys.stderr.write('netplug: not confirmed within 1 s; rolling back\n')
                return 1
    elif verb == 'show' and json_out:
        print(json.dumps({"version": 1, "interfaces": [
            {"name": rest[0] if rest else 'eth0', "kind": "ethernet", "state": "up", "startmode": None,
             "mac": "52:54:00:00:00:01", "mtu": 1500, "master": None, "parent": None, "element": {}}]}))
    elif verb == 'show':
        print('<interface device="%s"/>' % (rest[0] if rest else 'eth0'))
    elif verb == 'list':
        print(json.dumps({"version": 1, "interfaces": [
            {"name": "br0", "kind": "bridge", "active": False, "mac": None, "startmode": "onboot"}]}))
    elif verb == 'dumpxml':
        if rest[-1] != 'br0':
            sys.stderr.write('netplug: error: %s: no such definition\n' % rest[-1])
            return 2
        print('<bridge name="br0" stp="off"/>')
    elif verb == 'confirm':
        sys.stderr.write('netplug: error: no confirmed apply is waiting\n')
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
