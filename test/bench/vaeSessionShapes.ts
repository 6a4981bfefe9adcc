/**
 * Why did each VAE encode cost ≈ 0.8 s on CUDA in the full generation (docs/BENCHMARKS.md)? This
 * runs the full-size VAE encoder graph the way generate calls it — the image (batch 1) and the
 * renders (batch 24) alternating — on one session, then with one session per batch size, then the
 * renders in chunks of a few frames; time per call and peak GPU memory per variant.
 *
 *   npm run bench:graphs -- --child vae --dir W --float float16     (random full-size VAE + its graph)
 *   tsx test/bench/vaeSessionShapes.ts --graph W/graphs/<key>/wan_vae_encoder.onnx [--provider cuda]
 */
import { createSession, floatTensor, type GraphSession } from '../../src/engine/onnx/session';
import { GpuMemorySampler } from './gpuMemorySampler';

const H = 480;
const W = 704;
const Z = 48;

function arg(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

function feeds(n: number) {
  const image = new Float32Array(n * 3 * H * W);
  for (let i = 0; i < image.length; i++) image[i] = Math.sin(i * 0.001) * 0.9;
  return { image: floatTensor('float16', [n, 3, H, W], image), noise: floatTensor('float32', [n, Z, H / 16, W / 16], new Float32Array(n * Z * (H / 16) * (W / 16))) };
}

async function timed(session: GraphSession, n: number): Promise<number> {
  const f = feeds(n);
  const t0 = performance.now();
  await session.run(f);
  return performance.now() - t0;
}

async function variant(label: string, provider: 'cpu' | 'cuda', body: (open: () => Promise<GraphSession>) => Promise<number[]>) {
  const sampler = new GpuMemorySampler(0);
  sampler.start();
  const sessions: GraphSession[] = [];
  const graph = arg('graph')!;
  const times = await body(async () => {
    const s = await createSession(graph, { provider });
    sessions.push(s);
    return s;
  });
  await Promise.all(sessions.map((s) => s.release()));
  const peak = await sampler.stop();
  console.log(`${label}: calls ms ${times.map((t) => t.toFixed(0)).join(' ')} | peak GPU ${peak ? (peak.aboveBaselineMiB / 1024).toFixed(1) + ' GiB above idle' : 'n/a'}`);
}

async function main() {
  const provider = (arg('provider', 'cuda') as 'cpu' | 'cuda');
  const frames = Number(arg('frames', '24'));
  const sequence = [1, frames, 1, frames, 1, frames];
  await variant('one session, batch 1 and 24 alternating', provider, async (open) => {
    const s = await open();
    const out: number[] = [];
    for (const n of sequence) out.push(await timed(s, n));
    return out;
  });
  await variant('one session per batch size', provider, async (open) => {
    const one = await open();
    const all = await open();
    const out: number[] = [];
    for (const n of sequence) out.push(await timed(n === 1 ? one : all, n));
    return out;
  });
  for (const chunk of [4, 1]) {
    await variant(`renders in chunks of ${chunk} (one session per shape), ${frames / chunk} calls per encode, 3 encodes`, provider, async (open) => {
      const s = await open();
      const out: number[] = [];
      for (let round = 0; round < 3; round++) {
        const t0 = performance.now();
        for (let i = 0; i < frames / chunk; i++) await timed(s, chunk);
        out.push(performance.now() - t0);
      }
      return out;
    });
  }
}

if (process.argv[1] && /vaeSessionShapes\.(ts|mjs|js)$/.test(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
