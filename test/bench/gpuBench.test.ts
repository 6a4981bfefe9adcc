/**
 * The GPU benchmark's own code paths, run small on the CPU EP: the per-mode generation loop with
 * its stage grouping, the numerics runner against the committed tiny parity fixtures (the same
 * code reads the full-size ones on the GPU machine), and the ours/upstream ratio table.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModelGraphs } from '../../src/engine/model/buildGraphs';
import { testModelFiles } from '../../src/engine/model/modelFiles';
import { fixturesDir, repoRoot, testModelDir } from '../helpers/fixtures';
import { cleanupTempDirs, tempDir } from '../helpers/onnxHarness';
import { benchModes, formatModes, groupStages, type ModeResult } from './gpuBench';
import { networkNumerics, relativeError } from './networkNumerics';
import { summarizeProfileDir } from './ortProfile';
import { compareWithUpstream, type UpstreamTiming } from './upstreamComparison';

afterAll(() => cleanupTempDirs());

describe('stage grouping', () => {
  it('sums the steps of each kind of work and keeps the rest', () => {
    const g = groupStages({ prepare: 1, text: 2, image: 3, 'step 1 transformer': 10, 'step 2 transformer': 20, 'step 1 decode': 5, 'step 4 decode': 6, 'step 1 render': 7, 'step 1 encode': 8, 'session loads': 9 });
    expect(g).toEqual({ prepare: 1, text: 2, image: 3, transformer: 30, decode: 11, render: 7, encode: 8, 'session loads': 9 });
  });
});

describe('bench:gpu on the CPU with the test model', () => {
  it('generates per mode, times every stage and writes a table', async () => {
    const cacheDir = tempDir('bench-gpu-');
    const { modes } = await benchModes({
      model: testModelDir,
      cacheDir,
      requestPath: join(repoRoot, 'examples', 'harbor_dusk.json'),
      provider: 'cpu',
      deviceId: 0,
      modes: ['gpu'],
      runs: 1,
      log: () => undefined,
    });
    expect(modes).toHaveLength(1);
    const m = modes[0];
    expect(m.provider).toBe('cpu');
    expect(m.runs).toHaveLength(1);
    expect(m.splats).toBeGreaterThan(0);
    // the stages cover the generation: their sum is the total minus export, within bookkeeping slack
    const stagesMs = Object.values(m.median.stages).reduce((a, b) => a + b, 0);
    expect(stagesMs).toBeGreaterThan(0.8 * (m.median.totalMs - m.median.exportMs));
    expect(stagesMs).toBeLessThanOrEqual(m.median.totalMs);
    expect(m.median.stages.transformer).toBeGreaterThan(0);
    expect(m.median.stages.render).toBeGreaterThan(0);
    expect(m.peakGpuMiB).toBeNull(); // no nvidia-smi here
    expect(formatModes(modes)).toMatch(/^\| mode \| total s/);

    // the same request a few frames a call: labelled in the table, same number of splats
    // (profiled: one ONNX Runtime profile per session, each run of it listed)
    const profileDir = tempDir('bench-profile-');
    const chunked = await benchModes({
      model: testModelDir, cacheDir, requestPath: join(repoRoot, 'examples', 'harbor_dusk.json'),
      provider: 'cpu', deviceId: 0, modes: ['gpu'], runs: 1, framesPerCall: 3, profileDir, log: () => undefined,
    });
    const profiles = summarizeProfileDir(profileDir);
    expect(profiles.map((p) => /^gpu-\d+-([a-z0-9_]+?)_\d{4}-/.exec(p.file)?.[1]).sort()).toEqual([
      'recon_decoder', 'umt5_encoder', 'wan_transformer', 'wan_vae_encoder', 'wan_vae_encoder', // the image and the renders
    ]);
    const transformer = profiles.find((p) => p.file.includes('transformer'))!;
    expect(transformer.runsMs).toHaveLength(8); // 2 generations × 4 steps
    expect(chunked.modes[0].framesPerCall).toBe(3);
    expect(chunked.modes[0].splats).toBe(m.splats);
    expect(formatModes(chunked.modes)).toMatch(/\| gpu \(3 frames a call\) \|/);
  }, 240_000);
});

describe('numerics runner on the tiny parity fixtures', () => {
  it('reproduces upstream fp32 outputs with the runtime graphs (fp32 on the CPU), no NaN/Inf', async () => {
    const files = testModelFiles();
    const { graphs } = await buildModelGraphs({ model: files, cacheDir: tempDir('numerics-'), floatType: 'float32' });
    const rows = await networkNumerics({ fixturesDir: join(fixturesDir, 'parity'), files, graphs, floatType: 'float32', provider: 'cpu' });
    expect(rows.map((r) => r.network)).toEqual(['text encoder', 'text encoder', 'VAE encoder', 'transformer', 'recon decoder']);
    for (const r of rows) {
      expect(r.nonFinite).toBe(0);
      // same tolerance the parity tests prove for fp32 graphs (≤ 2e-5 of the output scale)
      expect(r.maxErrOfScale, r.network).toBeLessThan(2e-5);
    }
    // upstream's bf16 run is visibly further from fp32 than we are: the comparison has teeth
    const t = rows.find((r) => r.network === 'transformer')!;
    expect(t.upstreamBf16!.rmsRel).toBeGreaterThan(10 * t.rmsRel);
  }, 240_000);

  it('relative error is exact on known arrays', () => {
    expect(relativeError([1, 2, 4], [1, 2, 3])).toEqual({ maxErrOfScale: 1 / 3, rmsRel: Math.sqrt(1 / 14) });
    expect(relativeError([NaN], [1]).maxErrOfScale).toBe(Infinity);
  });
});

describe('ours / upstream table', () => {
  it('pairs each mode with each upstream variant and divides like for like', () => {
    const stages = { prepare: 0, text: 50, image: 10, transformer: 1000, decode: 400, render: 200, encode: 100, 'session loads': 0 };
    const mode: ModeResult = {
      mode: 'gpu', framesPerCall: null, warmedUp: true, provider: 'cuda', loadMs: 1, runs: [], splats: 1, warnings: [],
      median: { totalMs: 2000, exportMs: 200, stages },
      peakGpuMiB: 30_000, peakGpuAboveIdleMiB: 29_000,
    };
    const upstream: UpstreamTiming = {
      variants: {
        bf16: {
          runs: [],
          median: { generate_ms: 2500, request_ms: 4100, clean_request_ms: 4000, stages_ms: { text_encoder: 100, vae_encode_image: 10, transformer: 800, recon_decoder: 800, render: 100, vae_encode_renders: 200 } },
          peak: { nvidia_smi_used_mib: 60_000, nvidia_smi_used_minus_baseline_mib: 58_000 },
        },
      },
    };
    const [row] = compareWithUpstream([mode], upstream);
    expect(row.ratio).toBeCloseTo(2000 / 4000);
    expect(row.stages.find((s) => s.stage === 'transformer')!.ratio).toBeCloseTo(1.25);
    expect(row.stages.find((s) => s.stage === 'decode')!.ratio).toBeCloseTo(0.5);
    expect(row.peakRatio).toBeCloseTo(0.5);
  });
});
