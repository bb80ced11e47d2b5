// ort-peer.js: the ONNX Runtime side of the benchmark (run by tests/bench/run)
//
// Usage: node ort-peer.js MODEL.onnx INPUT.f32 C,H,W OUTPUT.f32 [--tiny]
// Loads the exported embedding network in onnxruntime-node (found through
// NODE_PATH), one thread, all graph optimizations, and times
// InferenceSession.run on batch 1; writes the output it computed to
// OUTPUT.f32 and the timing as JSON on standard output.
//
// SPDX-License-Identifier: MIT
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const [modelPath, inputPath, shapeArg, outputPath, tinyArg] = process.argv.slice(2);
  const tiny = tinyArg === '--tiny';
  const shape = [1, ...shapeArg.split(',').map(Number)];
  const buf = fs.readFileSync(inputPath);
  const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const feeds = {input: new ort.Tensor('float32', data, shape)};
  let result = await session.run(feeds);
  const out = result.output.data;
  fs.writeFileSync(outputPath, Buffer.from(out.buffer, out.byteOffset, out.byteLength));

  const times = [];
  const budget = tiny ? 0 : 1e9, minRuns = tiny ? 1 : 20, maxRuns = tiny ? 1 : 20000;
  const start = process.hrtime.bigint();
  while (times.length < maxRuns &&
         (times.length < minRuns || Number(process.hrtime.bigint() - start) < budget)) {
    const t0 = process.hrtime.bigint();
    result = await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  times.sort((a, b) => a - b);
  const n = times.length;
  const median = n % 2 ? times[(n - 1) / 2] : 0.5 * (times[n / 2 - 1] + times[n / 2]);
  process.stdout.write(JSON.stringify({
    case: 'embedding-forward', system: 'onnxruntime',
    median_us: median, min_us: times[0], max_us: times[n - 1],
  }) + '\n');
}

main().catch((e) => {
  process.stderr.write(`ort-peer: ${e.stack || e}\n`);
  process.exit(1);
});
