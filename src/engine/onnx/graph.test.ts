import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import {
  cleanupTempDirs,
  conv2dRef,
  expectClose,
  floatFeed,
  matMulRef,
  newBuilder,
  roundHalf,
  saveAndRun,
  seeded,
  softmaxRowsRef,
  tempDir,
  toF32,
} from '../../../test/helpers/onnxHarness';
import { EXTERNAL_ALIGNMENT, ExternalDataWriter } from './externalData';
import { GraphBuilder } from './graph';
import * as ops from './ops';
import { encodeVarint } from './proto';

afterAll(cleanupTempDirs);

describe('GraphBuilder', () => {
  // conv (1,2,5,5) → (1,3,5,5) → tokens (1,25,3) → linear to 4 → softmax
  const xShape = [1, 2, 5, 5];
  const x = seeded(50, 1);
  const convW = seeded(3 * 2 * 9, 2, -0.5, 0.5);
  const convB = seeded(3, 3);
  const linW = seeded(4 * 3, 4); // (out 4, in 3) as torch stores it
  const linB = seeded(4, 5);

  function reference(round: (v: Float32Array) => Float32Array): Float32Array {
    const c = conv2dRef(round(x), round(convW), round(convB), xShape, [3, 2, 3, 3], 1);
    const tokens = new Float32Array(25 * 3);
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 25; p++) tokens[p * 3 + ch] = c[ch * 25 + p];
    const wT = new Float32Array(12);
    const w = round(linW);
    for (let o = 0; o < 4; o++) for (let i = 0; i < 3; i++) wT[i * 4 + o] = w[o * 3 + i];
    const lin = matMulRef(tokens, wT, 1, 25, 3, 4);
    const b = round(linB);
    for (let i = 0; i < lin.length; i++) lin[i] += b[i % 4];
    return softmaxRowsRef(lin, 4);
  }

  for (const floatType of ['float32', 'float16'] as const) {
    it(`runs Conv + MatMul + Add + Softmax in ${floatType} with external weights`, async () => {
      const { g, dir } = newBuilder(floatType);
      const input = g.input('x', floatType, ['batch', 2, 5, 5]);
      const w = g.weight('conv.weight', { dtype: 'float32', shape: [3, 2, 3, 3], data: convW });
      const b = g.weight('conv.bias', { dtype: 'float32', shape: [3], data: convB });
      const c = ops.conv(g, input, w, b, { pads: [1, 1, 1, 1] });
      const tokens = ops.transpose(g, ops.reshape(g, c, [0, 3, -1]), [0, 2, 1]);
      const wt = g.weightTransposed('lin.weight', { dtype: 'float32', shape: [4, 3], data: linW });
      const lb = g.weight('lin.bias', { dtype: 'float32', shape: [4], data: linB });
      const y = ops.softmax(g, ops.linear(g, tokens, wt, lb), -1);
      g.output(y, 'probs', floatType, ['batch', 25, 4]);

      const out = await saveAndRun(g, dir, { x: floatFeed(floatType, xShape, x) });
      expect(out.probs.dtype).toBe(floatType);
      expect(out.probs.shape).toEqual([1, 25, 4]);
      const want = reference(floatType === 'float16' ? roundHalf : (v) => v);
      expectClose(toF32(out.probs), want, floatType === 'float16' ? 5e-3 : 1e-5);

      // Weights live in the data file only: the .onnx holds structure, the data file every weight byte.
      const elem = floatType === 'float16' ? 2 : 4;
      expect(statSync(join(dir, 'model.onnx.data')).size).toBe((54 + 3 + 12 + 4) * elem);
      const onnxText = readFileSync(join(dir, 'model.onnx')).toString('latin1');
      expect(onnxText).toContain('model.onnx.data');
      expect(onnxText).not.toContain('/model.onnx.data'); // relative location, not an absolute path
    });
  }

  it('converts weights to the graph float type unless keepType', async () => {
    const { g, dir } = newBuilder('float16');
    const x = g.input('x', 'float32', [3]);
    const w = g.weight('w', { dtype: 'float32', shape: [3], data: Float32Array.of(1.0001, 2, 3) }, { keepType: true });
    expect(g.typeOf(w)).toBe('float32');
    g.output(ops.mul(g, x, w), 'y', 'float32');
    const out = await saveAndRun(g, dir, { x: floatFeed('float32', [3], Float32Array.of(1, 1, 1)) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([Math.fround(1.0001), 2, 3]); // not rounded to fp16
    expect(statSync(join(dir, 'model.onnx.data')).size).toBe(12);
  });

  it('writes weights through at once: later changes to the source array do not reach the graph', async () => {
    const { g, dir } = newBuilder('float32');
    const x = g.input('x', 'float32', [2, 3]);
    const src = Float32Array.of(1, 2, 3, 4, 5, 6); // (out 2, in 3)
    const w = g.weightTransposed('w', { dtype: 'float32', shape: [2, 3], data: src });
    const dataFile = join(dir, 'model.onnx.data');
    expect(statSync(dataFile).size).toBe(24); // on disk before save()
    src.fill(0);
    g.output(ops.matMul(g, x, w), 'y', 'float32');
    const out = await saveAndRun(g, dir, { x: floatFeed('float32', [2, 3], Float32Array.of(1, 0, 0, 0, 1, 1)) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([1, 4, 5, 11]);
  });

  it('transposes non-square weights bigger than one tile correctly', async () => {
    const { g, dir } = newBuilder('float16');
    const rows = 70;
    const cols = 130;
    const W = seeded(rows * cols, 9);
    const x = g.input('x', 'float16', [1, cols]);
    const y = ops.linear(g, x, g.weightTransposed('w', { dtype: 'float32', shape: [rows, cols], data: W }));
    expect(() => g.output(y, 'y', 'float32')).toThrow(/declared float32 but the value is float16/);
    g.output(y, 'y', 'float16');
    const onehot = new Float32Array(cols);
    onehot[129] = 1;
    const out = await saveAndRun(g, dir, { x: floatFeed('float16', [1, cols], onehot) });
    const want = roundHalf(Float32Array.from({ length: rows }, (_, r) => W[r * cols + 129]));
    expect(out.y.shape).toEqual([1, rows]);
    expectClose(toF32(out.y), want, 0);
  });

  it('embeds weights inline when no external-data writer is given', async () => {
    const { g, dir } = newBuilder('float32', false);
    const x = g.input('x', 'float32', [2]);
    g.output(ops.add(g, x, g.weight('w', { dtype: 'float16', shape: [2], data: Uint16Array.of(0x3c00, 0xc000) })), 'y', 'float32');
    const out = await saveAndRun(g, dir, { x: floatFeed('float32', [2], Float32Array.of(0.5, 0.5)) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([1.5, -1.5]);
  });

  it('passes FLOAT vs INT attributes and empty optional inputs correctly', async () => {
    const { g, dir } = newBuilder('float32');
    const x = g.input('x', 'float32', [2, 3]);
    // LeakyRelu alpha is FLOAT; Clip with an empty min input and a max input.
    const leaky = g.op('LeakyRelu', [x], { alpha: { float: 0.25 } });
    const clipped = g.op('Clip', [leaky, null, g.constFloat(1.5)]);
    g.output(clipped, 'y', 'float32', [2, 3]);
    g.output(x, 'x_copy', 'float32'); // same value exported twice: renamed through Identity
    const out = await saveAndRun(g, dir, { x: floatFeed('float32', [2, 3], Float32Array.of(-4, -1, 0, 1, 2, 3)) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([-1, -0.25, 0, 1, 1.5, 1.5]);
    expect(Array.from(out.x_copy.data as Float32Array)).toEqual([-4, -1, 0, 1, 2, 3]);
  });

  it('rejects a non-integer plain-number attribute and duplicate names', () => {
    const g = new GraphBuilder({ name: 'bad', floatType: 'float32' });
    const x = g.input('x', 'float32', [1]);
    expect(() => g.op('LeakyRelu', [x], { alpha: 0.5 })).toThrow(StudioError);
    expect(() => g.input('x', 'float32', [1])).toThrow(/used twice/);
    expect(() => g.weight('w', { dtype: 'float32', shape: [2, 2], data: new Float32Array(3) })).toThrow(/needs 16/);
    expect(() => g.weightTransposed('w3', { dtype: 'float32', shape: [4], data: new Float32Array(4) })).toThrow(/2-D/);
  });

  it('encodes negative and large varints as protobuf does', () => {
    expect(Array.from(encodeVarint(300))).toEqual([0xac, 0x02]);
    expect(Array.from(encodeVarint(-1))).toEqual([255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
    expect(Array.from(encodeVarint(2 ** 33))).toEqual([0x80, 0x80, 0x80, 0x80, 0x20]);
  });
});

describe('ExternalDataWriter', () => {
  it('aligns big tensors to 4096 bytes and reports offsets that match the file', () => {
    const file = join(tempDir(), 'w.onnx.data');
    const w = new ExternalDataWriter(file);
    const small = w.append(Uint8Array.of(1, 2, 3));
    const big = new Uint8Array(100_000).fill(7);
    const bigAt = w.append(big);
    const tail = w.append(Uint8Array.of(9));
    w.close();
    expect(small).toEqual({ offset: 0, length: 3 });
    expect(bigAt.offset % EXTERNAL_ALIGNMENT).toBe(0);
    expect(bigAt.offset).toBe(4096);
    expect(tail.offset).toBe(4096 + 100_000);
    const bytes = readFileSync(file);
    expect(bytes.length).toBe(4096 + 100_001);
    expect(bytes[bigAt.offset]).toBe(7);
    expect(bytes[tail.offset]).toBe(9);
    expect(() => w.append(Uint8Array.of(1))).toThrow(StudioError);
  });

  it('aligns tensors of 1 MiB and more to 64 KiB (Windows mapping granularity)', () => {
    const w = new ExternalDataWriter(join(tempDir(), 'w.onnx.data'));
    w.append(new Uint8Array(5));
    const big = w.append(new Uint8Array(1024 * 1024));
    w.close();
    expect(big.offset).toBe(65536);
  });

  it('writes a tensor bigger than one write may move in pieces (Node refuses 2 GiB writes; the fp32 UMT5 embedding is 4.2 GB)', () => {
    const file = join(tempDir(), 'w.onnx.data');
    const w = new ExternalDataWriter(file, 1000);
    const big = Uint8Array.from({ length: 70_001 }, (_, i) => (i * 7) % 251);
    const at = w.append(big);
    w.close();
    expect(at).toEqual({ offset: 0, length: 70_001 });
    expect(Buffer.compare(readFileSync(file), Buffer.from(big))).toBe(0);
  });

  it('names the real cause when a write fails, and blames the disk only when it is full', () => {
    const w = new ExternalDataWriter('/dev/full');
    expect(() => w.append(new Uint8Array(10))).toThrow(/failed after 0 bytes: the disk is full/);
  });
});
