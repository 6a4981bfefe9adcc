import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ops from '../../src/engine/onnx/ops';
import { createSession } from '../../src/engine/onnx/session';
import { cleanupTempDirs, floatFeed, newBuilder } from '../helpers/onnxHarness';
import { summarizeProfile, summarizeProfileDir } from './ortProfile';

afterAll(cleanupTempDirs);

describe('ONNX Runtime profile summary', () => {
  it('breaks the last run of a real profiled session down by operator type', async () => {
    const { g, dir } = newBuilder('float32');
    const x = g.input('x', 'float32', [1, 4, 64, 64]);
    const w = g.weight('w', { dtype: 'float32', shape: [4, 4, 3, 3], data: new Float32Array(144).fill(0.01) });
    g.output(ops.silu(g, ops.conv(g, x, w, null, { pads: [1, 1, 1, 1] })), 'y', 'float32', [1, 4, 64, 64]);
    const { modelPath } = await g.save(dir, 'model');
    const profiles = mkdtempSync(join(tmpdir(), 'ort-profile-'));
    const s = await createSession(modelPath, { provider: 'cpu', intraOpThreads: 1, profileFilePrefix: join(profiles, 'conv') });
    for (let i = 0; i < 3; i++) await s.run({ x: floatFeed('float32', [1, 4, 64, 64], new Float32Array(4 * 64 * 64).fill(1)) });
    await s.release();

    const [summary] = summarizeProfileDir(profiles);
    expect(summary.runsMs).toHaveLength(3);
    expect(summary.byOpType.map((o) => o.op)).toContain('Conv');
    expect(summary.kernelMs).toBeGreaterThan(0);
    expect(summary.kernelMs).toBeLessThanOrEqual(summary.runsMs[2] + 1e-3);
    expect(summary.cpuNodes).toEqual([]); // a CPU session: nothing "fell back"
  });

  it('counts only the last run and names CPU nodes of a CUDA session', () => {
    const node = (name: string, ts: number, dur: number, provider = 'CUDAExecutionProvider', op = 'Conv') => ({ cat: 'Node', name: `${name}_kernel_time`, ts, dur, args: { op_name: op, provider } });
    const s = summarizeProfile([
      { cat: 'Session', name: 'model_run', ts: 0, dur: 5000 },
      node('a', 100, 4000),
      { cat: 'Session', name: 'model_run', ts: 10000, dur: 3000 },
      node('a', 10100, 1000),
      node('b', 11200, 500, 'CPUExecutionProvider', 'Shape'),
      node('a_fence', 11300, 9, 'CUDAExecutionProvider', 'Conv'),
    ]);
    expect(s.runsMs).toEqual([5, 3]);
    expect(s.kernelMs).toBeCloseTo(1.509, 6);
    expect(s.otherMs).toBeCloseTo(3 - 1.509, 6);
    expect(s.byOpType[0]).toEqual({ op: 'Conv', ms: 1.009, nodes: 2 });
    expect(s.cpuNodes).toEqual(['b (Shape)']);
    expect(s.slowestNodes[0]).toMatchObject({ node: 'a', ms: 1 });
  });
});
