/**
 * The Model panel in headless Chromium against serve mode and the real engine (test model), on a
 * machine without an NVIDIA GPU: settings saved by an earlier session ask for CUDA, so the engine
 * falls back to the CPU and the banner says why; the panel lists no GPU and says why; switching
 * the device to the CPU and the memory mode restarts the engine (new pid), which comes back ready
 * with the test model and no warning; the settings file holds the choice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, rendererBuilt, startServe, type ServeHandle } from './serveHarness';

let serve: ServeHandle;
let browser: Browser;
let page: Page;
/** The engine loads the test model on a CPU shared with SwiftShader: poll patiently. */
const POLL = { timeout: 60_000 };

const SHOTS = process.env.E2E_SCREENSHOTS_DIR ?? null;

const banner = (p: Page) => p.locator('[data-testid=engine-banner]');
const shot = async (p: Page, name: string) => SHOTS && (await p.screenshot({ path: join(SHOTS, name) }));

describe.skipIf(!rendererBuilt())('model panel end to end (serve mode, real engine, headless Chromium)', () => {
  beforeAll(async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fw-e2e-model-'));
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ model: 'test', provider: 'cuda', deviceId: 0, memoryMode: 'auto' }));
    serve = await startServe(dataDir);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (e) => console.log('page error:', e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('shows the CPU fallback, lists no GPU with the reason, and restarts the engine with new device and memory mode settings', async () => {
    await page.goto(serve.url);
    await page.locator('[data-testid=start-screen] [data-testid=example]').first().click();

    // CUDA was asked for; this machine can't run it: the engine runs on the CPU and says why.
    await expect.poll(() => banner(page).getAttribute('data-state'), POLL).toBe('ready');
    expect(await page.textContent('[data-testid=engine-state]')).toMatch(/Test model \(random weights\) · CPU/);
    const warning = page.locator('[data-testid=engine-warning]');
    await expect.poll(() => warning.count(), POLL).toBe(1);
    expect(await warning.textContent()).toMatch(/Running on the CPU/);
    const firstPid = await banner(page).getAttribute('data-pid');
    expect(Number(firstPid)).toBeGreaterThan(0);

    // The banner opens the panel; no nvidia-smi here, so no GPU, with the sentence that says why.
    await page.click('[data-testid=engine-banner-model]');
    await page.waitForSelector('[data-testid=model-panel] [data-testid=device-settings]');
    expect(await page.textContent('[data-testid=gpu-problem]')).toMatch(/nvidia-smi|NVIDIA driver/);
    expect(await page.textContent('[data-testid=hub-status]')).toBe('not downloaded');
    expect(await page.locator('[data-testid=model-choice][data-model=test]').textContent()).toMatch(/random weights/);
    // The saved device (GPU 0) is not in the list: only the CPU is offered besides it.
    const device = page.locator('[data-testid=device]');
    expect(await device.inputValue()).toBe('gpu-0');
    expect(await device.locator('option').allTextContents()).toEqual([expect.stringMatching(/^CPU/), 'GPU 0 (not found now)']);
    expect(await page.locator('[data-testid=memory-mode]').count()).toBe(5);
    await shot(page, 'model-panel.png');

    // Nothing changed yet: Apply says so.
    expect(await page.getAttribute('[data-testid=apply-settings]', 'data-disabled-reason')).toBe('Nothing changed.');
    await device.selectOption('cpu');
    await page.locator('[data-testid=memory-mode][data-mode=text-encoder-cpu] input').check();
    await page.click('[data-testid=apply-settings]');

    // A new engine process comes up ready with the test model, on the CPU, without the warning.
    await expect.poll(() => banner(page).getAttribute('data-pid'), POLL).not.toBe(firstPid);
    await expect.poll(() => banner(page).getAttribute('data-state'), POLL).toBe('ready');
    expect(await page.textContent('[data-testid=engine-state]')).toMatch(/Test model \(random weights\) · CPU/);
    expect(await page.locator('[data-testid=engine-warning]').count()).toBe(0);
    expect(await page.textContent('[data-testid=engine-state]')).not.toMatch(/restarted/);
    expect(JSON.parse(readFileSync(join(serve.dataDir, 'settings.json'), 'utf8'))).toEqual({ model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'text-encoder-cpu' });
    expect(await page.getAttribute('[data-testid=apply-settings]', 'data-disabled-reason')).toBe('Nothing changed.');
    expect(await page.locator('[data-testid=memory-mode][data-mode=text-encoder-cpu] input').isChecked()).toBe(true);

    // The prompt panel's "not downloaded" hint opens the panel too.
    await page.click('[data-testid=model-panel-close]');
    expect(await page.locator('[data-testid=model-panel]').count()).toBe(0);
    await page.click('[data-testid=model-unavailable-open]');
    await page.waitForSelector('[data-testid=model-panel] [data-testid=model-files]');
    expect(await page.getAttribute('[data-testid=model-download]', 'data-disabled-reason')).toBeNull();
  });
});
