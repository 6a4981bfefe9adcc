/**
 * The keyframe gizmo in headless Chromium against serve mode: record a key, back away from it,
 * select it, G (move), drag the gizmo's X arrow with the mouse (found by projecting the key with
 * the viewer camera) → only the key's x changes, the view does not turn; Ctrl+Z restores it exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as THREE from 'three';
import type { Browser, Page } from 'playwright-core';
import type { CameraPose } from '../../src/shared/trajectory';
import { launchChromium, rendererBuilt, startServe, type ServeHandle } from './serveHarness';

let serve: ServeHandle;
let browser: Browser;
let page: Page;
const POLL = { timeout: 30_000 };

const keyRows = (p: Page) => p.locator('[data-testid=keyframe]');
const keyPoses = (p: Page) => keyRows(p).evaluateAll((els) => els.map((e) => JSON.parse(e.getAttribute('data-pose')!) as CameraPose));
const viewPose = async (p: Page) => JSON.parse((await p.getAttribute('[data-testid=view-pose]', 'data-pose'))!) as CameraPose;

/** A point in the world → CSS pixels on the page, through the viewer camera at `view`. */
function projector(view: CameraPose, canvas: { x: number; y: number; width: number; height: number }) {
  const cam = new THREE.PerspectiveCamera(view.fovYDeg, canvas.width / canvas.height, 0.01, 1000);
  const [w, x, y, z] = view.quaternionWXYZ;
  cam.position.set(...view.position);
  cam.quaternion.set(x, y, z, w);
  cam.updateMatrixWorld();
  return (p: THREE.Vector3) => {
    const ndc = p.clone().project(cam);
    return { x: canvas.x + ((ndc.x + 1) / 2) * canvas.width, y: canvas.y + ((1 - ndc.y) / 2) * canvas.height };
  };
}

describe.skipIf(!rendererBuilt())('keyframe gizmo end to end (serve mode, headless Chromium)', () => {
  beforeAll(async () => {
    serve = await startServe();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 960 } });
    page.on('pageerror', (e) => console.log('page error:', e.message));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
  });

  it('drags the X arrow: only x changes, one undo step restores the key exactly', async () => {
    await page.goto(serve.url);
    await page.click('[data-testid=start-screen] [data-testid=example]');
    await page.waitForSelector('[data-testid=view-pose]');
    const canvasLocator = page.locator('[data-testid=viewer] canvas');
    await canvasLocator.click({ position: { x: 5, y: 200 } });
    await page.keyboard.press('Space');
    await expect.poll(() => keyRows(page).count(), POLL).toBe(1);
    const [key] = await keyPoses(page);

    // Back away (S) so the key is in front of the view, then wait for the view to settle.
    await page.keyboard.down('s');
    await expect.poll(async () => Math.hypot(...(await viewPose(page)).position.map((v, i) => v - key.position[i])), POLL).toBeGreaterThan(1.2);
    await page.keyboard.up('s');
    let view = await viewPose(page);
    await expect.poll(async () => {
      const before = JSON.stringify(view);
      await page.waitForTimeout(400);
      view = await viewPose(page);
      return JSON.stringify(view) === before;
    }, POLL).toBe(true);

    await keyRows(page).nth(0).click();
    await expect.poll(() => keyRows(page).nth(0).getAttribute('class'), POLL).toBe('selected');
    // R then G: the gizmo ends up in move mode.
    await page.keyboard.press('r');
    await page.keyboard.press('g');
    await page.waitForTimeout(300);

    // TransformControls scales its handles to the distance (size 1): the X arrow's pick area spans
    // 0…0.6 handle units along +X; press at 0.4 units.
    const canvas = (await canvasLocator.boundingBox())!;
    const project = projector(view, canvas);
    const keyPos = new THREE.Vector3(...key.position);
    const distance = keyPos.distanceTo(new THREE.Vector3(...view.position));
    const handleScale = (distance * Math.min(1.9 * Math.tan(THREE.MathUtils.degToRad(view.fovYDeg) / 2), 7)) / 4;
    const centre = project(keyPos);
    const onArrow = project(keyPos.clone().add(new THREE.Vector3(0.4 * handleScale, 0, 0)));
    const len = Math.hypot(onArrow.x - centre.x, onArrow.y - centre.y);
    expect(len).toBeGreaterThan(10);
    const dir = { x: (onArrow.x - centre.x) / len, y: (onArrow.y - centre.y) / len };

    await page.mouse.move(onArrow.x, onArrow.y);
    await page.mouse.down();
    for (const px of [20, 40, 60, 80]) await page.mouse.move(onArrow.x + dir.x * px, onArrow.y + dir.y * px, { steps: 2 });
    await page.mouse.up();

    await expect.poll(async () => (await keyPoses(page))[0].position[0], POLL).toBeGreaterThan(key.position[0] + 0.05);
    const moved = (await keyPoses(page))[0];
    expect(moved.position[1]).toBe(key.position[1]);
    expect(moved.position[2]).toBe(key.position[2]);
    expect(moved.quaternionWXYZ).toEqual(key.quaternionWXYZ);
    expect(moved.fovYDeg).toBe(key.fovYDeg);
    // The fly controls stood still while the gizmo was dragged: the view did not turn.
    await page.waitForTimeout(300);
    const after = await viewPose(page);
    after.quaternionWXYZ.forEach((v, i) => expect(Math.abs(v - view.quaternionWXYZ[i])).toBeLessThan(1e-9));

    await page.keyboard.press('Control+KeyZ');
    await expect.poll(async () => (await keyPoses(page))[0], POLL).toEqual(key);
    // One drag was one undo step: the next undo removes the recorded key itself.
    await page.keyboard.press('Control+KeyZ');
    await expect.poll(() => keyRows(page).count(), POLL).toBe(0);
  }, 120_000);
});
