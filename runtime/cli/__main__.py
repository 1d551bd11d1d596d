"""``python -m runtime.cli`` runs the ``banwen`` command."""

from runtime.cli import main

main()
