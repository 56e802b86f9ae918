"""One typer sub-app per area; each imports its heavy modules inside its commands."""
