/**
 * The real UI in headless Chromium against serve mode and the real engine (test model):
 * import a request → cameras appear → two jobs → progress advances → cancel one → the other's
 * splats render → export PLY, SPZ, MP4 and the request → open PLY/SPZ from disk → save, reload, reopen → all back. Then the engine is
 * killed mid-job: the UI reports it, the engine returns, the next job runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { decodePly } from '../../src/engine/splat/ply';
import { decodeSpz } from '../../src/engine/splat/spz';
import { launchChromium, REPO, rendererBuilt, startServe, type ServeHandle } from './serveHarness';

const BACKGROUND = [0x1b, 0x1d, 0x22];
const SHOTS = process.env.E2E_SCREENSHOTS_DIR ?? null;

let serve: ServeHandle;
let browser: Browser;
let page: Page;
const cspViolations: string[] = [];
/** UI updates wait on a CPU shared with SwiftShader and the engine: poll patiently. */
const POLL = { timeout: 30_000 };

/** Pixels of the viewer canvas that differ clearly from the background colour. */
async function foregroundPixels(p: Page): Promise<{ count: number; total: number }> {
  const png = PNG.sync.read(await p.locator('[data-testid=viewer] canvas').screenshot());
  let count = 0;
  for (let i = 0; i < png.width * png.height; i++) {
    const d = Math.abs(png.data[i * 4] - BACKGROUND[0]) + Math.abs(png.data[i * 4 + 1] - BACKGROUND[1]) + Math.abs(png.data[i * 4 + 2] - BACKGROUND[2]);
    if (d > 30) count++;
  }
  return { count, total: png.width * png.height };
}

async function chooseFile(p: Page, button: string, path: string): Promise<void> {
  const [chooser] = await Promise.all([p.waitForEvent('filechooser'), p.click(button)]);
  await chooser.setFiles(path);
}

const jobs = (p: Page) => p.locator('[data-testid=job]');
const shot = async (p: Page, name: string) => SHOTS && (await p.screenshot({ path: join(SHOTS, name) }));

describe.skipIf(!rendererBuilt())('studio end to end (serve mode, real engine, headless Chromium)', () => {
  beforeAll(async () => {
    serve = await startServe();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.log('page error:', e.message));
    page.on('console', (m) => {
      if (m.text().includes('Content Security Policy')) cspViolations.push(m.text());
      if (m.type() === 'error') console.log('page console error:', m.text());
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('import → generate two → cancel one → splats render → export → save, reload, reopen', async () => {
    await page.goto(serve.url);
    await page.waitForSelector('[data-testid=start-screen] [data-testid=example]');
    await shot(page, 'start-screen.png');

    // Import upstream's request JSON: the trajectory's cameras appear.
    await chooseFile(page, 'text=Import request JSON…', join(REPO, 'examples/harbor_dusk.json'));
    await expect.poll(() => page.textContent('[data-testid=camera-count]'), POLL).toBe('5 cameras');
    expect(await page.textContent('[data-testid=trajectory-summary]')).toContain('5 cameras, resampled to 4 frames');
    const framesBefore = await foregroundPixels(page);
    expect(framesBefore.count).toBeGreaterThan(50); // the camera frusta are drawn
    // The JSON names its image by path; the browser asks for it.
    await chooseFile(page, 'text=Choose image…', join(REPO, 'examples/harbor.png'));
    await page.waitForSelector('[data-testid=crop-frame]');

    // Record every overall-progress value the first job's bar shows.
    await page.evaluate(() => {
      const w = window as unknown as { __fractions: number[] };
      w.__fractions = [];
      new MutationObserver(() => {
        // The first row stays the first job; its bar exists only while it runs.
        const bar = document.querySelector('[data-testid=job]')?.querySelector('[data-testid=progress-overall]');
        const f = bar ? Number(bar.getAttribute('data-fraction')) : NaN;
        if (!Number.isNaN(f) && f !== w.__fractions.at(-1)) w.__fractions.push(f);
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-fraction'] });
    });

    // Two jobs, different seeds.
    await page.fill('[data-testid=seed]', '11');
    await page.click('[data-testid=generate]');
    await page.fill('[data-testid=seed]', '12');
    await page.click('[data-testid=generate]');
    await expect.poll(() => jobs(page).count(), POLL).toBe(2);

    // Progress bars advance on the running job (recorded in the page as the DOM changes).
    const first = jobs(page).nth(0);
    await expect.poll(() => first.getAttribute('data-status'), POLL).not.toBe('queued');
    await expect.poll(() => page.evaluate(() => (window as unknown as { __fractions: number[] }).__fractions.length), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
    const fractions = await page.evaluate(() => (window as unknown as { __fractions: number[] }).__fractions);
    expect(Math.max(...fractions)).toBeGreaterThan(Math.min(...fractions));
    // Never backwards.
    expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
    await shot(page, 'queue-progress.png');

    // Cancel the second job (still queued or running); the first finishes.
    const second = jobs(page).nth(1);
    await second.locator('[data-testid=cancel]').click();
    await expect.poll(() => second.getAttribute('data-status'), { timeout: 30_000 }).toBe('cancelled');
    await expect.poll(() => first.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');

    // Its splats show in the viewer.
    await first.click();
    await expect.poll(() => page.textContent('[data-testid=splat-count]'), { timeout: 30_000 }).toMatch(/^[\d,]+ splats$/);
    const shown = Number((await page.textContent('[data-testid=splat-count]'))!.replace(/\D/g, ''));
    expect(shown).toBeGreaterThan(0);
    await page.waitForTimeout(1500);
    const withSplats = await foregroundPixels(page);
    expect(withSplats.count - framesBefore.count).toBeGreaterThan(withSplats.total * 0.02);
    await shot(page, 'result-viewer.png');

    // Export PLY and SPZ (downloads in serve mode) and read them back.
    for (const format of ['ply', 'spz'] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid=export-${format}]`)]);
      const bytes = new Uint8Array(readFileSync((await download.path())!));
      const set = format === 'ply' ? decodePly(bytes) : decodeSpz(bytes);
      expect(download.suggestedFilename().endsWith(`.${format}`)).toBe(true);
      expect(set.count).toBe(shown);
      // Any PLY/SPZ from disk opens in the viewer too.
      const file = join(serve.dataDir, `opened.${format}`);
      await download.saveAs(file);
      await chooseFile(page, '[data-testid=open-splat]', file);
      await expect.poll(() => page.textContent('[data-testid=viewer-source]'), POLL).toBe(`opened.${format}`);
      await expect.poll(() => page.textContent('[data-testid=splat-count]'), { timeout: 30_000 }).toBe(`${shown.toLocaleString('en-US')} splats`);
    }
    // MP4 along the trajectory, rendered by the engine that made the scene.
    await first.click();
    const [video] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click('[data-testid=export-mp4]')]);
    const mp4 = readFileSync((await video.path())!);
    expect(mp4.subarray(4, 8).toString('latin1')).toBe('ftyp');
    expect(mp4.byteLength).toBeGreaterThan(1000);
    // Drag and drop a PLY onto the window.
    const plyBase64 = readFileSync(join(serve.dataDir, 'opened.ply')).toString('base64');
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'dropped.ply'));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, cancelable: true }));
    }, plyBase64);
    await expect.poll(() => page.textContent('[data-testid=viewer-source]'), POLL).toBe('dropped.ply');
    await expect.poll(() => page.textContent('[data-testid=splat-count]'), POLL).toBe(`${shown.toLocaleString('en-US')} splats`);

    // Fly controls: holding W moves the camera forward (-Z for the first camera); Reset view brings it back.
    const position = async () => (await page.textContent('[data-testid=camera-position]'))!.split(', ').map(Number);
    await expect.poll(() => page.textContent('[data-testid=camera-position]'), POLL).toBe('0.00, 0.00, 0.00');
    await page.locator('[data-testid=viewer] canvas').click({ position: { x: 5, y: 300 } });
    // Held until the camera has moved: under load a frame can take longer than a key press.
    await page.keyboard.down('w');
    await expect.poll(async () => (await position())[2], POLL).toBeLessThan(-0.01);
    await page.keyboard.up('w');
    await page.click('text=Reset view');
    await expect.poll(() => page.textContent('[data-testid=camera-position]'), POLL).toBe('0.00, 0.00, 0.00');
    // Typing in the prompt does not fly the camera.
    await page.fill('[data-testid=text-prompt]', 'A quiet harbor town at dusk');
    await page.focus('[data-testid=text-prompt]');
    await page.keyboard.press('End');
    await page.keyboard.down('w');
    await page.waitForTimeout(1500);
    await page.keyboard.up('w');
    await page.waitForTimeout(1000);
    expect(await page.textContent('[data-testid=camera-position]')).toBe('0.00, 0.00, 0.00');
    await page.fill('[data-testid=text-prompt]', 'A quiet harbor town at dusk');

    // Upstream's request JSON out: what was imported, with the image inlined.
    const [requestDownload] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-request]')]);
    const exported = JSON.parse(readFileSync((await requestDownload.path())!, 'utf8'));
    expect(exported.cameras).toHaveLength(5);
    expect(exported.resolution).toEqual([4, 64, 96]);
    expect(exported.image_prompt).toMatch(/^data:image\/png;base64,/);

    // Save, reload the page, reopen from the recent list.
    await page.fill('[data-testid=project-name]', 'E2E harbor');
    await page.click('[data-testid=save-project]');
    await page.waitForSelector('[data-testid=notice-info] >> text=Project saved');
    await page.reload();
    await page.click('[data-testid=recent] >> text=E2E harbor');
    await expect.poll(() => jobs(page).count(), POLL).toBe(2);
    expect(await jobs(page).evaluateAll((els) => els.map((e) => e.getAttribute('data-status')))).toEqual(['done', 'cancelled']);
    expect(await page.inputValue('[data-testid=project-name]')).toBe('E2E harbor');
    expect(await page.inputValue('[data-testid=text-prompt]')).toBe('A quiet harbor town at dusk');
    expect(await page.textContent('[data-testid=camera-count]')).toBe('5 cameras');
    await page.waitForSelector('[data-testid=crop-frame]');
    await expect.poll(() => page.textContent('[data-testid=splat-count]'), { timeout: 30_000 }).toBe(`${shown.toLocaleString('en-US')} splats`);
    // Spark ran (WebAssembly, blob workers) under the studio's CSP without tripping it.
    expect(cspViolations).toEqual([]);
  }, 300_000);

  it('killing the engine mid-job: the UI reports it, the engine comes back, the next job runs', async () => {
    const before = await jobs(page).count();
    await page.fill('[data-testid=seed]', '21');
    await page.click('[data-testid=generate]');
    await page.fill('[data-testid=seed]', '22');
    await page.click('[data-testid=generate]');
    const victim = jobs(page).nth(before);
    const next = jobs(page).nth(before + 1);
    await expect.poll(() => victim.getAttribute('data-status'), { timeout: 60_000 }).toBe('running');
    const pid = Number(await page.getAttribute('[data-testid=engine-banner]', 'data-pid'));
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await expect.poll(() => victim.getAttribute('data-status'), { timeout: 30_000 }).toBe('failed');
    expect(await victim.locator('[data-testid=job-error]').textContent()).toMatch(/engine process was killed \(SIGKILL\)/);
    expect(await page.textContent('[data-testid=engine-crash]')).toMatch(/SIGKILL/);
    await shot(page, 'engine-crash.png');
    await expect.poll(() => next.getAttribute('data-status'), { timeout: 120_000 }).toBe('done');
    expect(await page.textContent('[data-testid=engine-state]')).toMatch(/restarted 1×/);
    const newPid = Number(await page.getAttribute('[data-testid=engine-banner]', 'data-pid'));
    expect(newPid).not.toBe(pid);
  }, 300_000);
});
