"""`edgecnn` commands of the camera area (placeholder until that area lands)."""

import typer

app = typer.Typer()
