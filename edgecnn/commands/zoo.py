"""`edgecnn` commands of the zoo area (placeholder until that area lands)."""

import typer

app = typer.Typer()
