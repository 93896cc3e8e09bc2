#!/usr/bin/env node
// ONNX Runtime (CPU) reference runner for the Quilt end-to-end tests.
//
//   node run_ort.js [options] model.onnx out_dir in0.npy [in1.npy ...]
//
// Inputs are matched to the model's graph inputs in order; an argument of the
// form NAME=path.npy, where NAME is a graph input name, binds by name instead.
// Each model output i is written to out_dir/<i>.npy (float32, C order); the
// output names/shapes are also written to out_dir/outputs.json.
//
// Options:
//   --threads=N   intra-op threads (default: ORT default). Inter-op threads are
//                 always 1 and execution is sequential.
//   --bench=N     after --warmup=K warm-up runs (default 3), time N runs and
//                 print "ort_bench: ... mean_ms=X ..." (mean ms per run).
//   --warmup=K    number of warm-up runs in --bench mode (default 3).
//   --opt=LEVEL   graph optimisation level: disabled|basic|extended|all
//                 (default all).
//   --quiet       do not print the per-output summary.
//
// .npy reading/writing is implemented here (format versions 1.0/2.0/3.0,
// little-endian numeric dtypes, C or Fortran order on input).
'use strict';

const fs = require('fs');
const path = require('path');

function die(msg) {
  process.stderr.write(`run_ort.js: error: ${msg}\n`);
  process.exit(2);
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch (e) {
  die(`cannot load onnxruntime-node (run 'npm install --ignore-scripts' in ${__dirname}): ${e.message}`);
}

// ---------------------------------------------------------------------------
// .npy I/O
// ---------------------------------------------------------------------------

// numpy descr (without byte-order char) -> [TypedArray ctor, ORT type, bytes]
const NPY_TYPES = {
  f4: [Float32Array, 'float32', 4],
  f8: [Float64Array, 'float64', 8],
  i1: [Int8Array, 'int8', 1],
  i2: [Int16Array, 'int16', 2],
  i4: [Int32Array, 'int32', 4],
  i8: [BigInt64Array, 'int64', 8],
  u1: [Uint8Array, 'uint8', 1],
  u2: [Uint16Array, 'uint16', 2],
  u4: [Uint32Array, 'uint32', 4],
  u8: [BigUint64Array, 'uint64', 8],
  b1: [Uint8Array, 'bool', 1],
};

function readNpy(file) {
  const buf = fs.readFileSync(file);
  const magic = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY
  if (buf.length < 10 || !buf.subarray(0, 6).equals(magic)) die(`${file}: not a .npy file`);
  const major = buf[6];
  let hlen, hstart;
  if (major === 1) { hlen = buf.readUInt16LE(8); hstart = 10; }
  else if (major === 2 || major === 3) { hlen = buf.readUInt32LE(8); hstart = 12; }
  else die(`${file}: unsupported .npy version ${major}`);
  const header = buf.subarray(hstart, hstart + hlen).toString(major === 3 ? 'utf8' : 'latin1');
  const mDescr = header.match(/'descr'\s*:\s*'([^']*)'/);
  const mFort = header.match(/'fortran_order'\s*:\s*(True|False)/);
  const mShape = header.match(/'shape'\s*:\s*\(([^)]*)\)/);
  if (!mDescr || !mFort || !mShape) die(`${file}: cannot parse .npy header: ${header}`);
  const descr = mDescr[1];
  const order = descr[0];
  const code = (order === '<' || order === '|' || order === '=') ? descr.slice(1) : descr;
  if (order === '>') {
    if (!descr.endsWith('1')) die(`${file}: big-endian dtype ${descr} not supported`);
  }
  const t = NPY_TYPES[code.replace(/^\?$/, 'b1')];
  if (!t) die(`${file}: unsupported dtype ${descr}`);
  const shape = mShape[1].split(',').map(s => s.trim()).filter(s => s.length > 0).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const dstart = hstart + hlen;
  const nbytes = count * t[2];
  if (buf.length < dstart + nbytes) die(`${file}: truncated data (${buf.length - dstart} < ${nbytes} bytes)`);
  // Copy into an aligned ArrayBuffer.
  const ab = new ArrayBuffer(nbytes);
  new Uint8Array(ab).set(buf.subarray(dstart, dstart + nbytes));
  let data = new t[0](ab);
  if (mFort[1] === 'True' && shape.length > 1) data = fortranToC(data, shape, t[0]);
  return { data, shape, ortType: t[1] };
}

function fortranToC(src, shape, Ctor) {
  const n = shape.length;
  const count = src.length;
  const dst = new Ctor(count);
  // Fortran strides (elements): s[0]=1, s[k]=s[k-1]*shape[k-1]
  const fs_ = new Array(n);
  fs_[0] = 1;
  for (let k = 1; k < n; k++) fs_[k] = fs_[k - 1] * shape[k - 1];
  const idx = new Array(n).fill(0);
  for (let c = 0; c < count; c++) {
    let off = 0;
    for (let k = 0; k < n; k++) off += idx[k] * fs_[k];
    dst[c] = src[off];
    for (let k = n - 1; k >= 0; k--) { // increment C-order multi-index
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  return dst;
}

function writeNpyF32(file, f32, shape) {
  const shapeStr = shape.length === 0 ? '()' :
    shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  // Total (magic 6 + version 2 + len 2 + header + '\n') padded to multiple of 64.
  const pre = 10;
  let total = pre + header.length + 1;
  const pad = (64 - (total % 64)) % 64;
  header = header + ' '.repeat(pad) + '\n';
  const hbuf = Buffer.alloc(pre + header.length);
  hbuf.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  hbuf.writeUInt16LE(header.length, 8);
  hbuf.write(header, pre, 'latin1');
  const dbuf = Buffer.from(f32.buffer, f32.byteOffset, f32.byteLength);
  fs.writeFileSync(file, Buffer.concat([hbuf, dbuf]));
}

function toFloat32(data) {
  if (data instanceof Float32Array) return data;
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = Number(data[i]);
  return out;
}

// Convert a typed array to the element type an ORT input expects.
function castTo(data, ortType) {
  const ctorFor = {
    float32: Float32Array, float64: Float64Array, int8: Int8Array, int16: Int16Array,
    int32: Int32Array, int64: BigInt64Array, uint8: Uint8Array, uint16: Uint16Array,
    uint32: Uint32Array, uint64: BigUint64Array, bool: Uint8Array,
  };
  const C = ctorFor[ortType];
  if (!C) die(`cannot convert input to ORT type ${ortType}`);
  if (data instanceof C) return data;
  const out = new C(data.length);
  const big = (C === BigInt64Array || C === BigUint64Array);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    out[i] = big ? BigInt(Math.trunc(Number(v))) : Number(v);
  }
  return out;
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

async function main() {
  const argv = process.argv.slice(2);
  const opts = { threads: 0, bench: 0, warmup: 3, opt: 'all', quiet: false };
  const pos = [];
  for (const a of argv) {
    let m;
    if ((m = a.match(/^--threads=(\d+)$/))) opts.threads = Number(m[1]);
    else if ((m = a.match(/^--bench=(\d+)$/))) opts.bench = Number(m[1]);
    else if ((m = a.match(/^--warmup=(\d+)$/))) opts.warmup = Number(m[1]);
    else if ((m = a.match(/^--opt=(disabled|basic|extended|all)$/))) opts.opt = m[1];
    else if (a === '--quiet') opts.quiet = true;
    else if (a === '-h' || a === '--help') {
      process.stdout.write('usage: node run_ort.js [--threads=N] [--bench=N] [--warmup=K] ' +
        '[--opt=disabled|basic|extended|all] [--quiet] model.onnx out_dir in0.npy [in1.npy ...]\n');
      process.exit(0);
    } else if (a.startsWith('--')) die(`unknown option ${a}`);
    else pos.push(a);
  }
  if (pos.length < 2) die('usage: node run_ort.js [options] model.onnx out_dir in0.npy [in1.npy ...]');
  const [modelPath, outDir, ...inFiles] = pos;
  if (!fs.existsSync(modelPath)) die(`model not found: ${modelPath}`);

  const so = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: opts.opt,
    executionMode: 'sequential',
    interOpNumThreads: 1,
    logSeverityLevel: 3,
  };
  if (opts.threads > 0) so.intraOpNumThreads = opts.threads;
  const session = await ort.InferenceSession.create(modelPath, so);

  const inputNames = session.inputNames;
  // Element types of inputs, if the binding exposes metadata (ORT >= 1.20).
  const inputTypes = {};
  if (Array.isArray(session.inputMetadata)) {
    for (const md of session.inputMetadata) {
      if (md && md.name && md.isTensor && md.type) inputTypes[md.name] = md.type;
    }
  }

  const feeds = {};
  let next = 0;
  for (const f of inFiles) {
    let name, file = f;
    const eq = f.indexOf('=');
    if (eq > 0 && inputNames.includes(f.slice(0, eq))) { name = f.slice(0, eq); file = f.slice(eq + 1); }
    else {
      while (next < inputNames.length && feeds[inputNames[next]] !== undefined) next++;
      if (next >= inputNames.length) die(`too many inputs: model has ${inputNames.length} (${inputNames.join(', ')})`);
      name = inputNames[next++];
    }
    const arr = readNpy(file);
    let data = arr.data, type = arr.ortType;
    const want = inputTypes[name];
    if (want && want !== type) { data = castTo(data, want); type = want; }
    feeds[name] = new ort.Tensor(type, data, arr.shape);
  }
  const missing = inputNames.filter(n => feeds[n] === undefined);
  if (missing.length) die(`missing input(s): ${missing.join(', ')} (model inputs: ${inputNames.join(', ')})`);

  const results = await session.run(feeds);

  fs.mkdirSync(outDir, { recursive: true });
  const summary = [];
  session.outputNames.forEach((name, i) => {
    const t = results[name];
    if (t.type !== 'float32') process.stderr.write(`run_ort.js: warning: output ${name} has type ${t.type}; writing as float32\n`);
    const dims = Array.from(t.dims, Number);
    writeNpyF32(path.join(outDir, `${i}.npy`), toFloat32(t.data), dims);
    summary.push({ index: i, name, type: t.type, shape: dims });
    if (!opts.quiet) process.stdout.write(`output ${i} '${name}' ${t.type} [${dims.join(',')}] -> ${path.join(outDir, `${i}.npy`)}\n`);
  });
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify({ model: modelPath, outputs: summary }, null, 2) + '\n');

  if (opts.bench > 0) {
    for (let i = 0; i < opts.warmup; i++) await session.run(feeds);
    const times = [];
    for (let i = 0; i < opts.bench; i++) {
      const t0 = process.hrtime.bigint();
      await session.run(feeds);
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const mean = times.reduce((a, b) => a + b, 0) / times.length;
    const sorted = times.slice().sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    process.stdout.write(`ort_bench: runs=${opts.bench} warmup=${opts.warmup} threads=${opts.threads || 'default'} ` +
      `mean_ms=${mean.toFixed(3)} median_ms=${median.toFixed(3)} min_ms=${sorted[0].toFixed(3)} ` +
      `max_ms=${sorted[sorted.length - 1].toFixed(3)} ort_version=${ort.env.versions.common}\n`);
  }
}

main().catch(e => die(e && e.stack ? e.stack : String(e)));
