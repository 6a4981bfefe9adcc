/**
 * Starts the real serve mode (engine child process with the test model + built renderer) and a
 * headless Chromium for end-to-end tests. Launch flags: shared/ENVIRONMENT.md (SwiftShader gives
 * WebGL 2, which Spark needs).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const REPO = resolve(import.meta.dirname, '../..');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--headless', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export interface ServeHandle {
  url: string;
  dataDir: string;
  process: ChildProcess;
  log: () => string;
  stop(): Promise<void>;
}

export function rendererBuilt(): boolean {
  return existsSync(join(REPO, 'out/renderer/index.html'));
}

export async function startServe(dataDir = mkdtempSync(join(tmpdir(), 'fw-e2e-'))): Promise<ServeHandle> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src/server/main.ts'), '--data', dataDir, '--port', '0'], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const url = await new Promise<string>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`serve did not start:\n${output}`)), 60_000);
    const check = () => {
      const m = /serving at (\S+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => rej(new Error(`serve exited with ${code}:\n${output}`)));
  });
  return {
    url,
    dataDir,
    process: child,
    log: () => output,
    stop: () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null) return res();
        child.once('exit', () => res());
        child.kill('SIGTERM');
      }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}
