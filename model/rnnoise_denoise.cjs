// rnnoise_denoise.cjs: RNNoise, the peer denoiser `make eval` measures next to Quell (model/eval.py,
// systems rnnoise01 and rnnoise02), run from the npm builds installed by model/eval.mk.
//
//   node rnnoise_denoise.cjs [--model v01|v02|v01-echogarden] [--raw | --delay N] < in.f32 > out.f32
//   node rnnoise_denoise.cjs [--model ...] [--raw | --delay N] IN1.f32 OUT1.f32 [IN2.f32 OUT2.f32 ...]
//   node rnnoise_denoise.cjs [--model ...] --print-delay
//
// Input: mono 48 kHz audio as raw little-endian float32 (stdin, or each IN file), full scale +-1.
// Output: as many float32 samples (stdout, or each OUT file), aligned sample for sample with the
// input. RNNoise works on 480-sample (10 ms) frames of 16-bit-range floats, so the input is scaled
// by 32768 and the output back, the last frame is completed with zeros, and the model's algorithmic
// delay is removed by feeding that many extra zeros and dropping as many leading output samples.
// The delay is measured when the driver starts (measureDelay: cross-correlation with a speech-like
// probe), unless --delay N gives it (model/eval.py measures it once per model with --print-delay,
// which prints {"model", "delay"} as JSON and exits). --raw: the output exactly as the model emits
// it, frame by frame, uncompensated (same length as the input). Each input gets a fresh RNNoise
// state: file pairs are independent items, batched only to load the module once.
//
// Which npm file carries which RNNoise model (the versions model/eval.mk pins):
//   @jitsi/rnnoise-wasm 0.2.1, dist/rnnoise.js + dist/rnnoise.wasm (112 kB)   --model v01: RNNoise 0.1.
//   @jitsi/rnnoise-wasm 0.2.1, dist/rnnoise-sync.js, wasm inlined (1.4 MB)    --model v02: RNNoise 0.2 (2024).
//   @echogarden/rnnoise-wasm 0.2.0, rnnoise.js + rnnoise.wasm (126 kB)  --model v01-echogarden: another 0.1.
// Verified three ways, not only from the Jitsi README (which says the async build was kept at 0.1
// for Jitsi's noise detection and the sync one rebuilt from 0.2): (1) the wasm function names
// (the builds keep them, -g2): rnnoise.wasm has 0.1's compute_dense / compute_gru, the wasm inlined
// in rnnoise-sync.js 0.2's rnn_compute_generic_conv1d / rnn_compute_generic_gru / init_rnnoise, and
// it is 13 times larger (the 2024 model's weights); (2) the Jitsi and Echogarden 0.1 builds, two
// different binaries, give bit-identical outputs, while rnnoise-sync.js's differ
// (tests/test_rnnoise_align.py checks both); (3) the delay measured here is 480 samples for the
// 0.1 builds and 960 for rnnoise-sync.js, the one extra frame of 0.2's convolutional front end.
//
// Node modules are found in $QUELL_NODE_MODULES (as model/dnsmos.py does), else ../build/node.
'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');

const FRAME = 480;     // RNNoise's hop at 48 kHz
const SCALE = 32768;   // RNNoise works on floats in the 16-bit sample range
const MAX_DELAY = 4 * FRAME;

function nodeModules() {
  return process.env.QUELL_NODE_MODULES || path.join(__dirname, '..', 'build', 'node', 'node_modules');
}

// The Jitsi files are ES modules (`export default`, import.meta.url) inside a package that does not
// declare "type": "module", so Node will not import them as they are: evaluate their text as a
// function body with those two constructs replaced.
function evaluateEsmFactory(file) {
  let source = fs.readFileSync(file, 'utf8');
  source = source.split('import.meta.url').join(JSON.stringify(url.pathToFileURL(file).href));
  const match = /export\s+default\s+([A-Za-z_$][\w$]*)\s*;?\s*$/.exec(source);
  if (!match) throw new Error(`${file}: no trailing "export default" found`);
  source = source.slice(0, match.index) + `return ${match[1]};`;
  return new Function(source)();  // eslint-disable-line no-new-func
}

async function loadModule(model) {
  const root = nodeModules();
  const jitsi = path.join(root, '@jitsi', 'rnnoise-wasm', 'dist');
  if (model === 'v01') {
    const factory = evaluateEsmFactory(path.join(jitsi, 'rnnoise.js'));
    // Built for web/worker only: hand it the wasm bytes instead of letting it fetch() them.
    return factory({ wasmBinary: fs.readFileSync(path.join(jitsi, 'rnnoise.wasm')) });
  }
  if (model === 'v02') {
    const factory = evaluateEsmFactory(path.join(jitsi, 'rnnoise-sync.js'));
    const mod = factory({});
    return mod.ready || mod;
  }
  if (model === 'v01-echogarden') {
    const file = path.join(root, '@echogarden', 'rnnoise-wasm', 'rnnoise.js');
    const factory = (await import(url.pathToFileURL(file).href)).default;
    return factory({});
  }
  throw new Error(`unknown model ${model} (v01, v02, v01-echogarden)`);
}

// One RNNoise state: process(x) runs a Float32Array (full scale +-1, any length) through it frame
// by frame and returns the raw output, ceil(n / 480) * 480 samples, uncompensated.
function denoiser(mod) {
  const state = mod._rnnoise_create(0);  // NULL model: the built-in weights (0.1 ignores it)
  if (!state) throw new Error('rnnoise_create failed');
  const inPtr = mod._malloc(FRAME * 4);
  const outPtr = mod._malloc(FRAME * 4);
  return {
    process(x) {
      const frames = Math.ceil(x.length / FRAME);
      const y = new Float32Array(frames * FRAME);
      for (let f = 0; f < frames; f++) {
        const heap = mod.HEAPF32;  // re-read: the heap may have grown
        const inView = heap.subarray(inPtr >>> 2, (inPtr >>> 2) + FRAME);
        for (let i = 0; i < FRAME; i++) {
          const k = f * FRAME + i;
          inView[i] = k < x.length ? x[k] * SCALE : 0;
        }
        mod._rnnoise_process_frame(state, outPtr, inPtr);
        const outView = mod.HEAPF32.subarray(outPtr >>> 2, (outPtr >>> 2) + FRAME);
        for (let i = 0; i < FRAME; i++) y[f * FRAME + i] = outView[i] / SCALE;
      }
      return y;
    },
    destroy() {
      mod._free(inPtr);
      mod._free(outPtr);
      mod._rnnoise_destroy(state);
    },
  };
}

// A deterministic speech-like probe (voiced syllables on a gliding pitch, between pauses) that
// RNNoise passes rather than suppresses, so its output correlates with it at the model's delay.
function probe(seconds) {
  const rate = 48000;
  const n = Math.round(seconds * rate);
  const x = new Float32Array(n);
  let phase = 0;
  let seed = 12345;
  for (let k = 0; k < n; k++) {
    const t = k / rate;
    const f0 = 150 + 40 * Math.sin(2 * Math.PI * 0.7 * t);
    phase += 2 * Math.PI * f0 / rate;
    let voiced = 0;
    for (let h = 1; h * 190 < 8000; h++) voiced += Math.sin(h * phase) / h;
    const env = Math.pow(Math.max(0, Math.sin(2 * Math.PI * 2 * t)), 2);
    seed = (seed * 1103515245 + 12345) >>> 0;
    x[k] = 0.1 * voiced * env + 1e-4 * (seed / 4294967296 - 0.5);
  }
  return x;
}

// The model's delay in samples: the lag (0..MAX_DELAY) maximising the normalised cross-correlation
// of the raw output of a fresh state with the probe.
function measureDelay(mod) {
  const x = probe(3.0);
  const d = denoiser(mod);
  const y = d.process(x);
  d.destroy();
  let best = 0;
  let bestValue = -Infinity;
  for (let lag = 0; lag <= MAX_DELAY; lag++) {
    let dot = 0;
    let energy = 0;
    for (let k = 0; k + lag < y.length && k < x.length; k++) {
      dot += x[k] * y[k + lag];
      energy += y[k + lag] * y[k + lag];
    }
    const value = dot / Math.sqrt(energy + 1e-20);
    if (value > bestValue) {
      bestValue = value;
      best = lag;
    }
  }
  return best;
}

function readStdin() {
  const chunks = [];
  const fd = 0;
  const buf = Buffer.alloc(1 << 20);
  for (;;) {
    let got;
    try {
      got = fs.readSync(fd, buf, 0, buf.length, null);
    } catch (err) {
      if (err.code === 'EAGAIN') continue;
      if (err.code === 'EOF') break;
      throw err;
    }
    if (got === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, got)));
  }
  return Buffer.concat(chunks);
}

function writeStdout(y) {
  const bytes = Buffer.from(y.buffer, y.byteOffset, y.byteLength);
  let done = 0;
  while (done < bytes.length) {
    try {
      done += fs.writeSync(1, bytes, done, bytes.length - done);
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
    }
  }
}

function readFloats(file) {
  const bytes = file === null ? readStdin() : fs.readFileSync(file);
  if (bytes.length % 4) throw new Error(`${file || 'stdin'} is not a whole number of float32 samples`);
  const x = new Float32Array(bytes.length / 4);
  new Uint8Array(x.buffer).set(bytes);  // copy: a Buffer's offset need not be a multiple of 4
  return x;
}

// The input run through a fresh state, `delay` samples of the output dropped: same length as x.
function denoise(mod, x, delay) {
  const padded = new Float32Array(x.length + delay);
  padded.set(x);
  const d = denoiser(mod);
  const y = d.process(padded);
  d.destroy();
  return y.subarray(delay, delay + x.length);
}

(async () => {
  const args = process.argv.slice(2);
  let model = 'v01';
  let raw = false;
  let printDelay = false;
  let delay = null;
  const files = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--model') model = args[++i];
    else if (args[i] === '--raw') raw = true;
    else if (args[i] === '--print-delay') printDelay = true;
    else if (args[i] === '--delay') delay = parseInt(args[++i], 10);
    else if (!args[i].startsWith('--')) files.push(args[i]);
    else files.push(null);  // unknown option: usage below
  }
  if (files.includes(null) || files.length % 2 || (delay !== null && !(delay >= 0))) {
    console.error('usage: rnnoise_denoise.cjs [--model v01|v02|v01-echogarden] [--raw | --delay N | --print-delay] '
                  + '[IN.f32 OUT.f32 ...] (default stdin to stdout)');
    process.exit(2);
  }
  const mod = await loadModule(model);
  if (printDelay) {
    process.stdout.write(JSON.stringify({ model, delay: measureDelay(mod) }) + '\n');
    return;
  }
  if (raw) delay = 0;
  else if (delay === null) delay = measureDelay(mod);
  if (!files.length) {
    writeStdout(denoise(mod, readFloats(null), delay));
    return;
  }
  for (let i = 0; i < files.length; i += 2) {
    const y = denoise(mod, readFloats(files[i]), delay);
    fs.writeFileSync(files[i + 1], Buffer.from(y.buffer, y.byteOffset, y.byteLength));
  }
})().catch((err) => {
  console.error(`rnnoise_denoise.cjs: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
