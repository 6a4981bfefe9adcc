import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { cleanupTempDirs, floatFeed, newBuilder } from '../../../test/helpers/onnxHarness';
import * as ops from './ops';
import { createSession, floatTensor, hostTensor, ortSessionOptions, toFloat32 } from './session';

afterAll(cleanupTempDirs);

async function addGraph(): Promise<string> {
  const { g, dir } = newBuilder('float32');
  const a = g.input('a', 'float32', [2]);
  const n = g.input('n', 'int64', ['k']);
  g.output(ops.add(g, a, g.constFloat([10, 20])), 'sum', 'float32', [2]);
  g.output(ops.cast(g, g.op('Size', [n]), 'int32'), 'count', 'int32', []);
  g.output(g.op('Greater', [a, g.constFloat(0)]), 'positive', 'bool', [2]);
  return (await g.save(dir, 'model')).modelPath;
}

describe('createSession', () => {
  it('runs with typed host tensors (float32, int64 in; float32, int32, bool out)', async () => {
    const s = await createSession(await addGraph(), { provider: 'cpu', intraOpThreads: 1 });
    expect(s.inputNames).toEqual(['a', 'n']);
    expect(s.outputNames).toEqual(['sum', 'count', 'positive']);
    const out = await s.run({ a: floatFeed('float32', [2], Float32Array.of(1, -2)), n: hostTensor('int64', [3], BigInt64Array.of(1n, 2n, 3n)) });
    expect(Array.from(out.sum.data as Float32Array)).toEqual([11, 18]);
    expect(out.count).toMatchObject({ dtype: 'int32', shape: [] });
    expect(Array.from(out.count.data as Int32Array)).toEqual([3]);
    expect(out.positive.dtype).toBe('bool');
    expect(Array.from(out.positive.data as Uint8Array)).toEqual([1, 0]);
    await s.release();
  });

  it('allocates the weights exactly (device allocator, not the arena) on CUDA, and a CPU session with it still runs', async () => {
    const exact = { session: { use_device_allocator_for_initializers: '1' } };
    expect(ortSessionOptions({ provider: 'cuda', deviceId: 1 })).toMatchObject({ executionProviders: [{ name: 'cuda', deviceId: 1 }], extra: exact });
    expect(ortSessionOptions({ provider: 'cpu' }).extra).toBeUndefined();
    expect(ortSessionOptions({ provider: 'cuda', deviceAllocatorForInitializers: false }).extra).toBeUndefined();
    expect(ortSessionOptions({ provider: 'cpu', deviceAllocatorForInitializers: true }).extra).toEqual(exact);
    const s = await createSession(await addGraph(), { provider: 'cpu', deviceAllocatorForInitializers: true });
    const out = await s.run({ a: floatFeed('float32', [2], Float32Array.of(0.5, 3)), n: hostTensor('int64', [1], BigInt64Array.of(4n)) });
    expect(Array.from(out.sum.data as Float32Array)).toEqual([10.5, 23]);
    await s.release();
  });

  it('converts between fp32 values and fp16 host tensors', () => {
    const t = floatTensor('float16', [3], Float32Array.of(1, -2.5, 65504));
    expect(Array.from(t.data as Uint16Array)).toEqual([0x3c00, 0xc100, 0x7bff]);
    expect(Array.from(toFloat32(t))).toEqual([1, -2.5, 65504]);
    expect(Array.from(toFloat32(hostTensor('int64', [2], BigInt64Array.of(-3n, 7n))))).toEqual([-3, 7]);
    expect(() => hostTensor('float32', [2, 2], new Float32Array(3))).toThrow(/needs 4 elements/);
  });

  it('turns ORT failures into RUNTIME_FAILED naming the graph', async () => {
    const path = await addGraph();
    const s = await createSession(path, { provider: 'cpu' });
    const bad = await s.run({ a: floatFeed('float32', [3], new Float32Array(3)), n: hostTensor('int64', [1]) }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(StudioError);
    expect((bad as StudioError).code).toBe('RUNTIME_FAILED');
    expect((bad as StudioError).message).toContain('model.onnx');
    expect((bad as StudioError).message).toContain('a:float32[3]');
    const missing = await s.run({ a: floatFeed('float32', [2], new Float32Array(2)) }).catch((e: unknown) => e);
    expect((missing as StudioError).message).toContain('needs input "n"');
    const extra = await s
      .run({ a: floatFeed('float32', [2], new Float32Array(2)), n: hostTensor('int64', [1]), typo: hostTensor('int64', [1]) })
      .catch((e: unknown) => e);
    expect((extra as StudioError).message).toContain('no input(s) typo');
    await s.release();
  });

  it('explains a missing CUDA provider (this CPU-only build has none)', async () => {
    const err = await createSession(await addGraph(), { provider: 'cuda' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('RUNTIME_FAILED');
    expect((err as StudioError).message).toMatch(/CUDA/);
    expect((err as StudioError).message).toMatch(/CPU device/);
  });

  it('reports an unreadable model file as RUNTIME_FAILED with what to do', async () => {
    const err = await createSession('/nonexistent/graph.onnx', { provider: 'cpu' }).catch((e: unknown) => e);
    expect((err as StudioError).code).toBe('RUNTIME_FAILED');
    expect((err as StudioError).message).toContain('graph cache');
  });
});
