"""card.py — writes model/MODEL.md (the model card) from what `make train` just did.

Everything in it is read from the run's records: model/checkpoints/<run>.json (written by
train.py), the cache's meta.json (data.py) and the exported blob; the augmentation
probabilities and the held-out folders come from model/data.py's own constants, so the card
cannot drift from the recipe. The evaluation section between the EVAL markers belongs to
`make eval` (model/eval.py) and is kept as it is; the history of earlier models is in
model/HISTORY.md, which card.py never touches.
"""
import argparse
import json
import os
import struct
import sys
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import quell_dsp  # noqa: E402  the config mirror; its library loads only when called
import data  # noqa: E402  the recipe's constants (one source of truth for the Data section)

EVAL_BEGIN = "<!-- EVAL:BEGIN (written by `make eval`; card.py keeps this section as it is) -->"
EVAL_END = "<!-- EVAL:END -->"
EVAL_PLACEHOLDER = ("_Not measured yet: run `make eval` (model/eval.mk) to fill this section with "
                    "STOI, SI-SDR and DNSMOS on ../shared/data/dev/mix48, dev/wild48 and "
                    "dev/noizeus. Earlier models: [HISTORY.md](HISTORY.md)._")

POOL_NAMES = {"speech16": "speech, 16 kHz", "speechwb": "speech, full band",
              "noise": "noise, real recordings"}

# Origin and licence of every training folder family, keyed by folder prefix as list_sources
# names the folders (the longest matching prefix wins). From ../shared/data/SOURCES.md; the
# Debian packages from their copyright files (model/cache/debian-speech/unpacked/usr/share/doc/
# <package>/copyright; asterisk-core-sounds 1.6.1-1: "Files: *" Allison Smith CC-BY-SA-3.0,
# "fr-*" June Wallack CC-BY-SA-3.0, "ru-*" Maxim Topal CC-BY-3.0). A folder no prefix matches
# gets a row saying so: add it here from SOURCES.md, never guess.
DATA_LICENCES = [
    ("speech/librispeech", "LibriSpeech train-clean-100 excerpts, as carried in "
                           "resemble-ai/Resemblyzer (audio_data/)", "CC-BY-4.0"),
    ("speech/emodb", "Berlin Database of Emotional Speech (Emo-DB), as carried in "
                     "sylaschacko/voice-emotion-analysis", "free for research"),
    ("speech/keywords", "every 4th file of Picovoice/wake-word-benchmark (audio/)", "Apache-2.0"),
    ("asterisk/en", "Debian asterisk-core-sounds-en-g722: Asterisk prompts recorded by "
                    "Allison Smith (Digium)", "CC-BY-SA-3.0"),
    ("asterisk/es", "Debian asterisk-core-sounds-es-g722: Asterisk prompts recorded by "
                    "Allison Smith (Digium)", "CC-BY-SA-3.0"),
    ("asterisk/fr", "Debian asterisk-core-sounds-fr-g722: Asterisk prompts recorded by "
                    "June Wallack", "CC-BY-SA-3.0"),
    ("asterisk/ru", "Debian asterisk-core-sounds-ru-g722: Asterisk prompts by Maxim Topal "
                    "(ivrvoice.ru)", "CC-BY-3.0"),
    ("tuxpaint", "Debian tuxpaint-stamps-default: the stamps' descriptions read aloud "
                 "(Bill Kendrick and contributors)", "GPL-2"),
    ("speech/ravdess", "RAVDESS (Livingstone & Russo 2018), as carried in "
                       "ZenvilleErasmus/RAVDESS-emotions-speech-audio-only", "CC BY-NC-SA 4.0"),
    ("noise/ambient", "ruiiwang/noise_dataset (files under 4 MiB)",
     "as published (Freesound-derived)"),
    ("noise/urban", "UrbanSound8K (Salamon et al. 2014), folds 1 and 2 as carried (22.05 kHz) in "
                    "an older commit of Alejandro-131004/AC-II; fold 10 is dev/wild48's",
     "CC BY-NC 3.0"),
    ("noise/nonspeech", "Hu's 100 non-speech sounds, as carried in eric-wang135/EMGSE "
                        "(noise/noise_train)", "research use"),
    ("noise/keyboard", "JBFH-Dev/Keystroke-Datasets (Zoom)", "MIT"),
    ("noise/household", "Timgrau/Projektarbeit-1 (noise_data)", "as published"),
]
# What each licence asks of the weights under the project's cautious reading (see
# licence_section): keyed by the licence strings above.
LICENCE_TERMS = {
    "CC-BY-4.0": "credit",
    "CC-BY-3.0": "credit",
    "Apache-2.0": "credit, keep the notice",
    "MIT": "credit, keep the notice",
    "CC-BY-SA-3.0": "credit; **share alike** (adaptations under CC BY-SA 3.0 or compatible)",
    "GPL-2": "**copyleft** (adaptations under GPL-2)",
    "CC BY-NC-SA 4.0": "credit; **non-commercial**; **share alike** (CC BY-NC-SA 4.0)",
    "CC BY-NC 3.0": "credit; **non-commercial**",
    "free for research": "research use; no commercial grant stated",
    "research use": "research use; no commercial grant stated",
    "as published": "not stated: the publisher's terms, unverified",
    "as published (Freesound-derived)": "not stated: the publisher's terms, unverified",
}


def licence_of(folder):
    """(prefix, origin, licence) of a training folder, or None."""
    best = None
    for prefix, origin, lic in DATA_LICENCES:
        if folder.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, origin, lic)
    return best


def show_folders(names, limit=10):
    """`a`, `b`, ... or, for long runs of one parent folder, `p/first` … `last` (N folders)."""
    names = list(names)
    if len(names) > limit:
        parent = os.path.dirname(names[0])
        if parent and all(os.path.dirname(n) == parent for n in names):
            return (f"`{names[0]}` … `{os.path.basename(names[-1])}` ({len(names)} folders)")
    return ", ".join(f"`{n}`" for n in names)


def pct(p):
    return f"{p * 100:.3g} %"


def pool_groups(folders, shares):
    """[(label, [folders], share of the pool's draws or None, split)] as data.pool_weights draws
    them (data.group_folders, data.rest_share), shares renormalised over the groups present.
    Without shares (caches before recipe 6): one group, by file."""
    if not shares:
        return [("all", list(folders), None, False)]
    groups, rest = data.group_folders(folders, shares)
    if rest:
        groups.append(("other", rest, data.rest_share(groups), False))
    total = sum(g[2] for g in groups)
    return [(lab, fs, s / total if total > 0 else None, sp) for lab, fs, s, sp in groups]


def data_table(meta):
    """The source table of the Data section: every pool's folders by POOL_SHARES group with
    minutes (per group from meta's folder_minutes), files and the group's share of its pool."""
    f = meta["folders"]
    fm = meta.get("folder_minutes") or {}
    ff = meta.get("folder_files") or {}
    shares = meta.get("pool_shares") or {}
    rows = ["| source | folders | files | minutes | share of the pool's draws |",
            "|---|---|---|---|---|"]
    for pool in ("speech16", "speechwb", "noise"):
        folders = f.get(pool) or []
        if not folders:
            continue
        groups = pool_groups(folders, shares.get(pool))
        name = POOL_NAMES.get(pool, pool)
        if pool == "speechwb":
            name += f" ({pct(data.WIDEBAND_SPEECH_P)} of the clips with speech)"
        elif pool == "speech16" and f.get("speechwb"):
            name += f" ({pct(1 - data.WIDEBAND_SPEECH_P)} of the clips with speech)"
        if len(groups) == 1 and groups[0][2] is None:  # an old cache: one row per pool
            rows.append(f"| {name} | {show_folders(folders)} | {meta['source_files'][pool]} | "
                        f"{meta['source_minutes'][pool]} | by file |")
            continue
        rows.append(f"| **{name}** | all below | {meta['source_files'][pool]} | "
                    f"{meta['source_minutes'][pool]} | 100 % |")
        for label, fs, share, split in groups:
            mins = f"{sum(fm.get(x, 0.0) for x in fs):.1f}" if fm else "–"
            files = str(sum(ff.get(x, 0) for x in fs)) if ff else ""
            how = " (evenly per folder)" if split and len(fs) > 1 else ""
            rows.append(f"| | {show_folders(fs)} | {files} | {mins} | "
                        f"{pct(share) if share is not None else 'by file'}{how} |")
    transients = meta.get("recipe", 1) >= 6
    rows.append("| synthetic noise (full band) | white, pink, brown, tilted, mains hum + harmonics, "
                "hiss, fan (blade-pass tones + whine)"
                + (", and transients: \"knocks\" (0.5–4 per second, 5–120 ms decays, band-passed "
                   "within 80 Hz–6 kHz: knocks, claps, door slams, dish clatter) and \"keys\" "
                   "(4–14 per second, 2–15 ms, 1–8 kHz: keyboards, mouse clicks, crackle)"
                   if transients else "") + " | – | generated per clip | |")
    return rows


def held_out_text():
    """The never-trained-on paragraph, from data.py's own lists."""
    tux = ", ".join(f"`{x}`" for x in sorted(data.TUXPAINT_HELD_OUT))
    rav = sorted(data.RAVDESS_HELD_OUT)
    rav_s = (f"RAVDESS `{rav[0]}`–`{rav[-1]}`" if len(rav) > 1 else f"RAVDESS `{rav[0]}`")
    excl = "; ".join(f"`{x}`" for x in sorted(data.NOISE_DIRS_EXCLUDED))
    return [f"Never trained on (held out for evaluation): tuxpaint {tux}; the Italian Asterisk "
            f"prompts; {rav_s} (dev/wild48's speakers); {excl}; everything under `dev/` "
            "(dev/wild48's UrbanSound8K noise is fold 10, which `noise/urban` does not hold)."]


def augmentation_text(meta):
    """The augmentation paragraph. The named probabilities are data.py's constants; the
    others are literals of data.make_clip, repeated here."""
    rates = ", ".join(f"{r / 1000:g} kHz ({pct(p)})" for r, p in data.RATES)
    text = [
        "Augmentation per clip: utterances concatenated with 0.05–1.2 s gaps, speed ±8 % (30 %),",
        f"8 % noise-only clips, {pct(data.SPEECH_ONLY_P)} speech-only clips, full-band speech "
        f"(tuxpaint, RAVDESS) in {pct(data.WIDEBAND_SPEECH_P)} of the clips with speech,",
        f"SNR −5…30 dB on active speech ({pct(data.LOW_SNR_P)} drawn from −5…10 dB instead), "
        "one or two noises, slow level swings (25 %),",
        "a −35…−15 dB full-band hiss floor (50 %), synthetic room reverberation RT60 0.15–0.9 s",
        "(25 %; the target keeps the first 50 ms), microphone EQ on mixture and target alike (50 %),",
        "level −45…−10 dBFS, clipping (8 %), real noise recorded band-limited (most of `noise/` is",
        "16 kHz" + (", `noise/urban` 22.05 kHz" if any(x.startswith("noise/urban")
                                                   for x in meta["folders"].get("noise", []))
                    else "") + ") given highs above its Nyquist "
        f"({pct(data.EXTEND_NOISE_P)}: shaped noise",
        "following the envelope of its own top band, −15…+3 dB against it), a band-limited capture",
        f"({pct(data.BANDLIMIT_P)}: mixture and target low-passed, 8th-order Butterworth, bands above "
        f"the cut masked; {pct(1 - data.TELEPHONE_P)} of these at 3.4–8 kHz like 16 kHz-sampled "
        f"material or old recorders, {pct(data.TELEPHONE_P)} narrowband telephone: low-passed at "
        "3.2–3.8 kHz and high-passed at 200–400 Hz, 4th order, the band of 8 kHz calls and of "
        "NOIZEUS's IRS-filtered speech, bands below the cut masked too),",
        f"analysis at {rates} (bands above Nyquist read as silence)",
        f"(recipe version {meta.get('recipe', 1)} of `model/data.py`).",
    ]
    if meta.get("recipe", 1) != data.RECIPE_VERSION:
        print(f"warning: the cache was mixed by recipe {meta.get('recipe', 1)}, model/data.py is "
              f"recipe {data.RECIPE_VERSION}: the augmentation figures are data.py's",
              file=sys.stderr)
        text.append(f"**The cache was mixed by recipe {meta.get('recipe', 1)}; the probabilities "
                    f"above are those of model/data.py's recipe {data.RECIPE_VERSION}.**")
    return text


def licence_section(folders):
    """The data-licence table and what it means for the weights, for the folders a run was
    trained on ({pool: [folder, ...]})."""
    fams, unknown = {}, []
    for pool in ("speech16", "speechwb", "noise"):
        for x in folders.get(pool) or []:
            hit = licence_of(x)
            if hit is None:
                unknown.append(x)
            else:
                fams.setdefault(hit[0], []).append(x)
    rows = ["## Data licences", "",
            "Origins and licences of the folders this blob was trained on "
            "(../shared/data/SOURCES.md; the Debian packages' `copyright` files):", "",
            "| folders | origin | licence | what it asks of the weights |", "|---|---|---|---|"]
    for prefix, origin, lic in DATA_LICENCES:
        if prefix in fams:
            rows.append(f"| {show_folders(fams[prefix])} | {origin} | {lic} | "
                        f"{LICENCE_TERMS.get(lic, '')} |")
    for x in unknown:
        print(f"warning: no licence recorded in card.py for {x}", file=sys.stderr)
        rows.append(f"| `{x}` | **not recorded in model/card.py's DATA_LICENCES**: see "
                    "../shared/data/SOURCES.md | ? | ? |")
    rows.append("| synthetic noise | generated by `model/data.py` | the project's (GPL-2.0-or-later) "
                "| – |")
    rows += ["", "Evaluation material (`dev/`, `noise/street_cafe`, `noise/ambient/playground`, "
             "the held-out tuxpaint languages and RAVDESS actors, the DNSMOS models) does not enter "
             "the weights."]

    used = {lic for p, _, lic in DATA_LICENCES if p in fams}
    nc = [(p, lic) for p, _, lic in DATA_LICENCES if p in fams and "NC" in lic]
    names = {"speech/ravdess": "RAVDESS", "noise/urban": "UrbanSound8K"}
    para = ("**What the licences mean for the weights** (the project's cautious reading, not "
            "legal advice). Whether a network's weights are an adaptation of the recordings it "
            "was trained on is not settled; the project treats them as one.")
    if nc:
        para += (" " + " and ".join(f"{names.get(p, p)} (`{p}`, {lic})" for p, lic in nc)
                 + " allow non-commercial use only, so **this blob is for non-commercial use**, "
                 "and so is any build of Quell that carries it: the code's GPL-2.0-or-later "
                 "allows commercial use, the blob's sources do not.")
    sa = [lic for lic in ("CC BY-NC-SA 4.0", "CC-BY-SA-3.0", "GPL-2") if lic in used]
    if sa:
        bysa = "/".join(p.split("/", 1)[1] for p, _, lic in DATA_LICENCES
                        if p in fams and lic == "CC-BY-SA-3.0")
        what = {"CC BY-NC-SA 4.0": "CC BY-NC-SA 4.0 for RAVDESS",
                "CC-BY-SA-3.0": f"CC BY-SA 3.0 (or a compatible licence) for the Asterisk {bysa} "
                                "prompts",
                "GPL-2": "GPL-2 for tuxpaint's descriptions"}
        strict = [x for x in ("CC BY-SA 3.0", "GPL-2") if x.replace(" ", "-") in used or x in used]
        why = []
        if "CC BY-NC-SA 4.0" in sa and strict:
            why.append(" and ".join(strict) + " allow" + ("s" if len(strict) == 1 else "")
                       + " no non-commercial clause")
        if len(strict) == 2:
            why.append("CC BY-SA 3.0 and GPL-2 do not allow each other's terms")
        para += (" Share-alike and copyleft terms apply on the same reading: adaptations are to be "
                 "shared under the source's own terms: " + ", ".join(what[x] for x in sa)
                 + (f". No one licence meets these together ({'; '.join(why)}), so the project "
                    "does not relicense the blob: it credits every source above and passes on each "
                    "one's terms." if why else "."))
    weak = [p for p, _, lic in DATA_LICENCES
            if p in fams and ("research" in lic or lic.startswith("as published"))]
    if weak:
        para += (" Research-only or unstated terms (" + ", ".join(f"`{p}`" for p in weak)
                 + ") grant no commercial use" + (" either" if nc else "")
                 + (", so leaving out the non-commercial folders is necessary but not sufficient "
                    "for a blob fit for commercial use." if nc else
                    ", so this blob is not cleared for commercial use."))
    rows += ["", para]
    if nc:
        rows += ["", "To retrain without the non-commercial folders: in `model/data.py`, stop "
                 "`list_sources` from listing them (" + "; ".join(
                     {"speech/ravdess": "drop its `speech/ravdess` loop",
                      "noise/urban": "skip `urban` in its `noise/` loop"}.get(p, f"skip `{p}`")
                     for p, _ in nc)
                 + "), remove their groups from `POOL_SHARES` (the other groups' shares "
                 "renormalise), bump `RECIPE_VERSION` and run `make train`; the card then lists "
                 "neither. `POOL_SHARES` alone cannot remove a folder: `pool_weights` gives files "
                 "that no group names what is left of the pool, at least 10 %."]
    rows.append("")
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--run", default="shipped")
    ap.add_argument("--cache", default=os.path.join(HERE, "cache", "train"))
    ap.add_argument("--blob", default=os.path.join(HERE, "quell.qwb"))
    ap.add_argument("--out", default=os.path.join(HERE, "MODEL.md"))
    ap.add_argument("--checkpoints", default=os.path.join(HERE, "checkpoints"),
                    help="where train.py wrote <run>.json (and the first stage's)")
    a = ap.parse_args()
    with open(os.path.join(a.checkpoints, f"{a.run}.json")) as fh:
        run = json.load(fh)
    with open(os.path.join(a.cache, "meta.json")) as fh:
        meta = json.load(fh)
    # Later training stages (train.py --init) start from an earlier run's weights: follow the
    # chain back and record every earlier stage, so the card describes everything `make train` did.
    chain, init = [], run["args"].get("init")
    while init:
        with open(os.path.join(a.checkpoints,
                               os.path.splitext(os.path.basename(init))[0] + ".json")) as fh:
            earlier = json.load(fh)
        chain.insert(0, earlier)
        init = earlier["args"].get("init")
    stage_rows = []
    for k, st in enumerate(chain):
        fa, ff = st["args"], st["final"] or {}
        start = "from scratch" if k == 0 else f"from `{chain[k - 1]['run']}`'s weights with --init"
        lags = st["config"].get("input_lags") or []
        if lags and not (k and chain[k - 1]["config"].get("input_lags")):
            start += (", adding the lag taps on frames " + ", ".join(f"t−{n}" for n in lags)
                      + (" (zero at the start)" if k else ""))
        stage_rows.append(
            f"| stage {k + 1} of {len(chain) + 1} (`{st['run']}`, {start}; the rows above are the "
            f"last stage) | {st['steps']} steps x {fa['batch']} clips, seed "
            f"{fa['seed']}, lr {fa['lr']:g}, speech guard {fa.get('speech_guard', 0.5):g}, "
            f"{st['frames'] / 1e6:.1f} M frames, {st['train_minutes']} min wall / "
            f"{st['cpu_minutes']} min CPU; validation loss {ff.get('val_loss', float('nan')):.4f} |")
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
    lines = [
        "# Quell model card",
        "",
        "The shipped gain estimator `model/quell.qwb` (format: `model/FORMAT.md`). This file is",
        "written by `make train` (model/card.py) from the run's own records; do not edit by hand",
        "except the evaluation section, which `make eval` owns. Earlier models and the experiments",
        "behind this one: [HISTORY.md](HISTORY.md).",
        "",
        "## Reproduce",
        "",
        "```sh",
        "apt-get install -y python3-numpy python3-scipy python3-soundfile python3-torch ffmpeg",
        "../shared/data/get-debian-speech.sh $PWD/model/cache/debian-speech   # tuxpaint + Asterisk, once",
        "make train            # cache -> train -> export -> this card (fixed seed)",
        "```",
        "",
        "`ffmpeg` decodes the Asterisk prompts (raw G.722) while the cache is built.",
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
        f"| network | norm -> dense tanh {cfg['input_hidden']}"
        + (" (it also sees the normalised features of frames "
           + ", ".join(f"t−{n}" for n in cfg["input_lags"])
           + ": lag taps, model/FORMAT.md)" if cfg.get("input_lags") else "")
        + f" -> {cfg['gru_layers']} stacked GRU x "
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
        "Features and band energies from the C engine (build/libquell_dsp.so via model/quell_dsp.py). "
        + ("Each pool is drawn by folder group (`POOL_SHARES`), not by file count: a group's share "
           "is spread over its files, or first evenly over its folders where marked."
           if meta.get("pool_shares") else "Each pool is drawn by file."),
        "",
    ] + data_table(meta) + [
        "",
    ] + held_out_text() + [
        "",
    ] + augmentation_text(meta) + [
        "",
        "Targets: g = sqrt(E_clean / E_noisy) clipped to [0, 1] per band, masked above the analysis",
        "Nyquist, in digital silence, and — while speech is active — above a band-limited speech",
        "source's Nyquist (its highs are unknown, not absent); voice activity = clean frame energy",
        "within 35 dB of the clip's loudest clean frame.",
        "",
    ] + licence_section(meta["folders"]) + [
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
