"""`edgecnn` commands of the runtime area (placeholder until that area lands)."""

import typer

app = typer.Typer()
