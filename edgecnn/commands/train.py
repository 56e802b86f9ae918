"""`edgecnn` commands of the train area (placeholder until that area lands)."""

import typer

app = typer.Typer()
