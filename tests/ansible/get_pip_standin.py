"""Stand-in for the get-pip.py bootstrap script that ansible-test downloads from a host this
machine cannot reach. ansible-test runs it in each fresh sanity-test virtual environment with
the pip arguments it wants (the pinned pip, setuptools and wheel); this does the same with the
environment's own ensurepip, then pip from the package index. Installed by the fleet tests as
ansible-test's documented cache file ~/.ansible/test/cache/get_pip_<version>.py."""

import ensurepip
import subprocess
import sys

ensurepip.bootstrap(upgrade=True)
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + sys.argv[1:]))
