import { existsSync, mkdirSync, readdirSync, truncateSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { cleanupTempDirs, floatFeed, seeded, tempDir } from '../../../test/helpers/onnxHarness';
import { cacheFolderName, cacheKey, fileFingerprint, getOrBuildGraph, type GraphCacheEvent } from './cache';
import { ExternalDataWriter } from './externalData';
import { GraphBuilder, externalDataPath } from './graph';
import * as ops from './ops';
import { createSession } from './session';

afterAll(cleanupTempDirs);

const W = seeded(64 * 64, 51); // 16 KiB of weights

/** y = x · W (64×64), with a counter of how many times it was built. */
function makeBuild(counter: { builds: number }) {
  return async (dir: string) => {
    counter.builds++;
    const g = new GraphBuilder({ name: 'cached', floatType: 'float32', externalData: new ExternalDataWriter(externalDataPath(dir, 'net')) });
    const x = g.input('x', 'float32', [1, 64]);
    g.output(ops.matMul(g, x, g.weight('w', { dtype: 'float32', shape: [64, 64], data: W })), 'y', 'float32');
    await g.save(dir, 'net');
  };
}

async function runFirst(modelPath: string): Promise<number> {
  const s = await createSession(modelPath, { provider: 'cpu' });
  const x = new Float32Array(64);
  x[0] = 1;
  const out = await s.run({ x: floatFeed('float32', [1, 64], x) });
  await s.release();
  return (out.y.data as Float32Array)[5];
}

describe('getOrBuildGraph', () => {
  it('builds once, then loads the cached graph without building', async () => {
    const cacheDir = tempDir();
    const counter = { builds: 0 };
    const events: GraphCacheEvent[] = [];
    const key = 'test-net/v1/abc';
    const first = await getOrBuildGraph({ cacheDir, key, build: makeBuild(counter), onEvent: (e) => events.push(e) });
    const second = await getOrBuildGraph({ cacheDir, key, build: makeBuild(counter), onEvent: (e) => events.push(e) });
    expect(counter.builds).toBe(1);
    expect(second).toBe(first);
    expect(events.map((e) => e.type)).toEqual(['build', 'built', 'hit']);
    expect(dirname(first)).toBe(join(cacheDir, cacheFolderName(key)));
    expect(readdirSync(dirname(first)).sort()).toEqual(['manifest.json', 'net.onnx', 'net.onnx.data']);
    expect(await runFirst(first)).toBeCloseTo(W[5], 6);
    // no temp folders left behind
    expect(readdirSync(cacheDir).filter((n) => n.startsWith('.tmp-'))).toEqual([]);
  });

  it('shares one build between concurrent callers of the same key', async () => {
    const cacheDir = tempDir();
    const counter = { builds: 0 };
    const [a, b] = await Promise.all([
      getOrBuildGraph({ cacheDir, key: 'same', build: makeBuild(counter) }),
      getOrBuildGraph({ cacheDir, key: 'same', build: makeBuild(counter) }),
    ]);
    expect(a).toBe(b);
    expect(counter.builds).toBe(1);
  });

  it('rebuilds a truncated data file and says so', async () => {
    const cacheDir = tempDir();
    const counter = { builds: 0 };
    const key = 'truncated';
    const model = await getOrBuildGraph({ cacheDir, key, build: makeBuild(counter) });
    const data = join(dirname(model), 'net.onnx.data');
    const size = statSync(data).size;
    truncateSync(data, size - 100);
    const events: GraphCacheEvent[] = [];
    const again = await getOrBuildGraph({ cacheDir, key, build: makeBuild(counter), onEvent: (e) => events.push(e) });
    expect(counter.builds).toBe(2);
    expect(events[0]).toMatchObject({ type: 'corrupt', reason: expect.stringContaining('net.onnx.data') });
    expect(statSync(data).size).toBe(size);
    expect(await runFirst(again)).toBeCloseTo(W[5], 6);
  });

  it('treats a folder without a manifest (interrupted copy) as corrupt', async () => {
    const cacheDir = tempDir();
    const counter = { builds: 0 };
    const model = await getOrBuildGraph({ cacheDir, key: 'k', build: makeBuild(counter) });
    unlinkSync(join(dirname(model), 'manifest.json'));
    const events: GraphCacheEvent[] = [];
    await getOrBuildGraph({ cacheDir, key: 'k', build: makeBuild(counter), onEvent: (e) => events.push(e) });
    expect(counter.builds).toBe(2);
    expect(events.map((e) => e.type)).toEqual(['corrupt', 'build', 'built']);
  });

  it('leaves nothing behind when a build fails, and reports GRAPH_BUILD_FAILED', async () => {
    const cacheDir = tempDir();
    const failing = async () => {
      throw new Error('weights unreadable');
    };
    const err = await getOrBuildGraph({ cacheDir, key: 'broken', build: failing }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StudioError);
    expect((err as StudioError).code).toBe('GRAPH_BUILD_FAILED');
    expect((err as StudioError).message).toContain('weights unreadable');
    expect(readdirSync(cacheDir)).toEqual([]);
    expect(existsSync(join(cacheDir, cacheFolderName('broken')))).toBe(false);
  });

  it('removes temp folders of dead builds but not of live ones', async () => {
    const cacheDir = tempDir();
    const folder = cacheFolderName('k2');
    const dead = join(cacheDir, `.tmp-${folder}-999999999-dead`);
    const live = join(cacheDir, `.tmp-${folder}-${process.pid}-live`);
    mkdirSync(dead);
    mkdirSync(live);
    await getOrBuildGraph({ cacheDir, key: 'k2', build: makeBuild({ builds: 0 }) });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('fileFingerprint changes with content at either end and with size', () => {
    const dir = tempDir();
    const f = join(dir, 'w.bin');
    const big = new Uint8Array(3 * 1024 * 1024);
    writeFileSync(f, big);
    const a = fileFingerprint(f);
    big[big.length - 1] = 1;
    writeFileSync(f, big);
    const b = fileFingerprint(f);
    writeFileSync(f, big.subarray(1));
    const c = fileFingerprint(f);
    expect(new Set([a, b, c]).size).toBe(3);
    expect(fileFingerprint(f)).toBe(c);
  });

  it('different keys get different folders; cacheKey is order-independent', () => {
    expect(cacheKey({ a: 1, b: [2, 3] })).toBe(cacheKey({ b: [2, 3], a: 1 }));
    expect(cacheKey({ a: 1 })).not.toBe(cacheKey({ a: 2 }));
    expect(cacheFolderName('x/y')).not.toBe(cacheFolderName('x_y'));
    expect(cacheFolderName('../../etc')).not.toContain('/');
  });
});
