/**
 * The camera path editor in headless Chromium against serve mode and the real engine (test model):
 * record 3 keys with Space while flying → drag a key on the timeline → undo/redo → orbit 360
 * template → scrub with look-through (the view camera is the path pose) → export nerfstudio
 * camera_path.json, clear, re-import (same keys) → generate: the job's request carries exactly the
 * path sampled at n_frame points.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { evaluateTrajectory, parseTrajectory, quatAngleBetween, sampleGenerationCameras, type CameraPose, type Trajectory } from '../../src/shared/trajectory';
import { launchChromium, rendererBuilt, startServe, type ServeHandle } from './serveHarness';

let serve: ServeHandle;
let browser: Browser;
let page: Page;
const POLL = { timeout: 30_000 };

const keyRows = (p: Page) => p.locator('[data-testid=keyframe]');
const keyCount = (p: Page) => keyRows(p).count();
const keyTimes = (p: Page) => keyRows(p).evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-time'))));
const keyPoses = (p: Page) => keyRows(p).evaluateAll((els) => els.map((e) => JSON.parse(e.getAttribute('data-pose')!) as CameraPose));
const viewPose = async (p: Page) => JSON.parse((await p.getAttribute('[data-testid=view-pose]', 'data-pose'))!) as CameraPose;
const position = async (p: Page) => (await p.textContent('[data-testid=camera-position]'))!.split(', ').map(Number);

/** Clicking the canvas takes focus away from inputs, so shortcuts act (and no drag happens). */
const focusViewer = (p: Page) => p.locator('[data-testid=viewer] canvas').click({ position: { x: 5, y: 200 } });

/** Holds `key` until `moved`, then waits for the view to come to rest (its pose readout lags a few frames). */
async function holdUntil(p: Page, key: string, moved: () => Promise<boolean>): Promise<void> {
  await p.keyboard.down(key);
  await expect.poll(moved, POLL).toBe(true);
  await p.keyboard.up(key);
  let last = '';
  await expect
    .poll(async () => {
      await p.waitForTimeout(300);
      const now = (await p.getAttribute('[data-testid=view-pose]', 'data-pose')) ?? '';
      const still = now === last;
      last = now;
      return still;
    }, POLL)
    .toBe(true);
}

async function download(p: Page, click: () => Promise<void>): Promise<{ text: string; name: string; path: string }> {
  const [d] = await Promise.all([p.waitForEvent('download'), click()]);
  const path = (await d.path())!;
  return { text: readFileSync(path, 'utf8'), name: d.suggestedFilename(), path };
}

async function exportStudioTrajectory(p: Page): Promise<Trajectory> {
  await p.selectOption('[data-testid=export-path-format]', 'studio');
  const { text } = await download(p, () => p.click('[data-testid=export-path]'));
  return parseTrajectory(JSON.parse(text));
}

function expectPoseClose(actual: CameraPose, expected: CameraPose, tol: number): void {
  actual.position.forEach((v, i) => expect(Math.abs(v - expected.position[i])).toBeLessThan(tol));
  expect(quatAngleBetween(actual.quaternionWXYZ, expected.quaternionWXYZ)).toBeLessThan(tol);
  expect(Math.abs(actual.fovYDeg - expected.fovYDeg)).toBeLessThan(tol);
}

describe.skipIf(!rendererBuilt())('camera path editor end to end (serve mode, real engine, headless Chromium)', () => {
  beforeAll(async () => {
    serve = await startServe();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 960 }, acceptDownloads: true });
    page.on('pageerror', (e) => console.log('page error:', e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('record, drag, undo/redo, template, scrub, nerfstudio round trip, generate from the sampled path', async () => {
    await page.goto(serve.url);
    // An example (upstream's request format): its cameras until an authored path takes over.
    await page.click('[data-testid=start-screen] [data-testid=example]');
    await page.waitForSelector('[data-testid=trajectory-panel]');
    await page.selectOption('[data-testid=resolution-preset]', 'custom');
    await page.fill('[data-testid=frames]', '4');
    await page.fill('[data-testid=height]', '64');
    await page.fill('[data-testid=width]', '96');
    await page.fill('[data-testid=text-prompt]', 'a harbor at dusk');
    await page.waitForSelector('[data-testid=view-pose]');

    // 1. Record three keys with Space while flying (W forward, then D right).
    await focusViewer(page);
    await page.keyboard.press('Space');
    await expect.poll(() => keyCount(page), POLL).toBe(1);
    await holdUntil(page, 'w', async () => (await position(page))[2] < -0.3);
    await page.keyboard.press('Space');
    await expect.poll(() => keyCount(page), POLL).toBe(2);
    await holdUntil(page, 'd', async () => (await position(page))[0] > 0.3);
    await page.keyboard.press('Space');
    await expect.poll(() => keyCount(page), POLL).toBe(3);
    const recorded = await keyPoses(page);
    expect(recorded[0].position).toEqual([0, 0, 0]);
    expect(recorded[1].position[2]).toBeLessThan(-0.3);
    expect(recorded[2].position[0]).toBeGreaterThan(0.3);
    // The third key is where the view was when Space was pressed (the view has not moved since).
    expectPoseClose(recorded[2], await viewPose(page), 1e-6);
    expect(await keyTimes(page)).toEqual([0, 1, 2]);
    // Two keys or more drive the generation: the prompt's cameras are the path at 4 points.
    expect(await page.textContent('[data-testid=camera-count]')).toBe('4 cameras');
    expect(await page.textContent('[data-testid=trajectory-summary]')).toContain('4 cameras, resampled to 4 frames');

    // 2. Drag the second key right on the timeline; undo puts it back, redo moves it again.
    const track = (await page.locator('[data-testid=timeline-track]').boundingBox())!;
    const spanSec = Number(await page.getAttribute('[data-testid=timeline-track]', 'data-span-sec'));
    const key2 = (await page.locator('[data-testid=timeline-key]').nth(1).boundingBox())!;
    const dragPx = track.width * (0.4 / spanSec);
    await page.mouse.move(key2.x + key2.width / 2, key2.y + key2.height / 2);
    await page.mouse.down();
    await page.mouse.move(key2.x + key2.width / 2 + dragPx / 2, key2.y + key2.height / 2, { steps: 4 });
    await page.mouse.move(key2.x + key2.width / 2 + dragPx, key2.y + key2.height / 2, { steps: 4 });
    await page.mouse.up();
    await expect.poll(async () => (await keyTimes(page))[1], POLL).toBeGreaterThan(1.3);
    const dragged = (await keyTimes(page))[1];
    expect(dragged).toBeLessThan(1.5);
    await focusViewer(page);
    await page.keyboard.press('Control+KeyZ');
    await expect.poll(async () => (await keyTimes(page))[1], POLL).toBe(1);
    await page.keyboard.press('Control+Shift+KeyZ');
    await expect.poll(async () => (await keyTimes(page))[1], POLL).toBe(dragged);

    // 3. Orbit 360° from the last key: 8 more keys, the last one back at the start of the orbit.
    await page.selectOption('[data-testid=template-kind]', 'Orbit 360°');
    await page.selectOption('[data-testid=template-from]', 'lastKey');
    await page.click('[data-testid=apply-template]');
    await expect.poll(() => keyCount(page), POLL).toBe(11);
    const withOrbit = await keyPoses(page);
    expectPoseClose(withOrbit[10], withOrbit[2], 1e-6);
    expect(Math.hypot(withOrbit[6].position[0] - withOrbit[2].position[0], withOrbit[6].position[2] - withOrbit[2].position[2])).toBeCloseTo(2, 6);

    // 4. Look through and scrub: the viewer camera is the path's pose at the playhead.
    await page.check('[data-testid=look-through]');
    await page.mouse.click(track.x + track.width * 0.37, track.y + track.height / 2);
    const playheadSec = Number(await page.getAttribute('[data-testid=playhead]', 'data-time'));
    expect(playheadSec).toBeGreaterThan(0);
    const doc = await exportStudioTrajectory(page);
    const expected = evaluateTrajectory(doc, playheadSec);
    await expect.poll(async () => {
      const v = await viewPose(page);
      return Math.max(...v.position.map((x, i) => Math.abs(x - expected.position[i])), quatAngleBetween(v.quaternionWXYZ, expected.quaternionWXYZ), Math.abs(v.fovYDeg - expected.fovYDeg));
    }, POLL).toBeLessThan(1e-6);
    await page.check('[data-testid=frame-preview-toggle]');
    const frame = (await page.locator('[data-testid=frame-preview]').boundingBox())!;
    expect(frame.width / frame.height).toBeCloseTo(96 / 64, 1);
    await page.uncheck('[data-testid=look-through]');

    // 5. nerfstudio camera_path.json out; delete every key; import it back: the same keys.
    const before = { times: await keyTimes(page), poses: await keyPoses(page) };
    await page.selectOption('[data-testid=export-path-format]', 'nerfstudio');
    const ns = await download(page, () => page.click('[data-testid=export-path]'));
    expect(ns.name).toMatch(/camera_path\.json$/);
    expect(JSON.parse(ns.text).keyframes).toHaveLength(11);
    await focusViewer(page);
    await page.keyboard.press('Control+KeyA');
    await page.keyboard.press('Delete');
    await expect.poll(() => keyCount(page), POLL).toBe(0);
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.click('[data-testid=import-path]')]);
    await chooser.setFiles(ns.path);
    await expect.poll(() => keyCount(page), POLL).toBe(11);
    const after = { times: await keyTimes(page), poses: await keyPoses(page) };
    after.times.forEach((t, i) => expect(Math.abs(t - before.times[i])).toBeLessThan(1e-6));
    after.poses.forEach((p, i) => expectPoseClose(p, before.poses[i], 1e-6));

    // 6. Generate: the request the engine gets carries exactly the path sampled at n_frame = 4.
    const authored = await exportStudioTrajectory(page);
    const sampled = sampleGenerationCameras(authored, 4);
    await page.click('[data-testid=generate]');
    const job = page.locator('[data-testid=job]').first();
    await expect.poll(() => job.getAttribute('data-status'), { timeout: 60_000 }).not.toBe('queued');
    const request = JSON.parse((await download(page, () => page.click('[data-testid=export-trajectory]'))).text);
    expect(request.resolution).toEqual([4, 64, 96]);
    expect(request.cameras).toHaveLength(4);
    request.cameras.forEach((c: (typeof sampled)[number], i: number) => {
      const s = sampled[i];
      [...c.position, ...c.quaternion, c.fx, c.fy, c.cx, c.cy].forEach((v, j) =>
        expect(Math.abs(v - [...s.position, ...s.quaternion, s.fx, s.fy, s.cx, s.cy][j])).toBeLessThan(1e-9));
    });
  }, 300_000);
  it('insert, reorder, multi-select numeric edit, copy/paste, guard rails, shortcut list', async () => {
    const p = await browser.newPage({ viewport: { width: 1440, height: 960 }, acceptDownloads: true });
    await p.goto(serve.url);
    await p.click('[data-testid=start-screen] [data-testid=example]');
    await p.waitForSelector('[data-testid=view-pose]');
    await p.selectOption('[data-testid=resolution-preset]', 'custom');
    await p.fill('[data-testid=frames]', '24');
    // Pan 180° in two keys from the view: 3 keys at 0°, 90°, 180°; at 24 frames that is ~8° a frame.
    await p.selectOption('[data-testid=template-kind]', 'Pan');
    await p.fill('[data-testid=template-angleDeg]', '180');
    await p.fill('[data-testid=template-count]', '2');
    await p.click('[data-testid=apply-template]');
    await expect.poll(() => keyCount(p), POLL).toBe(3);
    const codes = () => p.locator('[data-testid=guard-rail]').evaluateAll((els) => els.map((e) => e.getAttribute('data-code')));
    await expect.poll(codes, POLL).toEqual([]);
    // At 2 frames each step turns 180°: the guard rail says so (Generate stays enabled).
    await p.fill('[data-testid=frames]', '2');
    await expect.poll(codes, POLL).toContain('STEP_TURNS_TOO_MUCH');
    await p.fill('[data-testid=frames]', '24');

    // Insert halfway between keys 1 and 2: a key at 0.5 s on the path.
    await p.locator('[data-testid=keyframe]').nth(0).locator('[data-testid=insert-after]').click();
    await expect.poll(() => keyTimes(p), POLL).toEqual([0, 0.5, 1, 2]);
    // Reorder: the last pose moves first; the time slots stay.
    const poses = await keyPoses(p);
    await p.locator('[data-testid=keyframe]').nth(3).locator('button[title="Earlier in the order"]').click();
    await expect.poll(async () => (await keyPoses(p))[2].quaternionWXYZ, POLL).toEqual(poses[3].quaternionWXYZ);
    expect(await keyTimes(p)).toEqual([0, 0.5, 1, 2]);

    // Select keys 1 and 2 (Ctrl-click) and set one FOV on both: one undo step.
    await p.locator('[data-testid=keyframe]').nth(0).click();
    await p.locator('[data-testid=keyframe]').nth(1).click({ modifiers: ['Control'] });
    await p.fill('[data-testid=key-fov]', '45');
    await p.press('[data-testid=key-fov]', 'Enter');
    await expect.poll(async () => (await keyPoses(p)).map((k) => k.fovYDeg), POLL).toEqual([45, 45, poses[2].fovYDeg, poses[3].fovYDeg]);
    await p.click('[data-testid=undo]');
    await expect.poll(async () => (await keyPoses(p))[0].fovYDeg, POLL).toBe(poses[0].fovYDeg);

    // Copy the two selected keys and paste them after the last one, spacing kept.
    await focusViewer(p);
    await p.keyboard.press('Control+KeyC');
    await p.keyboard.press('Control+KeyV');
    await expect.poll(() => keyTimes(p), POLL).toEqual([0, 0.5, 1, 2, 3, 3.5]);

    // The path is part of the project: save, reload, reopen → the same keys.
    const saved = await keyPoses(p);
    await p.fill('[data-testid=project-name]', 'E2E path');
    await p.click('[data-testid=save-project]');
    await p.waitForSelector('[data-testid=notice-info] >> text=Project saved');
    await p.reload();
    await p.click('[data-testid=recent] >> text=E2E path');
    await expect.poll(() => keyTimes(p), POLL).toEqual([0, 0.5, 1, 2, 3, 3.5]);
    (await keyPoses(p)).forEach((k, i) => expectPoseClose(k, saved[i], 1e-12));

    // The shortcut list names every shortcut.
    await p.click('[data-testid=shortcuts]');
    const help = await p.textContent('[data-testid=shortcut-help]');
    for (const k of ['Space', 'Ctrl+Z', 'Ctrl+Shift+Z', 'Ctrl+C', 'Ctrl+V', 'Delete']) expect(help).toContain(k);
    await p.close();
  }, 120_000);
});
