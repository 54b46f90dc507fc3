"""`coachgen --help` against a bare typer app's `--help`: median wall time of 15 runs each.

Target: coachgen within 1.5 x the bare app (heavy libraries are imported lazily).
Run: .venv/bin/python benchmarks/cli_startup.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import median_seconds  # noqa: E402

BARE = '''
import typer
app = typer.Typer()
@app.command()
def hello(name: str = "world") -> None:
    """Say hello."""
    print(name)
@app.command()
def bye() -> None:
    """Say bye."""
app()
'''


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare.py"
        bare.write_text(BARE)
        coachgen = Path(sys.executable).with_name("coachgen")
        run = lambda *cmd: subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)  # noqa: E731
        run(str(coachgen), "--help")
        run(sys.executable, str(bare), "--help")
        bare_s = median_seconds(lambda: run(sys.executable, str(bare), "--help"), 15)
        ours = median_seconds(lambda: run(str(coachgen), "--help"), 15)
        sub = median_seconds(lambda: run(str(coachgen), "kb", "--help"), 15)
    print(f"bare typer --help      {bare_s * 1000:7.1f} ms")
    print(f"coachgen --help        {ours * 1000:7.1f} ms   ratio {ours / bare_s:.2f} (target <= 1.5)")
    print(f"coachgen kb --help     {sub * 1000:7.1f} ms   ratio {sub / bare_s:.2f}")


if __name__ == "__main__":
    main()
