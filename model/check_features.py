"""check_features.py DUMP BLOB — proves the features training sees are the plugin's.

1. For every section of DUMP (written by tests/features_dump.c, a C program calling the engine's
   quell_train_analyze directly), model/quell_dsp.py recomputes features and band energies of
   the same signal through ctypes: they must be bit-identical.
2. The streaming engine (quell_engine_process, what the LV2/LADSPA plugins run) is fed the same
   signal hop by hop with BLOB's network; its voice probability after each hop must equal the
   network run on quell_dsp.py's features (quell_train_run_net): the plugin computes the very
   features the model was trained on, at every rate, from its own streaming buffers.
Exit 0 pass, 1 fail."""
import ctypes
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import quell_dsp  # noqa: E402


def read_dump(path):
    raw = open(path, "rb").read()
    head = ctypes.sizeof(quell_dsp.QuellConfig)  # features_dump writes the C struct as it is
    cfg = quell_dsp.QuellConfig.from_buffer_copy(raw[:head])
    (count,) = struct.unpack_from("<I", raw, head)
    off, sections = head + 4, []
    for _ in range(count):
        rate, n, frames = struct.unpack_from("<3I", raw, off)
        off += 12
        parts = {}
        for name, size in (("noisy", n), ("clean", n), ("feat", frames * cfg.nfeat),
                           ("en", frames * cfg.nb_bands), ("ec", frames * cfg.nb_bands)):
            parts[name] = np.frombuffer(raw, "<f4", size, off)
            off += 4 * size
        parts["feat"] = parts["feat"].reshape(frames, cfg.nfeat)
        parts["en"] = parts["en"].reshape(frames, cfg.nb_bands)
        parts["ec"] = parts["ec"].reshape(frames, cfg.nb_bands)
        sections.append((rate, parts))
    if off != len(raw):
        raise SystemExit(f"{path}: {len(raw) - off} trailing bytes")
    return cfg, sections


def main():
    dump, blob = sys.argv[1], sys.argv[2]
    cfg, sections = read_dump(dump)
    model = quell_dsp.Model.load(blob)
    failures = 0
    for rate, p in sections:
        feat, en, ec = quell_dsp.analyze(cfg, rate, p["noisy"], p["clean"])
        same = (np.array_equal(feat, p["feat"]) and np.array_equal(en, p["en"])
                and np.array_equal(ec, p["ec"]))
        diff = max(float(np.max(np.abs(feat - p["feat"]))), float(np.max(np.abs(en - p["en"]))))
        # The signal must exercise the features (not all silence / all -10).
        live = float(np.std(feat[:, :cfg.nb_bands]))
        print(f"{rate} Hz: {len(feat)} frames, python == C: {same} (max diff {diff:.3g}), "
              f"feature spread {live:.2f}")
        if not same or live < 0.1:
            failures += 1

        raw, vad_ref = model.run_net(feat)
        eng = quell_dsp.Engine(model, rate)
        eng.set_params(enabled=1)
        hop = quell_dsp.hop_samples(cfg, rate)
        blocks, vad = [], []
        for t in range(len(feat)):
            blocks.append(eng.process(p["noisy"][t * hop:(t + 1) * hop]))
            vad.append(eng.voice_probability())
        vad = np.array(vad, np.float32)
        err = float(np.max(np.abs(vad - vad_ref)))
        print(f"{rate} Hz: streaming engine voice probability vs network on python features: "
              f"max diff {err:.3g} (range {vad_ref.min():.3f}..{vad_ref.max():.3f})")
        if not err <= 1e-6:
            failures += 1

        # The engine's output is the network's gains through its smoothing (the C code that
        # quell_dsp.smooth_gains calls) and the default attenuation limit, applied by the
        # filterbank: what model/smoothing_sweep.py varies.
        g = quell_dsp.apply_atten_limit(quell_dsp.smooth_gains(raw, vad_ref, hop / rate),
                                        quell_dsp.default_params().atten_limit_db)
        want = quell_dsp.apply_gains(cfg, rate, p["noisy"], g)
        got = np.concatenate(blocks)
        n = min(len(want), len(got))
        err = float(np.max(np.abs(got[:n] - want[:n])))
        print(f"{rate} Hz: streaming engine output vs smoothed network gains through the "
              f"filterbank: max diff {err:.3g} (output peak {float(np.max(np.abs(want))):.3f})")
        if not err <= 1e-6:
            failures += 1
    print("ok" if failures == 0 else f"{failures} check(s) failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
