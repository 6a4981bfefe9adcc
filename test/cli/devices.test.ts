/**
 * `flashworld devices` and generate's GPU flags as users run them (a child process through tsx):
 * with no nvidia-smi on PATH the machine has "no NVIDIA driver" whatever it really has, and a
 * shell script named nvidia-smi on PATH stands in for a driver with one H200.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/fixtures';

const tsxCli = join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const home = mkdtempSync(join(tmpdir(), 'fw-devices-home-'));

/** Runs the CLI with PATH = `pathDir` only (node is started by its absolute path). */
function cli(args: string[], pathDir = mkdtempSync(join(tmpdir(), 'fw-empty-path-'))) {
  const env = { HOME: home, PATH: pathDir, HF_HUB_CACHE: join(home, 'hub'), XDG_CACHE_HOME: join(home, 'cache') };
  const r = spawnSync(process.execPath, [tsxCli, join(repoRoot, 'src/cli/main.ts'), ...args], { encoding: 'utf8', cwd: repoRoot, env, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function pathWithFakeH200(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-fake-driver-'));
  writeFileSync(
    join(dir, 'nvidia-smi'),
    '#!/bin/sh\nif [ $# -eq 0 ]; then echo "| NVIDIA-SMI 580.95.05  Driver Version: 580.95.05  CUDA Version: 13.0 |"; exit 0; fi\necho "0, NVIDIA H200, 143771, 512, 142644, 580.95.05"\n',
  );
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}

const noStack = /at .*\.ts:\d+/;

describe.skipIf(process.platform === 'win32')('flashworld devices', () => {
  it('on a machine without nvidia-smi prints the no-driver sentence and exits 0', () => {
    const r = cli(['devices']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^NVIDIA GPUs: none\. No NVIDIA driver found: nvidia-smi is not installed \(or not on PATH\)\. Install the NVIDIA driver/);
    expect(lines[1]).toMatch(/^CUDA provider: /);
    expect(lines[2]).toMatch(/^Memory modes: the model is not downloaded yet \(flashworld model download\)/);
    expect(r.stderr).not.toMatch(noStack);
  });

  it('with a driver on PATH lists the GPU and which memory mode fits it (test model)', () => {
    const r = cli(['devices', '--model', 'test'], pathWithFakeH200());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('NVIDIA GPUs (driver 580.95.05, CUDA 13.0):\n  GPU 0  NVIDIA H200  140.4 GiB total, 139.3 GiB free\n');
    expect(r.stdout).toMatch(/\n {2}gpu +[\d.]+ GiB {2}Everything on the GPU; GPU 0: fits \(fastest that fits\)\n/);
    expect(r.stdout).toMatch(/\n {2}low-vram +[\d.]+ GiB {2}Text encoder, VAE and decoder on the CPU; GPU 0: fits\n/);
  });

  it('--help describes the command', () => {
    const r = cli(['devices', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: flashworld devices/);
  });
});

describe('generate: GPU flags', () => {
  const out = mkdtempSync(join(tmpdir(), 'fw-devices-out-'));
  const oneLine = (r: ReturnType<typeof cli>) => {
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    return r.stderr.trim();
  };

  it('--memory-mode bogus fails with one line listing the modes', () => {
    expect(oneLine(cli(['generate', join(repoRoot, 'examples'), '--out', out, '--memory-mode', 'bogus']))).toBe(
      'flashworld: --memory-mode bogus: use one of gpu, unload-text-encoder, text-encoder-cpu, low-vram or auto.',
    );
  });

  it('--device -1 (either spelling) fails with one line', () => {
    const expected = 'flashworld: --device -1: give a CUDA GPU number, 0 or more (flashworld devices lists them).';
    expect(oneLine(cli(['generate', join(repoRoot, 'examples'), '--out', out, '--device', '-1']))).toBe(expected);
    expect(oneLine(cli(['generate', join(repoRoot, 'examples'), '--out', out, '--device=-1']))).toBe(expected);
    expect(oneLine(cli(['generate', join(repoRoot, 'examples'), '--out', out, '--device', 'first']))).toMatch(/^flashworld: --device first: give a CUDA GPU number/);
  });

  it('--device with --provider cpu is a contradiction, said in one line', () => {
    expect(oneLine(cli(['generate', join(repoRoot, 'examples'), '--out', out, '--device', '1', '--provider', 'cpu']))).toBe(
      "flashworld: --device places networks on a CUDA GPU; it can't be combined with --provider cpu.",
    );
  });

  it('--frames-per-call and --text-encoder-precision reject bad values in one line', () => {
    expect(oneLine(cli(['generate', join(repoRoot, 'examples'), '--out', out, '--frames-per-call', '0']))).toBe(
      'flashworld: --frames-per-call 0: give a whole number of frames, 1 or more.',
    );
    expect(oneLine(cli(['generate', join(repoRoot, 'examples'), '--out', out, '--text-encoder-precision', 'bf16']))).toBe(
      'flashworld: --text-encoder-precision bf16: use fp16 or fp32.',
    );
  });

  it('--frames-per-call gives the same scene as all frames at once (test model, CPU)', () => {
    const run = (extra: string[], dir: string) =>
      cli(['generate', join(repoRoot, 'examples', 'text_orbit.json'), '--out', join(out, dir), '--model', 'test', '--resolution', '5x64x96', '--seed', '3', '--cache', join(home, 'graphs'), ...extra]);
    const whole = run([], 'whole');
    const chunked = run(['--frames-per-call', '2'], 'chunked');
    expect(whole.code, whole.stderr).toBe(0);
    expect(chunked.code, chunked.stderr).toBe(0);
    const a = readFileSync(join(out, 'whole', 'text_orbit', 'gaussians.ply'));
    const b = readFileSync(join(out, 'chunked', 'text_orbit', 'gaussians.ply'));
    expect(a.length).toBeGreaterThan(1000);
    expect(b.equals(a)).toBe(true);
  }, 600_000);

  it('--help lists the GPU flags and the devices command', () => {
    const r = cli(['--help']);
    expect(r.stdout).toMatch(/flashworld devices/);
    expect(r.stdout).toMatch(/--device N +CUDA GPU to run on/);
    expect(r.stdout).toMatch(/--memory-mode MODE/);
  });

  it('--device 0 without a usable GPU warns and runs on the CPU (test model)', () => {
    const r = cli(['generate', join(repoRoot, 'examples', 'text_orbit.json'), '--out', out, '--device', '0', '--model', 'test', '--resolution', '4x64x96', '--seed', '1', '--cache', join(home, 'graphs')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/loading model test \(cuda, GPU 0\)…/);
    expect(r.stderr).toMatch(/\nwarning: Running on the CPU \(much slower\): /);
    expect(r.stdout).toMatch(/^text_orbit: \d+ splats /);
  }, 600_000);
});
