// dnsmos.cjs MODEL.onnx WINDOWS.f32 THREADS : DNSMOS P.835 inference (onnxruntime-node, CPU) for
// model/dnsmos.py, many windows in one process so the model is loaded once per batch.
// WINDOWS.f32: little-endian float32, a whole number of 144160-sample (9.01 s at 16 kHz) windows,
// already prepared by model/dnsmos.py. Prints JSON {"raw": [[sig, bak, ovrl], ...]}, one per window,
// the model's raw scores before the polynomial mapping.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

const WINDOW = 144160; // int(9.01 * 16000), the model's fixed input length

(async () => {
  const [modelPath, windowsPath, threadsArg] = process.argv.slice(2);
  if (!modelPath || !windowsPath) {
    console.error('usage: dnsmos.cjs MODEL.onnx WINDOWS.f32 [THREADS]');
    process.exit(2);
  }
  const bytes = fs.readFileSync(windowsPath);
  if (bytes.length % (4 * WINDOW) !== 0) {
    console.error(`dnsmos.cjs: ${windowsPath} is not a whole number of ${WINDOW}-sample windows`);
    process.exit(1);
  }
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const samples = new Float32Array(bytes.length / 4);
  new Uint8Array(samples.buffer).set(bytes);
  const threads = Math.max(1, parseInt(threadsArg || '1', 10));
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: threads, interOpNumThreads: 1, executionProviders: ['cpu'],
  });
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const raw = [];
  for (let start = 0; start < samples.length; start += WINDOW) {
    const input = new ort.Tensor('float32', samples.subarray(start, start + WINDOW), [1, WINDOW]);
    const result = await session.run({ [inputName]: input });
    raw.push(Array.from(result[outputName].data));
  }
  process.stdout.write(JSON.stringify({ raw }) + '\n');
})().catch((err) => {
  console.error(`dnsmos.cjs: ${err && err.message ? err.message : err}`);
  process.exit(1);
});
