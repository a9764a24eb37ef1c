#!/usr/bin/python3
"""Input lag taps on the training side (model/train.py QuellNet --input-lags): carrying the lag
history across chunks gives what one pass over the clip gives; a model without taps loaded into
one with taps (zero taps) computes the same function; the exported blob (export.model_tensors
turns the trained difference weights into per-frame weights) runs the same in the C engine; and
quell-adapt's blob reader (adapt.torch_model) turns it back into the same PyTorch network.
Skips (77) without python3-torch or without the engine library (make builds it)."""
import os
import sys

try:
    import numpy as np
    import torch
except ImportError as err:
    print(f'skipped: {err.name} is not installed (Debian python3-torch python3-numpy)')
    sys.exit(77)

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
sys.path.insert(0, os.path.join(ROOT, 'model'))
lib = os.environ.get('QUELL_DSP_LIB') or os.path.join(ROOT, os.environ.get('BUILD', 'build'),
                                                      'libquell_dsp.so')
if not os.path.exists(lib):
    print(f'skipped: {lib} is not built (make)')
    sys.exit(77)
# Under `make asan-check` the library is an ASan build, which Python can load only with the ASan
# runtime preloaded, and PyTorch is not run that way (as in test_adapt.py); the C side of the taps
# is under ASan in test_net_lags, and plain `make check` runs this test.
import subprocess  # noqa: E402
try:
    dyn = subprocess.run(['readelf', '-d', lib], capture_output=True, text=True).stdout
except OSError:
    dyn = ''
if 'libasan' in dyn:
    print('skipped: the engine library is a sanitizer build (make check runs this test)')
    sys.exit(77)
os.environ['QUELL_DSP_LIB'] = lib
import adapt  # noqa: E402
import export  # noqa: E402
import quell_dsp  # noqa: E402
from train import QuellNet  # noqa: E402

failures = []


def check(name, ok, detail=''):
    print(('ok   ' if ok else 'FAIL ') + name + (f': {detail}' if detail else ''))
    if not ok:
        failures.append(name)


torch.manual_seed(3)
cfg = quell_dsp.default_config().as_dict()
cfg.update(input_hidden=32, gru_layers=2, gru_hidden=24)
F, NB = cfg['nfeat'], cfg['nb_bands']
lags = (1, 2, 4)


def net(with_lags):
    m = QuellNet(F, NB, 32, 2, 24, lags if with_lags else ())
    m.norm_mean.fill_(-5.0)
    m.norm_scale.fill_(0.5)
    return m.eval()


base = net(False)
lagged = net(True)
lagged.load_state_dict(base.state_dict(), strict=False)
x = -5.0 + 2.0 * torch.randn(2, 60, F)
with torch.no_grad():
    g0, v0, _ = base(x)
    g1, v1, _ = lagged(x)
    check('zero taps compute the untapped network', torch.equal(g0, g1) and torch.equal(v0, v1))
    for w in lagged.lag.values():
        torch.nn.init.normal_(w.weight, std=0.2)
    gf, vf, _ = lagged(x)
    check('taps change the output', float((gf - g0).abs().max()) > 1e-3)
    state, parts = None, []
    for c in range(0, 60, 7):  # chunks shorter and longer than the largest lag
        gp, _, state = lagged(x[:, c:c + 7], state)
        parts.append(gp)
    err = float((torch.cat(parts, 1) - gf).abs().max())
    check('chunked with carried history = one pass', err < 1e-6, f'{err:.1e}')

    cfg_d = dict(cfg, input_lags=list(lags))
    blob = export.blob_bytes(cfg_d, lagged)
    feats = x[0].numpy().astype(np.float32)
    cg, cv = quell_dsp.Model.from_bytes(blob).run_net(feats)
    err = max(float(np.abs(cg - gf[0].numpy()).max()), float(np.abs(cv - vf[0].numpy()).max()))
    check('C engine = PyTorch on the exported blob', err < 1e-5, f'{err:.1e}')

    rcfg, tensors, _, _ = adapt.read_blob(blob)
    back = adapt.torch_model(rcfg, tensors).eval()
    check('quell-adapt reads the taps back', back.input_lags == lags, str(back.input_lags))
    gb, _, _ = back(x)
    err = float((gb - gf).abs().max())
    check('blob -> PyTorch -> same network', err < 1e-5, f'{err:.1e}')

sys.exit(1 if failures else 0)
