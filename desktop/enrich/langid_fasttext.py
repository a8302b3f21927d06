"""fastText "lid.176" (compressed) language scores, read from the shipped model file.

The model is ``resources/language/lid.176.ftz`` (CC BY-SA 3.0, see the README beside
it), run by the ``fasttext-predict`` package. Nothing is ever downloaded: a missing
file raises :class:`FileNotFoundError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

MODEL_NAME = "lid.176.ftz"
_PREFIX_LEN = len("__label__")
# Model labels that are varieties or old codes of a language we name otherwise.
FT_ALIASES: dict[str, str] = {"wuu": "zh", "yue": "zh", "arz": "ar", "azb": "az", "sh": "hr"}


def model_path() -> Path:
    """Where the shipped fastText model lives."""
    from desktop.paths import resources_dir

    return resources_dir() / "language" / MODEL_NAME


class FastTextScorer:
    """Top-``k`` label probabilities of the fastText model (thread-safe: predict is const)."""

    def __init__(self, path: Path | None = None) -> None:
        import fasttext  # fasttext-predict

        path = path or model_path()
        if not path.is_file():
            raise FileNotFoundError(f"fastText language model missing: {path}")
        self._model: Any = fasttext.load_model(str(path))

    def probabilities(self, text: str, k: int) -> dict[str, float]:
        """``{code: probability}`` for the ``k`` most likely labels of one line of text."""
        labels, probs = self._model.predict(text.replace("\n", " "), k=k)
        out: dict[str, float] = {}
        for label, prob in zip(labels, probs, strict=True):
            code = label[_PREFIX_LEN:]
            code = FT_ALIASES.get(code, code)
            out[code] = out.get(code, 0.0) + float(prob)
        return out
