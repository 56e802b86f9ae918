"""Re-record the golden photo floors: `.venv/bin/python tests/golden/record_photos.py`.

Do it when the default model or the finder gets better on purpose, and say why in the
commit; the test fails whenever a change reads fewer digits or more false ones.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from real_photos import record

from edgecnn.defaults import bundled_model

if __name__ == "__main__":
    record(Path(sys.argv[1]) if len(sys.argv) > 1 else bundled_model())
