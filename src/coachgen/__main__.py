"""``python -m coachgen``."""

from coachgen.cli import main

main()
