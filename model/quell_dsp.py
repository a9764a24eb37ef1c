"""quell_dsp.py — ctypes bindings to the Quell engine (build/libquell_dsp.so).

Training never computes features itself: every feature, band energy and band centre used by
model/data.py comes from the C engine through this module, so the plugin and the model can never
drift apart (see dsp/quell_train.h). Build the library first: `make build/libquell_dsp.so`.

    cfg = default_config(); cfg.nb_bands = 40; cfg.nfeat = 120  # 3 * nb: with pitch correlation
    feats, e_noisy, e_clean = analyze(cfg, 48000, noisy, clean)
    model = Model.load("model/quell.qwb"); gains, vad = model.run_net(feats)
"""
import ctypes
import math
import os

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_LIB = os.path.join(_HERE, "..", "build", "libquell_dsp.so")


# QuellConfig.feature_flags bits (dsp/quell_config.h, model/FORMAT.md).
FEATURE_MEAN_WARMUP = 1


class QuellConfig(ctypes.Structure):
    """Mirror of QuellConfig in dsp/quell_config.h (same order and types as the blob header)."""

    _fields_ = [
        ("hop_us", ctypes.c_uint32),
        ("window_hops", ctypes.c_uint32),
        ("nb_bands", ctypes.c_uint32),
        ("band_fmax_hz", ctypes.c_float),
        ("band_min_hz", ctypes.c_float),
        ("norm_tau_ms", ctypes.c_float),
        ("nfeat", ctypes.c_uint32),
        ("input_hidden", ctypes.c_uint32),
        ("gru_layers", ctypes.c_uint32),
        ("gru_hidden", ctypes.c_uint32),
        ("feature_flags", ctypes.c_uint32),
    ]

    def as_dict(self):
        return {name: getattr(self, name) for name, _ in self._fields_}

    @classmethod
    def from_dict(cls, d):
        cfg = cls()
        for name, _ in cls._fields_:
            # Format-1 configs (older caches and checkpoints) have no feature flags: 0.
            setattr(cfg, name, d.get(name, 0) if name == "feature_flags" else d[name])
        return cfg


class QuellParams(ctypes.Structure):
    """Mirror of QuellParams in dsp/quell.h."""

    _fields_ = [
        ("atten_limit_db", ctypes.c_float),
        ("gate_enabled", ctypes.c_int),
        ("gate_threshold", ctypes.c_float),
        ("gate_hold_ms", ctypes.c_float),
        ("gate_floor_db", ctypes.c_float),
        ("enabled", ctypes.c_int),
    ]


class GainSmoothing(ctypes.Structure):
    """dsp/quell_gain_smoothing.h's QuellGainSmoothing (per-frame coefficients)."""
    _fields_ = [
        ("release_coef", ctypes.c_float),
        ("pause_rise_coef", ctypes.c_float),
        ("voice_threshold", ctypes.c_float),
    ]


_FP = ctypes.POINTER(ctypes.c_float)
_lib = None


def lib(path=None):
    """Loads (once) and returns the engine library; QUELL_DSP_LIB overrides the path."""
    global _lib
    if _lib is not None:
        return _lib
    path = path or os.environ.get("QUELL_DSP_LIB") or DEFAULT_LIB
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: run `make build/libquell_dsp.so` first")
    L = ctypes.CDLL(os.path.abspath(path))
    cfgp = ctypes.POINTER(QuellConfig)
    L.quell_config_default.argtypes = [cfgp]
    L.quell_config_default.restype = None
    L.quell_config_validate.argtypes = [cfgp, ctypes.c_char_p, ctypes.c_ulong]
    L.quell_config_validate.restype = ctypes.c_int
    L.quell_config_hop_samples.argtypes = [cfgp, ctypes.c_double]
    L.quell_config_hop_samples.restype = ctypes.c_uint32
    L.quell_train_frame_count.argtypes = [cfgp, ctypes.c_double, ctypes.c_long]
    L.quell_train_frame_count.restype = ctypes.c_long
    L.quell_train_analyze.argtypes = [cfgp, ctypes.c_double, _FP, _FP, ctypes.c_long, _FP, _FP,
                                      _FP, ctypes.c_long]
    L.quell_train_analyze.restype = ctypes.c_long
    L.quell_train_apply_gains.argtypes = [cfgp, ctypes.c_double, _FP, ctypes.c_long, _FP, _FP]
    L.quell_train_apply_gains.restype = ctypes.c_int
    L.quell_train_band_centres.argtypes = [cfgp, _FP]
    L.quell_train_band_centres.restype = ctypes.c_int
    L.quell_model_load_file.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_size_t]
    L.quell_model_load_file.restype = ctypes.c_void_p
    L.quell_model_load_memory.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p,
                                          ctypes.c_size_t]
    L.quell_model_load_memory.restype = ctypes.c_void_p
    L.quell_model_free.argtypes = [ctypes.c_void_p]
    L.quell_model_free.restype = None
    L.quell_train_run_net.argtypes = [ctypes.c_void_p, _FP, ctypes.c_long, _FP, _FP]
    L.quell_train_run_net.restype = ctypes.c_int
    L.quell_train_model_config.argtypes = [ctypes.c_void_p, cfgp]
    L.quell_train_model_config.restype = None
    L.quell_params_default.argtypes = [ctypes.POINTER(QuellParams)]
    L.quell_params_default.restype = None
    L.quell_engine_create.argtypes = [ctypes.c_void_p, ctypes.c_double, ctypes.c_int,
                                      ctypes.c_char_p, ctypes.c_size_t]
    L.quell_engine_create.restype = ctypes.c_void_p
    L.quell_engine_destroy.argtypes = [ctypes.c_void_p]
    L.quell_engine_destroy.restype = None
    L.quell_engine_latency.argtypes = [ctypes.c_void_p]
    L.quell_engine_latency.restype = ctypes.c_uint32
    L.quell_engine_set_params.argtypes = [ctypes.c_void_p, ctypes.POINTER(QuellParams)]
    L.quell_engine_set_params.restype = None
    L.quell_engine_process.argtypes = [ctypes.c_void_p, ctypes.POINTER(_FP), ctypes.POINTER(_FP),
                                       ctypes.c_uint32]
    L.quell_engine_process.restype = None
    L.quell_engine_voice_probability.argtypes = [ctypes.c_void_p]
    L.quell_engine_voice_probability.restype = ctypes.c_float
    smp = ctypes.POINTER(GainSmoothing)
    L.quell_gain_smoothing_init.argtypes = [smp, ctypes.c_double]
    L.quell_gain_smoothing_init.restype = None
    L.quell_gain_smoothing_step.argtypes = [smp, _FP, ctypes.c_float, _FP, _FP, ctypes.c_uint32]
    L.quell_gain_smoothing_step.restype = None
    _lib = L
    return L


def _ptr(a):
    return None if a is None else a.ctypes.data_as(_FP)


def default_config():
    """The engine's default configuration (quell_config_default)."""
    cfg = QuellConfig()
    lib().quell_config_default(ctypes.byref(cfg))
    return cfg


def default_params():
    """The engine's default controls (QuellParams, quell_params_default)."""
    p = QuellParams()
    lib().quell_params_default(ctypes.byref(p))
    return p


def validate(cfg):
    """Raises ValueError with the engine's message if cfg is not usable."""
    err = ctypes.create_string_buffer(256)
    if lib().quell_config_validate(ctypes.byref(cfg), err, len(err)) != 0:
        raise ValueError(err.value.decode())


def hop_samples(cfg, rate):
    return lib().quell_config_hop_samples(ctypes.byref(cfg), float(rate))


def band_centres(cfg):
    """Band centres in Hz (nb_bands floats), from the engine's own layout."""
    out = np.zeros(cfg.nb_bands, np.float32)
    if lib().quell_train_band_centres(ctypes.byref(cfg), _ptr(out)) != 0:
        raise ValueError("quell_train_band_centres failed (bad config?)")
    return out


def analyze(cfg, rate, noisy, clean=None, features=True, energies=True):
    """Engine analysis of a mono signal (float32 at `rate`).

    Returns (features [T, nfeat], noisy_energy [T, nb], clean_energy [T, nb] or None); parts not
    asked for are None. Frame t covers input samples [(t+1)*hop - window, (t+1)*hop)."""
    noisy = np.ascontiguousarray(noisy, dtype=np.float32)
    n = len(noisy)
    if clean is not None:
        clean = np.ascontiguousarray(clean, dtype=np.float32)
        if len(clean) != n:
            raise ValueError("noisy and clean differ in length")
    L = lib()
    frames = L.quell_train_frame_count(ctypes.byref(cfg), float(rate), n)
    if frames < 0:
        raise ValueError(f"quell_train_frame_count failed at rate {rate}")
    nb, nf = cfg.nb_bands, cfg.nfeat
    feats = np.zeros((frames, nf), np.float32) if features else None
    e_noisy = np.zeros((frames, nb), np.float32) if energies else None
    e_clean = np.zeros((frames, nb), np.float32) if (energies and clean is not None) else None
    got = L.quell_train_analyze(ctypes.byref(cfg), float(rate), _ptr(noisy), _ptr(clean), n,
                                _ptr(feats), _ptr(e_noisy), _ptr(e_clean), frames)
    if got != frames:
        raise RuntimeError(f"quell_train_analyze returned {got}, expected {frames}")
    return feats, e_noisy, e_clean


def ideal_band_gains(e_noisy, e_clean, power=1.0):
    """The exact band gains from analyze()'s energies: the amplitude ratio sqrt(E_clean /
    E_noisy) clipped to [0, 1] (1 where the noisy band is empty), to the power `power` (2: the
    Wiener gain E_clean / E_noisy). What a perfect estimator would output; unmasked."""
    g = np.where(e_noisy > 0, np.sqrt(e_clean / np.maximum(e_noisy, 1e-30)), 1.0)
    return np.clip(g, 0.0, 1.0) ** power


def apply_gains(cfg, rate, x, band_gains):
    """x (mono float32) filtered with band_gains [frames, nb] (frame t as analyze() numbers it)
    through the engine's filterbank, no network; the result is delayed by 2 hops (the engine's
    latency), as the plugin's output is."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    g = np.ascontiguousarray(band_gains, dtype=np.float32)
    frames = lib().quell_train_frame_count(ctypes.byref(cfg), float(rate), len(x))
    if frames < 0 or g.shape != (frames, cfg.nb_bands):
        raise ValueError(f"apply_gains: need gains of shape ({frames}, {cfg.nb_bands}), got {g.shape}")
    out = np.zeros(len(x), np.float32)
    if lib().quell_train_apply_gains(ctypes.byref(cfg), float(rate), _ptr(x), len(x), _ptr(g),
                                     _ptr(out)) != 0:
        raise RuntimeError("quell_train_apply_gains failed")
    return out


def smooth_gains(raw, voice_prob, hop_s=0.005, release_ms=None, pause_rise_ms=None,
                 voice_threshold=None, start=1.0):
    """The engine's gain smoothing (dsp/quell_gain_smoothing.c, run by the C code frame by
    frame) over network gains raw [T, nb] and voice probabilities [T], from gains `start` (the
    engine's reset state: 1). Coefficients are the engine's unless overridden (None: as shipped;
    pause_rise_ms 0: rises at once everywhere)."""
    s = GainSmoothing()
    lib().quell_gain_smoothing_init(ctypes.byref(s), hop_s)
    if release_ms is not None:
        s.release_coef = math.exp(-hop_s / (release_ms * 1e-3)) if release_ms > 0 else 0.0
    if pause_rise_ms is not None:
        s.pause_rise_coef = 1.0 - math.exp(-hop_s / (pause_rise_ms * 1e-3)) if pause_rise_ms > 0 else 1.0
    if voice_threshold is not None:
        s.voice_threshold = voice_threshold
    raw = np.ascontiguousarray(raw, dtype=np.float32)
    vp = np.ascontiguousarray(voice_prob, dtype=np.float32)
    nb = raw.shape[1]
    rise = np.full(nb, start, np.float32)
    gain = np.full(nb, start, np.float32)
    out = np.empty_like(raw)
    for t in range(len(raw)):
        lib().quell_gain_smoothing_step(ctypes.byref(s), _ptr(raw[t]), float(vp[t]), _ptr(rise),
                                        _ptr(gain), nb)
        out[t] = gain
    return out


def apply_atten_limit(gains, limit_db):
    """Band gains with the engine's attenuation limit applied as quell_engine.c does: a mix with
    the input, floor + (1 - floor) * g with floor = 10^(-limit/20); no floor at 99.5 dB and up."""
    floor = 0.0 if limit_db >= 99.5 else 10 ** (-limit_db / 20)
    return floor + (1.0 - floor) * gains


class Model:
    """A loaded weights blob (QuellModel); frees itself when collected."""

    def __init__(self, handle):
        self._h = handle

    @classmethod
    def load(cls, path):
        err = ctypes.create_string_buffer(256)
        h = lib().quell_model_load_file(os.fsencode(path), err, len(err))
        if not h:
            raise ValueError(f"{path}: {err.value.decode()}")
        return cls(h)

    @classmethod
    def from_bytes(cls, data):
        err = ctypes.create_string_buffer(256)
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        h = lib().quell_model_load_memory(buf, len(data), err, len(err))
        if not h:
            raise ValueError(err.value.decode())
        return cls(h)

    def __del__(self):
        if getattr(self, "_h", None) and _lib is not None:
            _lib.quell_model_free(self._h)
            self._h = None

    @property
    def handle(self):
        return self._h

    def config(self):
        cfg = QuellConfig()
        lib().quell_train_model_config(self._h, ctypes.byref(cfg))
        return cfg

    def run_net(self, features):
        """Runs the C network on features [T, nfeat] from zero state: (gains [T, nb], vad [T])."""
        cfg = self.config()
        f = np.ascontiguousarray(features, dtype=np.float32)
        if f.ndim != 2 or f.shape[1] != cfg.nfeat:
            raise ValueError(f"features must be [T, {cfg.nfeat}]")
        gains = np.zeros((len(f), cfg.nb_bands), np.float32)
        vad = np.zeros(len(f), np.float32)
        if lib().quell_train_run_net(self._h, _ptr(f), len(f), _ptr(gains), _ptr(vad)) != 0:
            raise RuntimeError("quell_train_run_net failed")
        return gains, vad


class Engine:
    """One streaming engine instance (mono), for end-to-end checks from Python."""

    def __init__(self, model, rate, channels=1):
        err = ctypes.create_string_buffer(256)
        self._model = model  # keep the model alive as long as the engine
        self.channels = channels
        self._h = lib().quell_engine_create(model.handle, float(rate), channels, err, len(err))
        if not self._h:
            raise ValueError(err.value.decode())

    def __del__(self):
        if getattr(self, "_h", None) and _lib is not None:
            _lib.quell_engine_destroy(self._h)
            self._h = None

    def latency(self):
        return lib().quell_engine_latency(self._h)

    def set_params(self, **kw):
        p = QuellParams()
        lib().quell_params_default(ctypes.byref(p))
        for k, v in kw.items():
            setattr(p, k, v)
        lib().quell_engine_set_params(self._h, ctypes.byref(p))

    def process(self, x):
        """Processes one mono block (any length) and returns the output block (a new array)."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.zeros_like(x)
        ins = (_FP * 1)(_ptr(x))
        outs = (_FP * 1)(_ptr(y))
        lib().quell_engine_process(self._h, ins, outs, len(x))
        return y

    def voice_probability(self):
        return lib().quell_engine_voice_probability(self._h)
