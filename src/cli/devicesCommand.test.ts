/**
 * `flashworld devices` report: GPU lines, provider status and the memory-mode fit table, from
 * realistic GPU lists and estimates computed by the real memory estimate; and the command itself
 * with an nvidia-smi stand-in (a shell script) and the built-in test model.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { GpuInfo } from '../engine/gpu/nvidiaSmi';
import type { MemoryModeEstimate } from '../engine/memory/memoryEstimate';
import { renderDevicesReport, runDevicesCommand } from './devicesCommand';

const MIB = 2 ** 20;
const gpu = (index: number, name: string, totalMiB: number, freeMiB: number): GpuInfo => ({
  index,
  name,
  memoryTotalBytes: totalMiB * MIB,
  memoryUsedBytes: (totalMiB - freeMiB) * MIB,
  memoryFreeBytes: freeMiB * MIB,
  driverVersion: '580.95.05',
  cudaVersion: '13.0',
});
const H100 = gpu(0, 'NVIDIA H100 80GB HBM3', 81559, 80995);
const RTX_4090 = gpu(1, 'NVIDIA GeForce RTX 4090', 24564, 22963);
const RTX_3070 = gpu(2, 'NVIDIA GeForce RTX 3070', 8192, 7800);

// The report's logic against fixed estimates (the estimator itself is tested in memoryEstimate.test.ts)
const SIZE = { frames: 24, height: 480, width: 704 };
const GiB = 2 ** 30;
const estimates: MemoryModeEstimate[] = [
  { mode: 'gpu', gpuBytes: 25.6 * GiB },
  { mode: 'unload-text-encoder', gpuBytes: 20 * GiB },
  { mode: 'text-encoder-cpu', gpuBytes: 18 * GiB },
  { mode: 'low-vram', gpuBytes: 10.9 * GiB },
];

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

describe('renderDevicesReport', () => {
  const text = renderDevicesReport({
    gpus: [H100, RTX_4090, RTX_3070],
    gpuProblem: null,
    providerDir: '/opt/studio/node_modules/onnxruntime-node/bin/napi-v6/linux/x64',
    providerProblem: null,
    modes: { size: SIZE, model: 'FlashWorld (Hugging Face cache)', estimates },
  });
  const line = (mode: string) => text.split('\n').find((l) => l.startsWith(`  ${mode} `)) ?? '';

  it('lists each GPU with total and free memory in GiB, and the driver and CUDA version once', () => {
    expect(text).toContain('NVIDIA GPUs (driver 580.95.05, CUDA 13.0):\n');
    expect(text).toMatch(/ {2}GPU 0 {2}NVIDIA H100 80GB HBM3 {4}79\.6 GiB total, 79\.1 GiB free\n/);
    expect(text).toMatch(/ {2}GPU 1 {2}NVIDIA GeForce RTX 4090 {2}24\.0 GiB total, 22\.4 GiB free\n/);
    expect(text).toContain('CUDA provider: installed (/opt/studio/node_modules/onnxruntime-node/bin/napi-v6/linux/x64)');
  });

  it('marks per GPU which modes fit its free memory and the fastest that does', () => {
    expect(text).toContain('Memory modes for 24x480x704 (FlashWorld (Hugging Face cache); GPU memory needed');
    expect(line('gpu')).toMatch(/25\.6 GiB {2}Everything on the GPU; GPU 0: fits \(fastest that fits\); GPU 1: too big; GPU 2: too big$/);
    expect(line('unload-text-encoder')).toMatch(/GPU 0: fits; GPU 1: fits \(fastest that fits\); GPU 2: too big$/);
    expect(line('low-vram')).toMatch(/10\.9 GiB .*GPU 1: fits; GPU 2: too big$/);
    expect(text).toContain('  GPU 2: no mode fits its 7.6 GiB free; lower the resolution or frames, or free GPU memory.');
  });

  it('with no GPU: the problem sentence, and the estimates without fit columns', () => {
    const none = renderDevicesReport({ gpus: [], gpuProblem: 'No NVIDIA driver found: nvidia-smi is not installed.', providerDir: null, providerProblem: 'not installed', modes: { size: SIZE, model: 'm', estimates } });
    expect(none.split('\n')[0]).toBe('NVIDIA GPUs: none. No NVIDIA driver found: nvidia-smi is not installed.');
    expect(none).toContain('CUDA provider: not installed\n');
    expect(none).toMatch(/ {2}gpu +25\.6 GiB {2}Everything on the GPU\n/);
    expect(none).not.toMatch(/fits|--memory-mode/);
  });
});

describe.skipIf(process.platform === 'win32')('runDevicesCommand', () => {
  function fakeNvidiaSmi(): string {
    const file = join(mkdtempSync(join(tmpdir(), 'fw-devices-')), 'nvidia-smi');
    writeFileSync(file, `#!/bin/sh\nif [ $# -eq 0 ]; then echo "| NVIDIA-SMI 580.95.05  Driver Version: 580.95.05  CUDA Version: 13.0 |"; exit 0; fi\necho "0, NVIDIA H200, 143771, 0, 143156, 580.95.05"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  it('reports the GPU and the test model’s estimate for every mode (fits a 140 GiB card)', async () => {
    const stdout = new Capture();
    const code = await runDevicesCommand(['--model', 'test', '--resolution', '4x64x96'], { stdout, stderr: new Capture(), nvidiaSmi: fakeNvidiaSmi() });
    expect(code).toBe(0);
    expect(stdout.text).toMatch(/GPU 0 {2}NVIDIA H200 {2}140\.4 GiB total, 139\.8 GiB free/);
    expect(stdout.text).toContain('Memory modes for 4x64x96 (Test model (random weights);');
    for (const mode of ['gpu', 'unload-text-encoder', 'text-encoder-cpu', 'low-vram']) expect(stdout.text).toMatch(new RegExp(`\\n {2}${mode} +[\\d.]+ GiB .*GPU 0: fits`));
    expect(stdout.text).toMatch(/ {2}gpu .*\(fastest that fits\)/);
  });

  it('exits 1 naming the problem when --model can’t be read, after reporting the GPUs', async () => {
    const stdout = new Capture();
    const missing = join(mkdtempSync(join(tmpdir(), 'fw-devices-')), 'no-model');
    const code = await runDevicesCommand(['--model', missing], { stdout, stderr: new Capture(), nvidiaSmi: fakeNvidiaSmi() });
    expect(code).toBe(1);
    expect(stdout.text).toMatch(/NVIDIA H200/);
    expect(stdout.text).toMatch(/Memory modes: The Wan-AI\/Wan2\.2-TI2V-5B-Diffusers folder not found at /);
  });

  it('rejects a malformed --resolution with one line (exit 2)', async () => {
    const stderr = new Capture();
    expect(await runDevicesCommand(['--resolution', '24x480'], { stdout: new Capture(), stderr })).toBe(2);
    expect(stderr.text).toBe('flashworld devices: --resolution 24x480: write it as FRAMESxHEIGHTxWIDTH, e.g. 24x480x704.\n');
  });
});
