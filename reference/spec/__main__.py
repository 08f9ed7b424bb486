"""``python -m picklespec.reference.spec > reference/OPCODES.md``."""

import sys

from .opcodes_md import render

sys.stdout.write(render())
