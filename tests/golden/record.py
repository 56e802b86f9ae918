"""Record the golden answers of the bundled seed model (run only when the model changes).

    .venv/bin/python tests/golden/record.py

Writes tests/golden/seed_int8_answers.json: for a few real MNIST test digits and
photo-like versions of them, the digit and the int8 model's output probabilities.
"""

from __future__ import annotations

import json
from pathlib import Path

from golden_inputs import GOLDEN_MODEL, golden_inputs

from edge_runtime import DigitClassifier

HERE = Path(__file__).resolve().parent


def main() -> None:
    answers = []
    with DigitClassifier(GOLDEN_MODEL) as classifier:
        for name, image in golden_inputs():
            p = classifier.predict(image)
            answers.append(
                {
                    "input": name,
                    "digit": p.digit,
                    "probabilities": [round(float(x), 6) for x in p.probabilities],
                }
            )
    out = HERE / "seed_int8_answers.json"
    out.write_text(json.dumps({"model": GOLDEN_MODEL.name, "answers": answers}, indent=1) + "\n")
    print(f"wrote {len(answers)} answers to {out}")


if __name__ == "__main__":
    main()
