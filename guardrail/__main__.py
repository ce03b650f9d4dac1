"""``python -m guardrail``: the ``guardrail`` command (for tools that run it with a given interpreter)."""

import sys

from ._cli import main

sys.exit(main())
