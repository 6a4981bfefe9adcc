import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectStudioError, makeTempDir, seededFloats } from '../../../test/helpers/weightFiles';
import { float32ArrayToHalf, float32ToHalfBits, halfArrayToFloat32 } from './halfFloat';
import { PickleGlobal, PickleObject, toPlain } from './pickle';
import { OP, PickleEncoder } from './pickleWriter';
import { openTorchCheckpoint } from './torchCheckpoint';
import { PyFloat, createTorchCheckpointWriter, pyTuple, torchTensor, torchView } from './torchCheckpointWriter';
import { ZipArchive } from './zip';
import { StoredZipWriter } from './zipWriter';

let dir = '';
let cleanup = (): void => {};
beforeEach(() => ({ dir, cleanup } = makeTempDir('ckpt')));
afterEach(() => cleanup());

const bf16 = (v: Float32Array): Uint16Array => Uint16Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length), (x) => x >>> 16);
const widenBf16 = (b: Uint16Array): Float32Array => new Float32Array(Uint32Array.from(b, (x) => x << 16).buffer);

/** Row-major copy of a strided view of `storage`, the reference for gather. */
function viewOf(storage: ArrayLike<number>, offset: number, shape: number[], stride: number[]): number[] {
  const out: number[] = [];
  const walk = (d: number, base: number): void => {
    if (d === shape.length) out.push(storage[base]);
    else for (let i = 0; i < shape[d]; i++) walk(d + 1, base + i * stride[d]);
  };
  walk(0, offset);
  return out;
}

const w = seededFloats(12, 1);
const h = seededFloats(6, 2);
const b = seededFloats(8, 3);
const d = seededFloats(3, 4);
const shared = seededFloats(12, 5);

function writeMixed(path: string, forceZip64 = false): void {
  const writer = createTorchCheckpointWriter(
    path,
    {
      transformer: {
        'blocks.0.attn.weight': torchTensor('F32', [3, 4]),
        'blocks.0.norm.weight': torchTensor('F16', [6]),
        'proj.weight': torchTensor('BF16', [2, 4]),
        'proj.t': torchView('shared', { shape: [4, 3], stride: [1, 4] }), // transposed: non-contiguous
        'proj.rows': torchView('shared', { offset: 4, shape: [2, 4], stride: [4, 1] }), // second view on the same storage
      },
      recon_decoder: { 'head.bias': torchTensor('F64', [3]) },
      meta: { steps: 4, lr: new PyFloat(3), name: 'flashworld', sizes: [24, 480, 704], pair: pyTuple(1, 'a'), none: null, ok: true },
    },
    { storages: { shared: { dtype: 'F32', numel: 12 } }, forceZip64 },
  );
  expect(writer.storageNames()).toEqual(['transformer.blocks.0.attn.weight', 'transformer.blocks.0.norm.weight', 'transformer.proj.weight', 'shared', 'recon_decoder.head.bias']);
  writer.write('shared', shared);
  writer.write('transformer.blocks.0.attn.weight', w.subarray(0, 5)); // chunked
  writer.write('transformer.blocks.0.attn.weight', w.subarray(5));
  writer.write('transformer.blocks.0.norm.weight', float32ArrayToHalf(h));
  writer.write('transformer.proj.weight', bf16(b));
  writer.write('recon_decoder.head.bias', Float64Array.from(d));
  writer.close();
}

function expectMixedContents(path: string): void {
  const ckpt = openTorchCheckpoint(path);
  expect(ckpt.tensorNames()).toHaveLength(6);
  expect(toPlain(ckpt.value('meta'))).toEqual({ steps: 4, lr: 3, name: 'flashworld', sizes: [24, 480, 704], pair: [1, 'a'], none: null, ok: true });
  const tr = ckpt.source('transformer.');
  expect(tr.keys().sort()).toEqual(['blocks.0.attn.weight', 'blocks.0.norm.weight', 'proj.rows', 'proj.t', 'proj.weight']);
  expect(tr.info('proj.weight')).toEqual({ name: 'proj.weight', dtype: 'BF16', shape: [2, 4] });
  expect(Array.from(tr.read('blocks.0.attn.weight', 'float32').data)).toEqual(Array.from(w));
  expect(Array.from(tr.read('blocks.0.norm.weight', 'float16').data)).toEqual(Array.from(float32ArrayToHalf(h)));
  expect(Array.from(tr.read('blocks.0.norm.weight', 'float32').data)).toEqual(Array.from(halfArrayToFloat32(float32ArrayToHalf(h))));
  expect(Array.from(tr.read('proj.weight', 'float32').data)).toEqual(Array.from(widenBf16(bf16(b))));
  expect(Array.from(tr.read('proj.weight', 'float16').data)).toEqual(Array.from(widenBf16(bf16(b)), (v) => float32ToHalfBits(v)));
  const t = tr.read('proj.t', 'float32');
  expect(t.shape).toEqual([4, 3]);
  expect(Array.from(t.data)).toEqual(viewOf(shared, 0, [4, 3], [1, 4]));
  expect(Array.from(tr.read('proj.rows', 'float32').data)).toEqual(Array.from(shared.subarray(4, 12)));
  const rd = ckpt.source('recon_decoder.');
  expect(rd.keys()).toEqual(['head.bias']);
  expect(Array.from(rd.read('head.bias', 'float32').data)).toEqual(Array.from(d));
  tr.close();
  rd.close();
  ckpt.close();
}

describe('torch checkpoint round trip', () => {
  it('reads back fp32/fp16/bf16/fp64, views sharing a storage, a transposed view and meta values', () => {
    const path = join(dir, 'model.ckpt');
    writeMixed(path);
    expectMixedContents(path);
  });

  it('reads a forced-ZIP64 archive the same way', () => {
    const path = join(dir, 'zip64.ckpt');
    writeMixed(path, true);
    const bytes = readFileSync(path);
    expect(bytes.indexOf(Buffer.from([0x50, 0x4b, 0x06, 0x06]))).toBeGreaterThan(0); // ZIP64 end record
    const zip = ZipArchive.open(path);
    expect(zip.entries.map((e) => e.name)).toContain('archive/data/3');
    zip.entries.forEach((e) => expect(zip.dataOffset(e) % 64).toBe(0)); // torch's 64-byte alignment
    zip.close();
    expectMixedContents(path);
  });

  it('keeps the file open until the checkpoint and every source are closed', () => {
    const path = join(dir, 'model.ckpt');
    writeMixed(path);
    const ckpt = openTorchCheckpoint(path);
    const tr = ckpt.source('transformer.');
    ckpt.close();
    expect(tr.read('proj.rows', 'float32').shape).toEqual([2, 4]);
    tr.close();
    expectStudioError(() => tr.read('proj.rows', 'float32'), 'INTERNAL', path);
  });
});

/** A data.pkl built opcode by opcode, as torch would write it for views made by slicing and permuting. */
function handMadeCheckpoint(path: string, root: string, build: (enc: PickleEncoder) => void, storages: Record<string, Uint8Array>): void {
  const enc = new PickleEncoder();
  build(enc);
  const pkl = enc.stop();
  const entries = [
    { name: `${root}/data.pkl`, size: pkl.length },
    ...Object.entries(storages).map(([k, v]) => ({ name: `${root}/data/${k}`, size: v.byteLength })),
    { name: `${root}/version`, size: 2 },
  ];
  const zip = new StoredZipWriter(path, entries);
  zip.write(`${root}/data.pkl`, pkl);
  for (const [k, v] of Object.entries(storages)) zip.write(`${root}/data/${k}`, v);
  zip.write(`${root}/version`, new TextEncoder().encode('3\n'));
  zip.close();
}

function emitTensor(enc: PickleEncoder, t: { cls: string; key: string; numel: number; offset: number; shape: number[]; stride: number[] }): void {
  enc.global('torch._utils', '_rebuild_tensor_v2').op(OP.MARK);
  enc.op(OP.MARK).str('storage').global('torch', t.cls).str(t.key).str('cuda:0').int(t.numel).op(OP.TUPLE).op(OP.BINPERSID);
  enc.int(t.offset).intTuple(t.shape).intTuple(t.stride).bool(false);
  enc.global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE).op(OP.TUPLE).op(OP.REDUCE);
}

describe('torch checkpoint views built by hand', () => {
  const storage = seededFloats(24, 7);
  const halfStorage = float32ArrayToHalf(seededFloats(20, 8));
  const views: Record<string, { offset: number; shape: number[]; stride: number[] }> = {
    full: { offset: 0, shape: [2, 3, 4], stride: [12, 4, 1] },
    permuted: { offset: 0, shape: [4, 2, 3], stride: [1, 12, 4] },
    slice: { offset: 5, shape: [2, 2], stride: [12, 2] },
    scalar: { offset: 7, shape: [], stride: [] },
    broadcast: { offset: 3, shape: [3, 2], stride: [0, 1] }, // expand(): stride 0
    empty: { offset: 0, shape: [0, 4], stride: [4, 1] },
  };

  function writeViews(path: string): void {
    handMadeCheckpoint(path, 'my_weights-v2', (enc) => {
      enc.op(OP.EMPTY_DICT).put();
      enc.op(OP.MARK);
      for (const [name, v] of Object.entries(views)) {
        enc.str(name);
        emitTensor(enc, { cls: 'FloatStorage', key: '0', numel: 24, ...v });
      }
      // a Parameter around a transposed fp16 view: _rebuild_parameter(tensor, requires_grad, hooks)
      enc.str('param').global('torch._utils', '_rebuild_parameter').op(OP.MARK);
      emitTensor(enc, { cls: 'HalfStorage', key: 'h', numel: 20, offset: 2, shape: [3, 5], stride: [1, 3] });
      enc.bool(true).global('collections', 'OrderedDict').op(OP.EMPTY_TUPLE).op(OP.REDUCE).op(OP.TUPLE).op(OP.REDUCE);
      // torch.device('cuda', 0) and torch.float16 in a meta dict stay placeholders
      enc.str('device').global('torch', 'device').str('cuda').int(0).op(OP.TUPLE2).op(OP.REDUCE);
      enc.str('dtype').global('torch', 'float16');
      enc.op(OP.SETITEMS);
    }, { '0': new Uint8Array(storage.buffer), h: new Uint8Array(halfStorage.buffer) });
  }

  it('gathers permuted, sliced, scalar, broadcast and empty views of one storage, under any archive root', () => {
    const path = join(dir, 'views.ckpt');
    writeViews(path);
    const ckpt = openTorchCheckpoint(path);
    const src = ckpt.source();
    for (const [name, v] of Object.entries(views)) {
      const t = src.read(name, 'float32');
      expect(t.shape, name).toEqual(v.shape);
      expect(Array.from(t.data), name).toEqual(viewOf(storage, v.offset, v.shape, v.stride));
    }
    const p = src.read('param', 'float16');
    expect(Array.from(p.data)).toEqual(viewOf(halfStorage, 2, [3, 5], [1, 3]));
    expect(ckpt.value('device')).toBeInstanceOf(PickleObject);
    expect((ckpt.value('dtype') as PickleGlobal).qualifiedName).toBe('torch.float16');
    src.close();
    ckpt.close();
  });

  it('rejects a view reaching past its storage, naming file and tensor', () => {
    const path = join(dir, 'bad-view.ckpt');
    handMadeCheckpoint(path, 'archive', (enc) => {
      enc.op(OP.EMPTY_DICT).str('blocks.3.proj.weight');
      emitTensor(enc, { cls: 'FloatStorage', key: '0', numel: 24, offset: 10, shape: [4, 4], stride: [4, 1] });
      enc.op(OP.SETITEM);
    }, { '0': new Uint8Array(storage.buffer) });
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_CORRUPT', path, 'blocks.3.proj.weight', 'past the end of its storage');
  });

  it('rejects a storage whose size does not match its element count, or that is missing', () => {
    const path = join(dir, 'bad-storage.ckpt');
    const build = (enc: PickleEncoder): void => {
      enc.op(OP.EMPTY_DICT).str('norm.weight');
      emitTensor(enc, { cls: 'FloatStorage', key: '0', numel: 24, offset: 0, shape: [24], stride: [1] });
      enc.op(OP.SETITEM);
    };
    handMadeCheckpoint(path, 'archive', build, { '0': new Uint8Array(40) });
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_CORRUPT', path, 'norm.weight', 'storage 0 holds 40 bytes');
    handMadeCheckpoint(path, 'archive', build, { '1': new Uint8Array(96) });
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_CORRUPT', path, 'norm.weight', 'not in the archive');
  });

  it('refuses to load complex storages, naming file and tensor', () => {
    const path = join(dir, 'complex.ckpt');
    handMadeCheckpoint(path, 'archive', (enc) => {
      enc.op(OP.EMPTY_DICT).str('freqs');
      emitTensor(enc, { cls: 'ComplexFloatStorage', key: '0', numel: 2, offset: 0, shape: [2], stride: [1] });
      enc.op(OP.SETITEM);
    }, { '0': new Uint8Array(16) });
    const src = openTorchCheckpoint(path).source();
    expectStudioError(() => src.read('freqs', 'float32'), 'WEIGHTS_UNSUPPORTED', path, 'freqs', 'ComplexFloatStorage');
    src.close();
  });

  it('rejects a data.pkl with an unknown opcode, naming file, entry and the tensor name before it', () => {
    const path = join(dir, 'opcode.ckpt');
    handMadeCheckpoint(path, 'archive', (enc) => {
      enc.op(OP.EMPTY_DICT).str('blocks.0.ffn.weight').raw(0xfe);
    }, {});
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_CORRUPT', path, 'archive/data.pkl', '0xfe', 'blocks.0.ffn.weight');
  });
});

describe('torch checkpoint rejections', () => {
  it('names the tensor whose data a cut download ends in, at several cut points', () => {
    const path = join(dir, 'model.ckpt');
    writeMixed(path);
    const full = readFileSync(path);
    const zip = ZipArchive.open(path);
    const offsetOf = (name: string): number => zip.dataOffset(zip.get(name)!);
    const cuts: Array<[number, string[]]> = [
      [offsetOf('archive/data/3') + 10, ['"transformer.proj.t"', '"transformer.proj.rows"', 'archive/data/3']],
      [offsetOf('archive/data/0') + 1, ['"transformer.blocks.0.attn.weight"']],
      [offsetOf('archive/data.pkl') + 100, ['archive/data.pkl']],
      [full.length - 10, ['ZIP directory']], // all data present, directory cut
    ];
    zip.close();
    for (const [cut, mentions] of cuts) {
      writeFileSync(path, full);
      truncateSync(path, cut);
      expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_TRUNCATED', path, ...mentions, 'download');
    }
  });

  it('rejects a file that is not a ZIP, a legacy torch file, and a ZIP without data.pkl', () => {
    const path = join(dir, 'model.ckpt');
    writeFileSync(path, 'this is not a checkpoint at all, just some text that is long enough');
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_CORRUPT', path, 'not a ZIP');
    writeFileSync(path, Uint8Array.of(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e));
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_UNSUPPORTED', path, 'legacy');
    const zip = new StoredZipWriter(path, [{ name: 'readme.txt', size: 2 }]);
    zip.write('readme.txt', new Uint8Array([104, 105]));
    zip.close();
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_CORRUPT', path, 'no data.pkl');
  });

  it('detects a damaged data.pkl through its checksum', () => {
    const path = join(dir, 'model.ckpt');
    writeMixed(path);
    const bytes = readFileSync(path);
    const zip = ZipArchive.open(path);
    const at = zip.dataOffset(zip.get('archive/data.pkl')!) + 30;
    zip.close();
    bytes[at] ^= 0x01;
    writeFileSync(path, bytes);
    expectStudioError(() => openTorchCheckpoint(path), 'WEIGHTS_CORRUPT', path, 'archive/data.pkl', 'checksum');
  });

  it('names file and tensor when a tensor is missing, and suggests the right prefix', () => {
    const path = join(dir, 'model.ckpt');
    writeMixed(path);
    const ckpt = openTorchCheckpoint(path);
    const rd = ckpt.source('recon_decoder.');
    expectStudioError(() => rd.read('blocks.0.attn.weight', 'float32'), 'WEIGHTS_MISSING_TENSOR', path, 'recon_decoder.', 'blocks.0.attn.weight');
    const all = ckpt.source();
    expectStudioError(() => all.info('head.bias'), 'WEIGHTS_MISSING_TENSOR', path, 'head.bias', 'recon_decoder.head.bias');
    rd.close();
    all.close();
    ckpt.close();
  });

  it('reports a missing file', () => {
    expectStudioError(() => openTorchCheckpoint(join(dir, 'nope.ckpt')), 'WEIGHTS_NOT_FOUND', join(dir, 'nope.ckpt'));
  });
});
