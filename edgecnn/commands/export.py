"""`edgecnn` commands of the export area (placeholder until that area lands)."""

import typer

app = typer.Typer()
