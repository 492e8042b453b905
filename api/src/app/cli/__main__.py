"""`python -m app.cli` runs the `wump` command."""

from app.cli import main

main()
