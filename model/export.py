"""export.py — writes a trained checkpoint as the weights blob (model/FORMAT.md) plus golden
vectors for tests/test_golden.c, and checks the C network against PyTorch before it finishes.

    /usr/bin/python3 model/export.py --run shipped        # -> model/quell.qwb, model/golden.bin

golden.bin layout (all little-endian):
  offset 0   8 bytes  magic "QUELLGV\\0"
         8   u32      version = 1
        12   u32      T, number of frames
        16   u32      F, features per frame (the blob's nfeat)
        20   u32      B, bands (the blob's nb_bands)
        24   u32      CRC-32 of the blob these outputs belong to (its last 4 bytes)
        28   u32      reserved = 0
        32   f32      features [T][F]   (engine features of a held-out cache mixture with speech)
             f32      gains    [T][B]   PyTorch outputs from zero state
             f32      vad      [T]
"""
import argparse
import os
import struct
import sys
import zlib

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import quell_dsp  # noqa: E402
from train import QuellNet  # noqa: E402

BLOB_MAGIC = b"QUELLWB\0"
BLOB_VERSION = 2  # format 2: the header's last word is feature_flags (FORMAT.md)
HEADER_SIZE = 64
GOLDEN_MAGIC = b"QUELLGV\0"
GOLDEN_FRAMES = 300
TOLERANCE = 1e-4  # the same bound tests/test_golden.c asserts


def config_bytes(cfg):
    """The ten configuration fields, in FORMAT.md order (u32 except three f32)."""
    return struct.pack("<3I3f4I", cfg["hop_us"], cfg["window_hops"], cfg["nb_bands"],
                       cfg["band_fmax_hz"], cfg["band_min_hz"], cfg["norm_tau_ms"], cfg["nfeat"],
                       cfg["input_hidden"], cfg["gru_layers"], cfg["gru_hidden"])


def tensor_record(name, arr):
    a = np.ascontiguousarray(arr, dtype="<f4")
    if not np.all(np.isfinite(a)):
        raise ValueError(f"{name} holds non-finite values")
    nm = name.encode("ascii")
    if len(nm) >= 32:
        raise ValueError(f"tensor name too long: {name}")
    rows, cols = (a.shape[0], 1) if a.ndim == 1 else a.shape
    return nm.ljust(32, b"\0") + struct.pack("<4I", a.ndim, rows, cols, 0) + a.tobytes()


def model_tensors(model):
    """(name, array) in FORMAT.md order from a QuellNet."""
    sd = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    # Training's lag taps weigh differences, D_n (x_t - x_{t-n}); the blob weighs frames:
    # (W + sum D_n) x_t + sum (-D_n) x_{t-n}, the same function (train.QuellNet.__init__).
    lag_w = {n: sd[f"lag.{n}.weight"].astype(np.float64) for n in model.input_lags}
    w0 = sd["input.weight"].astype(np.float64) + sum(lag_w.values(), np.zeros(1))
    out = [("norm.mean", sd["norm_mean"]), ("norm.scale", sd["norm_scale"]),
           ("input.weight", w0.astype(np.float32)), ("input.bias", sd["input.bias"])]
    out += [(f"input.weight_lag{n}", (-w).astype(np.float32)) for n, w in lag_w.items()]
    for i in range(len(model.grus)):
        for part in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            out.append((f"gru{i}.{part}", sd[f"grus.{i}.{part}_l0"]))
    out += [("gain.weight", sd["gain.weight"]), ("gain.bias", sd["gain.bias"]),
            ("vad.weight", sd["vad.weight"]), ("vad.bias", sd["vad.bias"])]
    return out


def info_section(text):
    """Format 3's info section (FORMAT.md): "QINF", u32 length, the text, zeros to 4 bytes."""
    t = text.encode("utf-8")
    if len(t) > 4096 or any(b < 0x20 and b not in (9, 10) for b in t):
        raise ValueError("info text: at most 4096 bytes, no control characters but \\n and \\t")
    return b"QINF" + struct.pack("<I", len(t)) + t + b"\0" * (-len(t) % 4)


def blob_bytes(cfg, model, info=None):
    """The blob of a QuellNet: format 2, or format 3 with `info` (key=value text, quell-adapt's
    record of what it adapted) in the info section."""
    tensors = model_tensors(model)
    version = BLOB_VERSION if info is None else 3
    head = BLOB_MAGIC + struct.pack("<2I", version, HEADER_SIZE) + config_bytes(cfg)
    head += struct.pack("<2I", len(tensors), cfg.get("feature_flags", 0))
    assert len(head) == HEADER_SIZE
    body = head + b"".join(tensor_record(n, a) for n, a in tensors)
    if info is not None:
        body += info_section(info)
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


def golden_bytes(blob, feats, gains, vad):
    T, F = feats.shape
    B = gains.shape[1]
    crc = struct.unpack("<I", blob[-4:])[0]
    return (GOLDEN_MAGIC + struct.pack("<6I", 1, T, F, B, crc, 0)
            + np.ascontiguousarray(feats, "<f4").tobytes()
            + np.ascontiguousarray(gains, "<f4").tobytes()
            + np.ascontiguousarray(vad, "<f4").tobytes())


def load_checkpoint(path):
    ck = torch.load(path, map_location="cpu")
    cfg = ck["config"]
    model = QuellNet(cfg["nfeat"], cfg["nb_bands"], cfg["input_hidden"], cfg["gru_layers"],
                     cfg["gru_hidden"], cfg.get("input_lags", ()))
    model.load_state_dict(ck["model"])
    model.eval()
    return model, cfg, ck


def golden_features(cache):
    """Features of a held-out validation clip (the cache's last clips) that holds both speech
    and pauses in its first GOLDEN_FRAMES frames, so the golden outputs span passing and
    suppressing; chosen from the targets alone, deterministically."""
    import data
    F, G, V, _ = data.open_cache(cache)
    for i in range(len(F) - 1, max(-1, len(F) - 100), -1):
        v = np.asarray(V[i, :GOLDEN_FRAMES], np.float32)
        g = np.asarray(G[i, :GOLDEN_FRAMES], np.float32)
        if 0.3 <= v.mean() <= 0.8 and (g < 0).mean() < 0.2:
            print(f"golden frames from cache clip {i}")
            return np.asarray(F[i, :GOLDEN_FRAMES], np.float32)
    return np.asarray(F[-1, :GOLDEN_FRAMES], np.float32)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", default="shipped")
    ap.add_argument("--checkpoint", help="default: model/checkpoints/<run>.pt")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "train"))
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--golden", default=os.path.join(HERE, "golden.bin"))
    a = ap.parse_args()
    model, cfg, _ = load_checkpoint(a.checkpoint or os.path.join(HERE, "checkpoints", f"{a.run}.pt"))
    blob = blob_bytes(cfg, model)

    feats = golden_features(a.cache)
    with torch.no_grad():
        g, v, _ = model(torch.from_numpy(feats)[None])
    g, v = g[0].numpy(), v[0].numpy()

    # The engine must load the blob and reproduce PyTorch before anything is written.
    cm = quell_dsp.Model.from_bytes(blob)
    cg, cv = cm.run_net(feats)
    err = max(float(np.max(np.abs(cg - g))), float(np.max(np.abs(cv - v))))
    print(f"C vs PyTorch on {len(feats)} golden frames: max abs error {err:.2e}")
    if not err <= TOLERANCE:
        raise SystemExit(f"C network disagrees with PyTorch ({err:.2e} > {TOLERANCE}): not written")

    for path, data_ in ((a.blob, blob), (a.golden, golden_bytes(blob, feats, g, v))):
        with open(path + ".tmp", "wb") as fh:
            fh.write(data_)
        os.replace(path + ".tmp", path)
        print(f"wrote {path} ({len(data_)} bytes)")


if __name__ == "__main__":
    main()
