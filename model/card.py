"""card.py — writes model/MODEL.md (the model card) from what `make train` just did.

Everything in it is read from the run's records: model/checkpoints/<run>.json (written by
train.py), the cache's meta.json (data.py) and the exported blob. The evaluation section
between the EVAL markers belongs to `make eval` (model/eval.py) and is kept as it is.
"""
import argparse
import json
import os
import struct
import sys
import zlib

import quell_dsp  # the config mirror; its library loads only when called

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

EVAL_BEGIN = "<!-- EVAL:BEGIN (written by `make eval`; card.py keeps this section as it is) -->"
EVAL_END = "<!-- EVAL:END -->"
EVAL_PLACEHOLDER = ("_Not measured yet: run `make eval` (model/eval.mk) to fill this section with "
                    "SI-SDR, STOI and DNSMOS on ../shared/data/dev/mix48 and dev/noizeus._")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", default="shipped")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "train"))
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--out", default=os.path.join(HERE, "MODEL.md"))
    a = ap.parse_args()
    with open(os.path.join(HERE, "checkpoints", f"{a.run}.json")) as fh:
        run = json.load(fh)
    with open(os.path.join(a.cache, "meta.json")) as fh:
        meta = json.load(fh)
    # A second training stage (train.py --init) starts from an earlier run's weights: record the
    # first stage too, so the card describes everything `make train` did.
    stage_rows = []
    init = run["args"].get("init")
    if init:
        with open(os.path.splitext(init)[0] + ".json") as fh:
            first = json.load(fh)
        fa, ff = first["args"], first["final"] or {}
        stage_rows.append(
            f"| first stage (`{first['run']}`; the rows above are the second stage, started from "
            f"its weights with --init) | {first['steps']} steps x {fa['batch']} clips, seed "
            f"{fa['seed']}, lr {fa['lr']:g}, speech guard {fa.get('speech_guard', 0.5):g}, "
            f"{first['frames'] / 1e6:.1f} M frames, {first['train_minutes']} min wall / "
            f"{first['cpu_minutes']} min CPU; validation loss {ff.get('val_loss', float('nan')):.4f} |")
    blob = open(a.blob, "rb").read()
    crc = struct.unpack("<I", blob[-4:])[0]
    assert crc == zlib.crc32(blob[:-4]) & 0xFFFFFFFF
    cfg = run["config"]
    args = run["args"]
    fps = 1e6 / cfg["hop_us"]
    try:
        c = quell_dsp.QuellConfig.from_dict(cfg)
        centres = ", ".join(f"{x:.0f}" for x in quell_dsp.band_centres(c))
    except Exception as e:  # the card still gets written without the library
        centres = f"(library unavailable: {e})"

    eval_body = EVAL_PLACEHOLDER
    if os.path.exists(a.out):
        old = open(a.out).read()
        if EVAL_BEGIN in old and EVAL_END in old:
            eval_body = old.split(EVAL_BEGIN, 1)[1].split(EVAL_END, 1)[0].strip() or eval_body

    final = run["final"] or {}
    sm = meta["source_minutes"]
    f = meta["folders"]
    lines = [
        "# Quell model card",
        "",
        "The shipped gain estimator `model/quell.qwb` (format: `model/FORMAT.md`). This file is",
        "written by `make train` (model/card.py) from the run's own records; do not edit by hand",
        "except the evaluation section, which `make eval` owns.",
        "",
        "## Reproduce",
        "",
        "```sh",
        "apt-get install -y python3-numpy python3-scipy python3-soundfile python3-torch",
        "../shared/data/get-debian-speech.sh $PWD/model/cache/debian-speech   # wideband speech, once",
        "make train            # cache -> train -> export -> this card (fixed seed)",
        "```",
        "",
        "## Architecture",
        "",
        "| item | value |",
        "|---|---|",
        f"| features | {cfg['nfeat']} per frame: log10 energy of {cfg['nb_bands']} triangular ERB-like "
        f"bands (0 Hz to {cfg['band_fmax_hz']:.0f} Hz, centres at least {cfg['band_min_hz']:.0f} Hz "
        f"apart) and the same minus a running mean (tau {cfg['norm_tau_ms']:.0f} ms"
        + (", starting as the plain mean of the frames so far: feature flag MEAN_WARMUP"
           if cfg.get("feature_flags", 0) & quell_dsp.FEATURE_MEAN_WARMUP else "") + ")"
        + (" and per-band pitch correlation (model/FORMAT.md)" if cfg["nfeat"] == 3 * cfg["nb_bands"]
           else "") + " |",
        f"| frames | hop {cfg['hop_us'] / 1000:g} ms, analysis window {cfg['window_hops']} hops, "
        f"{fps:.0f} frames/s at every rate; latency 2 hops = {2 * cfg['hop_us'] / 1000:g} ms |",
        f"| network | norm -> dense tanh {cfg['input_hidden']} -> {cfg['gru_layers']} stacked GRU x "
        f"{cfg['gru_hidden']} -> concat ({cfg['gru_layers'] * cfg['gru_hidden']}) -> "
        f"gains sigmoid ({cfg['nb_bands']}) + voice sigmoid (1) |",
        f"| parameters | {run['parameters']:,} (blob {len(blob):,} bytes, CRC-32 {crc:08x}) |",
        f"| cost | {run['macs_per_frame']:,} MAC/frame = {run['macs_per_frame'] * fps / 1e6:.1f} "
        f"MMAC/s at 48 kHz (and at every other rate: the frame rate is fixed) |",
        "",
        f"Band centres (Hz): {centres}.",
        "",
        "## Data",
        "",
        f"Mixed by `model/data.py` (seed {meta['seed']}), {meta['clips']} clips of "
        f"{meta['frames_per_clip']} frames = {meta['mixture_minutes']} min of mixtures; analysis "
        f"rates (clips): {', '.join(f'{k} Hz: {v}' for k, v in meta['rates'].items())}. "
        "Features and band energies from the C engine (build/libquell_dsp.so via model/quell_dsp.py).",
        "",
        "| source | folders | files | minutes |",
        "|---|---|---|---|",
        f"| speech 16 kHz | {', '.join('`' + x + '`' for x in f['speech16'])} | "
        f"{meta['source_files']['speech16']} | {sm['speech16']} |",
        f"| speech 44.1 kHz (Debian tuxpaint-stamps-default) | {', '.join('`' + x + '`' for x in f['speechwb'])} | "
        f"{meta['source_files']['speechwb']} | {sm['speechwb']} |",
        f"| noise | {', '.join('`' + x + '`' for x in f['noise'])} | {meta['source_files']['noise']} | "
        f"{sm['noise']} |",
        "| synthetic noise (full band) | white, pink, brown, tilted, mains hum + harmonics, hiss, "
        "fan (blade-pass tones + whine) | – | generated per clip |",
        "",
        "Never trained on (held out for evaluation): tuxpaint `bg`, `lt`, `nl`, `ml`; the Italian",
        "asterisk prompts (no asterisk prompt is used: they are G.722, which nothing here decodes);",
        "`noise/ambient/playground`; `noise/street_cafe`; everything under `dev/`.",
        "",
        "Augmentation per clip: utterances concatenated with 0.05–1.2 s gaps, speed ±8 % (30 %),",
        "8 % noise-only clips, 10 % speech-only clips, SNR −5…30 dB on active speech (15 % drawn from",
        "−5…10 dB), one or two noises, slow level swings (25 %), a −35…−15 dB full-band hiss floor",
        "(50 %), synthetic room reverberation RT60 0.15–0.9 s (25 %; the target keeps the first",
        "50 ms), microphone EQ on mixture and target alike (50 %), level −45…−10 dBFS, clipping (8 %),",
        "real noise recorded band-limited (most of `noise/` is 16 kHz) given highs above its Nyquist",
        "(80 %: shaped noise following the envelope of its own top band, −15…+3 dB against it),",
        "a band-limited capture (20 %: mixture and target low-passed, 8th-order Butterworth, bands",
        "above the cut masked; half of these at 3.4–8 kHz like 16 kHz-sampled material or old",
        "recorders, half narrowband telephone: low-passed at 3.2–3.8 kHz and high-passed at",
        "200–400 Hz, 4th order, the band of 8 kHz calls and of NOIZEUS's IRS-filtered speech,",
        "bands below the cut masked too),",
        "analysis at 48 kHz (70 %) or 44.1/32/16 kHz (bands above Nyquist read as silence)",
        f"(recipe version {meta.get('recipe', 1)} of `model/data.py`).",
        "",
        "Targets: g = sqrt(E_clean / E_noisy) clipped to [0, 1] per band, masked above the analysis",
        "Nyquist, in digital silence, and — while speech is active — above a band-limited speech",
        "source's Nyquist (its highs are unknown, not absent); voice activity = clean frame energy",
        "within 35 dB of the clip's loudest clean frame.",
        "",
        "## Training",
        "",
        "| item | value |",
        "|---|---|",
        f"| seed | {args['seed']} |",
        f"| loss | mean over unmasked bands of w·(d² + 10·d⁴), d = √ĝ − √g, w = 1 + {args.get('speech_guard', 0.5):g} where "
        + ("ĝ < g in frames with voice activity (speech guard; speech-free frames unguarded)"
           if args.get("guard_voiced") else "ĝ < g (speech guard)")
        + (f", the guard times 1 + {args['onset_guard']:g}·exp(−t / {args.get('onset_frames', 200) * cfg['hop_us'] / 1e6:g} s) "
           "in a clip's first frames (onset guard: each clip starts cold, as the plugin does)"
           if args.get("onset_guard") else "")
        + (f"; + {args['spec_weight']:g} · energy-weighted compressed-magnitude term "
           "w·E^0.3·(ĝ^0.3 − g^0.3)² (E = noisy band energy normalised per clip, as "
           "DeepFilterNet's |X|^0.3 spectral loss)" if args.get("spec_weight") else "")
        + (f"; + {args['stoi_weight']:g} · (1 − correlation of enhanced and clean band envelopes "
           "over 320 ms voiced segments, bands 150 Hz–4.5 kHz: STOI's measure in the band domain)"
           if args.get("stoi_weight") else "")
        + (f"; + {args['sdr_weight']:g} · band-domain SDR in dB per clip, 10·log10(Σ E·(s·(1 − ĝ)² + "
           "(1 − s)·ĝ²) / Σ E·s), s = g² the speech share of the noisy band energy E, both sums "
           "floored at 10⁻³ Σ E (energy-weighted like SI-SDR: loud voiced frames count by their energy)"
           if args.get("sdr_weight") else "")
        + "; + 0.1 · voice BCE"
        + (f"; g in the band terms is the target raised to the power {args['target_power']:g}"
           + (" (the Wiener gain E_clean / E_noisy, the least-squares band gain; the envelope term "
              "still compares with the clean envelope)" if args['target_power'] == 2 else "")
           if args.get("target_power", 1.0) != 1.0 else "")
        + " |",
        f"| optimiser | AdamW lr {args['lr']:g} (20-step warm-up, cosine to 5 %), weight decay 1e-4, "
        f"gradient clip 1.0 |",
        f"| schedule | {run['steps']} steps x {args['batch']} clips, {args['seq']}-frame chunks "
        f"(state carried, one update per chunk) = {run['frames'] / 1e6:.1f} M frames |",
        f"| time | {run['train_minutes']} min wall, {run['cpu_minutes']} min CPU "
        f"({run['frames_per_s_wall']} frames/s wall) on the 2-core build machine, shared with "
        f"other work, torch {args['threads']} threads; data: {meta['seconds'] / 60:.1f} min mixing + "
        f"analysis" + (f", {meta['decode_seconds'] / 60:.1f} min decoding" if "decode_seconds" in meta
                       else " (decoding the sources, ~2.5 min, not recorded)") + " |",
    ] + stage_rows + [
        f"| final validation ({int(args['val_frac'] * 100)} % of the clips, held out of training) | "
        f"loss {final.get('val_loss', float('nan')):.4f}, band term "
        f"{final.get('val_gain', float('nan')):.4f}, voice BCE {final.get('val_vad', float('nan')):.4f} |",
        "",
        "Golden vectors: `model/golden.bin` (300 frames of a held-out clip -> PyTorch gains and",
        "voice probability); `tests/test_golden.c` requires the C engine within 1e-4.",
        "",
        "## Evaluation",
        "",
        EVAL_BEGIN,
        eval_body,
        EVAL_END,
        "",
    ]
    with open(a.out, "w") as fh:
        fh.write("\n".join(lines))
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
