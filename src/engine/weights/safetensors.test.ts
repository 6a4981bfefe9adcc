import { readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectStudioError, makeTempDir, seededFloats, writeRawSafetensors } from '../../../test/helpers/weightFiles';
import { float32ArrayToHalf, float32ToHalfBits, halfArrayToFloat32 } from './halfFloat';
import { openSafetensors, openSafetensorsFolder } from './safetensors';
import { createSafetensorsWriter, createShardedSafetensorsWriter, type TensorDeclaration } from './safetensorsWriter';
import { withPrefix } from './weightSource';

function bf16Bits(values: Float32Array): Uint16Array {
  const u = new Uint32Array(values.buffer, values.byteOffset, values.length);
  return Uint16Array.from(u, (x) => x >>> 16);
}
function widenBf16(bits: Uint16Array): Float32Array {
  return new Float32Array(Uint32Array.from(bits, (b) => b << 16).buffer);
}

let dir = '';
let cleanup = (): void => {};
beforeEach(() => ({ dir, cleanup } = makeTempDir('st')));
afterEach(() => cleanup());

const a = seededFloats(6, 1);
const b = seededFloats(12, 2);
const c = seededFloats(5, 3);
const d = seededFloats(4, 4);
const decls: TensorDeclaration[] = [
  { name: 'blocks.0.weight', dtype: 'F32', shape: [2, 3] },
  { name: 'blocks.0.bias', dtype: 'F16', shape: [3, 4] },
  { name: 'norm.scale', dtype: 'BF16', shape: [5] },
  { name: 'head.w64', dtype: 'F64', shape: [2, 2] },
  { name: 'ids', dtype: 'I64', shape: [2] },
];

function writeSample(path: string): void {
  const w = createSafetensorsWriter(path, decls, { metadata: { format: 'pt' } });
  w.write('head.w64', Float64Array.from(d));
  w.write('blocks.0.weight', a.subarray(0, 4)); // chunked: two writes for one tensor
  w.write('blocks.0.weight', a.subarray(4));
  w.write('blocks.0.bias', float32ArrayToHalf(b));
  w.write('norm.scale', bf16Bits(c));
  w.write('ids', new BigInt64Array([7n, 9n]));
  w.close();
}

describe('safetensors round trip', () => {
  it('reads back F32/F16/BF16/F64 as fp32 and fp16, with metadata', () => {
    const path = join(dir, 'one.safetensors');
    writeSample(path);
    const src = openSafetensors(path);
    expect(src.keys()).toEqual(decls.map((t) => t.name));
    expect(src.metadata).toEqual({ format: 'pt' });
    expect(src.info('blocks.0.bias')).toEqual({ name: 'blocks.0.bias', dtype: 'F16', shape: [3, 4] });

    const w32 = src.read('blocks.0.weight', 'float32');
    expect(w32.shape).toEqual([2, 3]);
    expect(Array.from(w32.data)).toEqual(Array.from(a));
    const w16 = src.read('blocks.0.weight', 'float16');
    expect(w16.dtype).toBe('float16');
    expect(Array.from(w16.data)).toEqual(Array.from(float32ArrayToHalf(a)));

    expect(Array.from(src.read('blocks.0.bias', 'float16').data)).toEqual(Array.from(float32ArrayToHalf(b)));
    expect(Array.from(src.read('blocks.0.bias', 'float32').data)).toEqual(Array.from(halfArrayToFloat32(float32ArrayToHalf(b))));

    const cWide = widenBf16(bf16Bits(c));
    expect(Array.from(src.read('norm.scale', 'float32').data)).toEqual(Array.from(cWide));
    // bf16 → fp16 must equal rounding the exact fp32 value to half
    expect(Array.from(src.read('norm.scale', 'float16').data)).toEqual(Array.from(cWide, (v) => float32ToHalfBits(v)));

    expect(Array.from(src.read('head.w64', 'float32').data)).toEqual(Array.from(d));
    expectStudioError(() => src.read('ids', 'float32'), 'WEIGHTS_UNSUPPORTED', path, 'ids', 'I64');
    src.close();
  });

  it('gives a prefix view with the prefix stripped, and names the full origin when a key is missing', () => {
    const path = join(dir, 'one.safetensors');
    writeSample(path);
    const blocks = withPrefix(openSafetensors(path), 'blocks.0.');
    expect(blocks.keys()).toEqual(['weight', 'bias']);
    expect(blocks.info('bias')).toEqual({ name: 'bias', dtype: 'F16', shape: [3, 4] });
    expect(Array.from(blocks.read('weight', 'float32').data)).toEqual(Array.from(a));
    expect(blocks.has('norm.scale')).toBe(false);
    expectStudioError(() => blocks.read('scale', 'float32'), 'WEIGHTS_MISSING_TENSOR', path, 'blocks.0.', 'scale');
    blocks.close();
  });

  it('pads the header so the data block is 8-byte aligned', () => {
    const path = join(dir, 'aligned.safetensors');
    writeSample(path);
    const bytes = readFileSync(path);
    expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
  });

  it('splits into shards with an index and reads them back as one source', () => {
    const out = join(dir, 'text_encoder');
    const tensors: TensorDeclaration[] = Array.from({ length: 7 }, (_, i) => ({ name: `layer.${i}.w`, dtype: 'F32', shape: [4, 4] }));
    const w = createShardedSafetensorsWriter(out, tensors, { maxShardBytes: 150 }); // 64 B per tensor → 2 per shard
    tensors.forEach((t, i) => w.write(t.name, seededFloats(16, 10 + i)));
    w.close();
    expect(readdirSync(out).sort()).toEqual([
      'model-00001-of-00004.safetensors',
      'model-00002-of-00004.safetensors',
      'model-00003-of-00004.safetensors',
      'model-00004-of-00004.safetensors',
      'model.safetensors.index.json',
    ]);
    const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(7 * 64);
    expect(index.weight_map['layer.6.w']).toBe('model-00004-of-00004.safetensors');
    const src = openSafetensorsFolder(out);
    expect(src.keys().sort()).toEqual(tensors.map((t) => t.name).sort());
    tensors.forEach((t, i) => expect(Array.from(src.read(t.name, 'float32').data)).toEqual(Array.from(seededFloats(16, 10 + i))));
    src.close();
  });

  it('opens a folder holding a single diffusion_pytorch_model.safetensors', () => {
    const w = createShardedSafetensorsWriter(dir, decls.slice(0, 1), { maxShardBytes: 1e9, baseName: 'diffusion_pytorch_model' });
    w.write('blocks.0.weight', a);
    w.close();
    expect(readdirSync(dir)).toEqual(['diffusion_pytorch_model.safetensors']);
    const src = openSafetensorsFolder(dir);
    expect(Array.from(src.read('blocks.0.weight', 'float32').data)).toEqual(Array.from(a));
    src.close();
  });

  it('refuses to close a writer before every tensor got all its bytes', () => {
    const w = createSafetensorsWriter(join(dir, 'partial.safetensors'), decls.slice(0, 2));
    w.write('blocks.0.weight', a);
    w.write('blocks.0.bias', new Uint16Array(5));
    expectStudioError(() => w.close(), 'INTERNAL', 'blocks.0.bias', '10 of its 24 bytes');
  });
});

describe('safetensors rejections', () => {
  it('rejects a file cut short, at every kind of cut point', () => {
    const path = join(dir, 'cut.safetensors');
    writeSample(path);
    const full = readFileSync(path);
    const headerLen = Number(full.readBigUInt64LE(0));
    const dataStart = 8 + headerLen;
    const cuts: Array<[number, string[]]> = [
      [5, [path, 'too short']],
      [8 + 10, [path, 'inside its header']],
      [dataStart + 30, [path, 'blocks.0.bias']], // inside the second tensor (bytes 24..48)
      [full.length - 1, [path, 'ids']], // last byte missing
    ];
    for (const [cut, mentions] of cuts) {
      writeFileSync(path, full);
      truncateSync(path, cut);
      expectStudioError(() => openSafetensors(path), 'WEIGHTS_TRUNCATED', ...mentions, 'download it again');
    }
  });

  it('rejects a header that is not JSON, or an absurd header length', () => {
    const path = join(dir, 'bad.safetensors');
    writeRawSafetensors(path, null, new Uint8Array(8), '{"w": {"dtype": "F32", "shape": [2], ');
    expectStudioError(() => openSafetensors(path), 'WEIGHTS_CORRUPT', path, 'unreadable header');
    writeFileSync(path, Buffer.from('PK\x03\x04 this is a zip, not safetensors'));
    expectStudioError(() => openSafetensors(path), 'WEIGHTS_CORRUPT', path, 'not a safetensors file');
  });

  it('rejects offsets that do not match shape × dtype, overlap, or lie past the end', () => {
    const path = join(dir, 'offsets.safetensors');
    const data = new Uint8Array(32);
    writeRawSafetensors(path, { 'x.weight': { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, data);
    expectStudioError(() => openSafetensors(path), 'WEIGHTS_CORRUPT', path, 'x.weight', 'needs 12');
    writeRawSafetensors(
      path,
      { 'x.weight': { dtype: 'F32', shape: [4], data_offsets: [0, 16] }, 'y.bias': { dtype: 'F32', shape: [4], data_offsets: [8, 24] } },
      data,
    );
    expectStudioError(() => openSafetensors(path), 'WEIGHTS_CORRUPT', path, 'x.weight', 'y.bias', 'overlap');
    writeRawSafetensors(path, { 'z.proj': { dtype: 'F16', shape: [20], data_offsets: [0, 40] } }, data);
    expectStudioError(() => openSafetensors(path), 'WEIGHTS_TRUNCATED', path, 'z.proj');
    writeRawSafetensors(path, { 'w.neg': { dtype: 'F32', shape: [1], data_offsets: [8, 4] } }, data);
    expectStudioError(() => openSafetensors(path), 'WEIGHTS_CORRUPT', path, 'w.neg', 'data_offsets');
  });

  it('names file and tensor when a tensor is missing', () => {
    const path = join(dir, 'one.safetensors');
    writeSample(path);
    const src = openSafetensors(path);
    expectStudioError(() => src.read('blocks.1.weight', 'float32'), 'WEIGHTS_MISSING_TENSOR', path, 'blocks.1.weight', 'blocks.0.weight');
    expectStudioError(() => src.info('nope'), 'WEIGHTS_MISSING_TENSOR', path, 'nope');
    src.close();
  });

  it('rejects a sharded folder with a missing shard, or a tensor missing from its shard', () => {
    const out = join(dir, 'sharded');
    const tensors: TensorDeclaration[] = Array.from({ length: 4 }, (_, i) => ({ name: `t.${i}`, dtype: 'F32', shape: [4] }));
    const w = createShardedSafetensorsWriter(out, tensors, { maxShardBytes: 32 });
    tensors.forEach((t) => w.write(t.name, new Float32Array(4)));
    w.close();
    const indexPath = join(out, 'model.safetensors.index.json');
    const index = JSON.parse(readFileSync(indexPath, 'utf8'));

    index.weight_map['t.extra'] = 'model-00001-of-00002.safetensors';
    writeFileSync(indexPath, JSON.stringify(index));
    expectStudioError(() => openSafetensorsFolder(out), 'WEIGHTS_MISSING_TENSOR', 't.extra', join(out, 'model-00001-of-00002.safetensors'));
    delete index.weight_map['t.extra'];
    writeFileSync(indexPath, JSON.stringify(index));

    const src = openSafetensorsFolder(out);
    expectStudioError(() => src.read('t.9', 'float32'), 'WEIGHTS_MISSING_TENSOR', indexPath, 't.9');
    src.close();

    rmSync(join(out, 'model-00002-of-00002.safetensors'));
    expectStudioError(() => openSafetensorsFolder(out), 'WEIGHTS_NOT_FOUND', 'model-00002-of-00002.safetensors', 't.2', 'download');
  });

  it('rejects an index whose shard names point outside the folder', () => {
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { 'a.b': '../evil.safetensors' } }));
    expectStudioError(() => openSafetensorsFolder(dir), 'WEIGHTS_CORRUPT', 'model.safetensors.index.json', 'a.b');
  });

  it('reports a missing or empty model folder', () => {
    expectStudioError(() => openSafetensorsFolder(join(dir, 'absent')), 'WEIGHTS_NOT_FOUND', join(dir, 'absent'));
    expectStudioError(() => openSafetensorsFolder(dir), 'WEIGHTS_NOT_FOUND', dir, 'no .safetensors');
    expectStudioError(() => openSafetensors(join(dir, 'x.safetensors')), 'WEIGHTS_NOT_FOUND', join(dir, 'x.safetensors'));
  });
});
