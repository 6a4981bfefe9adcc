/**
 * Launches the real Electron app (built main + preload + renderer) under Xvfb and checks the
 * window: the sandboxed renderer got the studio bridge and nothing else, the engine loads, the
 * example gallery shows. The Electron binary can't be downloaded on the build machines
 * (shared/ENVIRONMENT.md); then this test is skipped and says why.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { _electron as electron, type ElectronApplication } from 'playwright-core';
import { REPO, rendererBuilt } from './serveHarness';

function electronBinary(): { path: string | null; reason: string | null } {
  const dir = join(REPO, 'node_modules/electron');
  const pathFile = join(dir, 'path.txt');
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) return { path: join(process.env.ELECTRON_OVERRIDE_DIST_PATH, 'electron'), reason: null };
  if (!existsSync(pathFile)) return { path: null, reason: 'node_modules/electron has no binary (path.txt missing: the download is blocked on this machine)' };
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { path: binary, reason: null } : { path: null, reason: `the Electron binary ${binary} is missing` };
}

const { path: binary, reason } = electronBinary();
const skipReason = reason ?? (rendererBuilt() ? null : 'the app is not built (run `npx electron-vite build` first)');
if (skipReason) console.log(`[electron e2e] skipped: ${skipReason}`);

describe.skipIf(skipReason !== null)('the Electron app under Xvfb', () => {
  let xvfb: ChildProcess | null = null;
  let app: ElectronApplication | null = null;

  afterAll(async () => {
    await app?.close();
    xvfb?.kill();
  });

  it('opens a secure window with the studio bridge, the engine and the example gallery', async () => {
    let display = process.env.DISPLAY;
    if (!display) {
      display = ':97';
      xvfb = spawn('Xvfb', [display, '-screen', '0', '1440x900x24'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 1000));
    }
    app = await electron.launch({ executablePath: binary!, args: [join(REPO, 'out/main/index.js'), '--no-sandbox'], env: { ...process.env, DISPLAY: display } });
    const page = await app.firstWindow();
    await page.waitForSelector('[data-testid=example]', { timeout: 60_000 });
    const globals = await page.evaluate(() => ({
      bridge: typeof (window as unknown as { studioIpc?: unknown }).studioIpc,
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
    }));
    expect(globals).toEqual({ bridge: 'object', require: 'undefined', process: 'undefined' });
    // window.open is denied by main.
    expect(await page.evaluate(() => window.open('https://example.com') === null)).toBe(true);
    await page.click('[data-testid=example]');
    await expect.poll(() => page.textContent('[data-testid=engine-state]'), { timeout: 120_000 }).toMatch(/ready/);
  }, 300_000);
});
