/**
 * Peak GPU memory while a benchmark phase runs, sampled by a separate nvidia-smi process: ONNX
 * Runtime runs on the JS thread, so an in-process timer would not fire during the very runs we
 * want to see. Reports the card's used memory, so the machine must be otherwise idle.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function usedMemoryMiB(deviceId: number): number | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', String(deviceId)], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const v = Number(r.stdout.trim());
  return Number.isFinite(v) ? v : null;
}

export class GpuMemorySampler {
  private proc: ChildProcess | null = null;
  private dir = '';
  readonly baselineMiB: number | null;

  constructor(private readonly deviceId: number) {
    this.baselineMiB = usedMemoryMiB(deviceId);
  }

  private file(): string {
    return join(this.dir, 'samples.csv');
  }

  get available(): boolean {
    return this.baselineMiB !== null;
  }

  start(): void {
    if (!this.available) return;
    this.dir = mkdtempSync(join(tmpdir(), 'gpu-mem-'));
    this.proc = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits', '-i', String(this.deviceId), '-lms', '20', '-f', this.file()], {
      stdio: 'ignore',
    });
  }

  /** Peak used MiB over the sampled period (absolute, and above the baseline at construction). */
  async stop(): Promise<{ peakMiB: number; aboveBaselineMiB: number } | null> {
    if (!this.proc) return null;
    const p = this.proc;
    this.proc = null;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGINT');
    });
    let peak = 0;
    try {
      for (const line of readFileSync(this.file(), 'utf8').split('\n')) {
        const v = Number(line.trim());
        if (line.trim() && Number.isFinite(v)) peak = Math.max(peak, v);
      }
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
    return { peakMiB: peak, aboveBaselineMiB: peak - (this.baselineMiB ?? 0) };
  }
}
