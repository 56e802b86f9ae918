"""``edgecnn zoo``: every architecture exported to int8 and measured the same way."""

from __future__ import annotations

from enum import Enum
from pathlib import Path

import typer

from edgecnn.commands.checks import writable_dir
from edgecnn.commands.export import StageConsole
from edgecnn.train.models import Arch

app = typer.Typer()


class ZooModel(str, Enum):
    """The zoo's entries: the architectures, and the ensemble averaged from trained ones."""

    SEED = Arch.SEED.value
    TINY = Arch.TINY.value
    LARGE = Arch.LARGE.value
    WIDE = Arch.WIDE.value
    ENSEMBLE = "ensemble"


@app.command()
def zoo(
    arch: list[ZooModel] = typer.Option(
        [],
        "--arch",
        help="Entries to measure (repeat the option): the architectures, and ensemble "
        "(made by `edgecnn ensemble`). Default: every architecture, and the ensemble "
        "when there is one.",
        show_default=False,
    ),
    models_dir: Path | None = typer.Option(
        None,
        "--models-dir",
        help="Where <arch>.keras models are kept (default: the shipped data/models).",
    ),
    out: Path = typer.Option(
        Path("artifacts/zoo"), "--out", help="Folder for the int8 exports, zoo.md and zoo.json."
    ),
    data: Path | None = typer.Option(None, "--data", help="MNIST to use (default: bundled)."),
    max_drop: float = typer.Option(
        0.5, "--max-drop", help="The export gate's tolerance (pp), applied to each."
    ),
    readme: Path | None = typer.Option(
        None, "--readme", help="Also write the table between the zoo markers of this file."
    ),
) -> None:
    """Export each architecture to int8 (gated) and print the zoo table.

    Columns: parameters, int8 size, float and int8 accuracy on the 10,000 test
    images, the drop, single-image predict latency on this machine (1 thread), the
    TensorFlow Lite Micro arena, and int8 accuracy on shifted test sets (rotated,
    thickened, thinned, shifted, noised).
    """
    from edgecnn.export import zoo as zoo_lib

    writable_dir(out, "--out")
    if readme is not None:
        zoo_lib.check_readme(readme)  # before minutes of work, not after
    models = models_dir or zoo_lib.ZOO_DIR
    archs = list(dict.fromkeys(a.value for a in arch))  # each once, in the order given
    if not archs:
        archs = [a.value for a in Arch]
        if zoo_lib.keras_path(zoo_lib.ENSEMBLE, models).is_file():
            archs.append(zoo_lib.ENSEMBLE)
    entries = zoo_lib.run_zoo(
        archs,
        models,
        out,
        data,
        max_drop,
        echo=lambda line: typer.echo(line, err=True),
        progress=StageConsole(),
    )
    table = zoo_lib.render_markdown(entries)
    typer.echo(table)
    typer.echo(f"wrote {out / 'zoo.md'} and {out / 'zoo.json'}", err=True)
    if readme is not None:
        zoo_lib.update_readme(readme, table)
        typer.echo(f"updated the zoo table in {readme}", err=True)
