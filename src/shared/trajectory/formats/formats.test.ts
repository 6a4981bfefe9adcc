import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resampleCameras } from '../../camera/resample';
import { requestCamerasToPacked } from '../../camera/types';
import { StudioError } from '../../errors';
import { validateGenerationRequest } from '../../request/generationRequest';
import { createKeyframe, createTrajectory, type Trajectory } from '../document';
import { quatAngleBetween, quatFromYawPitchRoll } from '../rotation';
import { sampleGenerationCameras, samplePoses } from '../sampling';
import { curvyTrajectory } from '../testPaths';
import { detectTrajectoryFormat, importTrajectoryFile } from './detect';
import { parseNerfstudioCameraPath, poseToMatrix4, toNerfstudioCameraPath } from './nerfstudioCameraPath';
import { parsePosesCsv, toPosesCsv } from './posesCsv';
import {
  parseUpstreamAllInOneJson, parseUpstreamTrajectoryJson, toUpstreamAllInOneJson, toUpstreamTrajectoryJson,
} from './upstreamJson';

const TOL = 1e-6;

/** Same keyframe poses (and times unless told otherwise) within 1e-6. */
function expectSamePoses(a: Trajectory, b: Trajectory, { times = true } = {}): void {
  expect(b.keyframes).toHaveLength(a.keyframes.length);
  a.keyframes.forEach((k, i) => {
    const o = b.keyframes[i];
    k.position.forEach((v, c) => expect(Math.abs(o.position[c] - v)).toBeLessThan(TOL));
    k.quaternionWXYZ.forEach((v, c) => expect(Math.abs(o.quaternionWXYZ[c] - v)).toBeLessThan(TOL));
    expect(Math.abs(o.fovYDeg - k.fovYDeg)).toBeLessThan(TOL);
    if (times) expect(Math.abs(o.timeSec - k.timeSec)).toBeLessThan(TOL);
  });
}

/** Keys one second apart (what upstream files imply) on a curvy path. */
function evenlyTimed(): Trajectory {
  const t = curvyTrajectory();
  return { ...t, keyframes: t.keyframes.map((k, i) => ({ ...k, timeSec: i })), durationSec: 4 };
}

describe('upstream trajectory JSON', () => {
  it('round-trips keyframe poses through text', () => {
    const t = evenlyTimed();
    const text = JSON.stringify(toUpstreamTrajectoryJson(t));
    const back = parseUpstreamTrajectoryJson(text, { widthPx: t.imageWidthPx, heightPx: t.imageHeightPx });
    expectSamePoses(t, back);
    expect(back.interpolation.position).toBe('linear');
  });

  it('writes pixel intrinsics and reads a file with only positions and quaternions (upstream saves those)', () => {
    const json = toUpstreamTrajectoryJson(evenlyTimed());
    expect(json.cameras[0].cx).toBe(352);
    const bare = { cameras: json.cameras.map((c) => ({ position: c.position, quaternion: c.quaternion })) };
    const back = parseUpstreamTrajectoryJson(bare, { defaultFovYDeg: 50 });
    expect(back.keyframes.map((k) => k.fovYDeg)).toEqual([50, 50, 50, 50, 50]);
  });

  it('exports the sampled generation cameras on request', () => {
    expect(toUpstreamTrajectoryJson(curvyTrajectory(), { cameras: 'sampled', nFrame: 24 }).cameras).toHaveLength(24);
  });

  it('says what is wrong with a file that is not one', () => {
    expect(() => parseUpstreamTrajectoryJson('{"cameras": [{"position": [0, 0]}]}')).toThrow(/cameras\.0\.position/);
    expect(() => parseUpstreamTrajectoryJson('{nope')).toThrow(StudioError);
  });
});

describe('upstream all-in-one JSON', () => {
  it('round-trips keys, prompts, image index and resolution', () => {
    const t = evenlyTimed();
    const json = toUpstreamAllInOneJson(t, { nFrame: 16, textPrompt: 'a harbor', imageIndex: 3, cameras: 'keyframes' });
    const back = parseUpstreamAllInOneJson(JSON.stringify(json));
    expectSamePoses(t, back.trajectory);
    expect(back).toMatchObject({ textPrompt: 'a harbor', imageIndex: 3, nFrame: 16, imagePrompt: null });
    expect([back.trajectory.imageWidthPx, back.trajectory.imageHeightPx]).toEqual([704, 480]);
  });

  it('carries exactly n_frame sampled cameras by default, a valid upstream request', () => {
    const json = toUpstreamAllInOneJson(curvyTrajectory(), { nFrame: 24, textPrompt: 'x' });
    expect(json.cameras).toHaveLength(24);
    expect(validateGenerationRequest(json).cameras).toHaveLength(24);
  });

  it("reads our example request and samples the same cameras as upstream's resampling", () => {
    const text = readFileSync(new URL('../../../../examples/text_orbit.json', import.meta.url), 'utf8');
    const file = JSON.parse(text);
    const { trajectory, nFrame } = parseUpstreamAllInOneJson(text);
    expect(trajectory.keyframes).toHaveLength(file.cameras.length);
    const ours = sampleGenerationCameras(trajectory, nFrame);
    const upstream = resampleCameras(requestCamerasToPacked(file.cameras, 704, 480), nFrame);
    ours.forEach((c, i) => {
      c.position.forEach((v, a) => expect(v).toBeCloseTo(upstream[i * 11 + 4 + a], 5));
      expect(quatAngleBetween(c.quaternion, [upstream[i * 11], upstream[i * 11 + 1], upstream[i * 11 + 2], upstream[i * 11 + 3]])).toBeLessThan(1e-5);
      expect(c.fy).toBeCloseTo(file.cameras[0].fy, 9);
    });
  });
});

describe('nerfstudio camera_path.json', () => {
  it('round-trips keyframes, their times, loop and tension through text', () => {
    const t = curvyTrajectory({ position: 'kochanekBartels', tension: 0.35 }, { loop: true, durationSec: 5.5 });
    const json = toNerfstudioCameraPath(t, { fps: 24 });
    const back = parseNerfstudioCameraPath(JSON.stringify(json));
    expectSamePoses(t, back);
    expect(back.loop).toBe(true);
    expect(back.durationSec).toBeCloseTo(5.5, 12);
    expect(back.interpolation).toMatchObject({ position: 'kochanekBartels', tension: 0.35 });
    expect([back.imageWidthPx, back.imageHeightPx]).toEqual([704, 480]);
  });

  it('renders the path at fps·seconds cameras, OpenGL c2w row-major with vertical FOV', () => {
    const t = curvyTrajectory();
    const json = toNerfstudioCameraPath(t, { fps: 10 });
    expect(json.camera_path).toHaveLength(41);
    expect(json.seconds).toBeCloseTo(4.1, 12);
    const poses = samplePoses(t, 41);
    json.camera_path.forEach((c, i) => {
      expect(c.camera_to_world).toEqual(poseToMatrix4(poses[i]));
      expect(c.fov).toBe(poses[i].fovYDeg);
    });
    // the camera looks down -Z: for a yaw of 90° (looking at -X) the third column is +X
    const m = poseToMatrix4({ position: [1, 2, 3], quaternionWXYZ: quatFromYawPitchRoll({ yawDeg: 90, pitchDeg: 0, rollDeg: 0 }), fovYDeg: 50 });
    [m[2], m[6], m[10]].forEach((v, i) => expect(v).toBeCloseTo([1, 0, 0][i], 12));
    expect([m[3], m[7], m[11], m[15]]).toEqual([1, 2, 3, 1]);
  });

  it('round-trips the rendered camera_path as linearly interpolated keys', () => {
    const t = curvyTrajectory();
    const json = toNerfstudioCameraPath(t, { fps: 5 });
    const back = parseNerfstudioCameraPath(json, { source: 'cameraPath' });
    const frames = samplePoses(t, json.camera_path.length);
    expectSamePoses(createTrajectory({ keyframes: frames.map((p, i) => createKeyframe(p, (i * 4.1) / (frames.length - 1), `f${i}`)) }), back);
  });

  it("reads a file as nerfstudio's viewer writes it (default transition, no overrides)", () => {
    const m = poseToMatrix4({ position: [0, 0, 0], quaternionWXYZ: [1, 0, 0, 0], fovYDeg: 75 });
    const m2 = poseToMatrix4({ position: [1, 0, 0], quaternionWXYZ: [1, 0, 0, 0], fovYDeg: 75 });
    const file = {
      default_fov: 75, default_transition_sec: 2, camera_type: 'perspective', render_height: 1080, render_width: 1920, fps: 30, seconds: 4,
      is_cycle: false, smoothness_value: 0.5, camera_path: [],
      keyframes: [m, m2, m].map((matrix) => ({ matrix, fov: 75, aspect: 16 / 9, override_transition_enabled: false, override_transition_sec: null })),
    };
    const t = parseNerfstudioCameraPath(file);
    expect(t.keyframes.map((k) => k.timeSec)).toEqual([0, 2, 4]);
    expect(t.keyframes[1].position).toEqual([1, 0, 0]);
  });

  it('refuses a scaled matrix instead of guessing', () => {
    const m = poseToMatrix4({ position: [0, 0, 0], quaternionWXYZ: [1, 0, 0, 0], fovYDeg: 60 }).map((v, i) => (i === 0 ? 2 : v));
    const file = { render_height: 480, render_width: 704, camera_path: [{ camera_to_world: m, fov: 60 }] };
    expect(() => parseNerfstudioCameraPath(file)).toThrow(/scaled or skewed/);
  });
});

describe('poses CSV', () => {
  it('round-trips exactly (shortest round-trip numbers)', () => {
    const t = curvyTrajectory();
    const back = parsePosesCsv(toPosesCsv(t));
    expect(back.keyframes.map(({ id: _id, ...k }) => k)).toEqual(t.keyframes.map(({ id: _id, ...k }) => k));
  });

  it('finds columns by name, fills missing time and FOV, and names the bad cell', () => {
    const t = parsePosesCsv('# exported by hand\nqw,qx,qy,qz,x,y,z\n1,0,0,0,0,0,0\n\n1,0,0,0,0,0,-1\n', { keySpacingSec: 0.5 });
    expect(t.keyframes.map((k) => [k.timeSec, k.position[2], k.fovYDeg])).toEqual([[0, 0, 60], [0.5, -1, 60]]);
    expect(() => parsePosesCsv('x,y,z,qw,qx,qy,qz\n0,0,zero,1,0,0,0')).toThrow(/line 2, column z: "zero"/);
    expect(() => parsePosesCsv('x,y,z\n0,0,0')).toThrow(/no column qw, qx, qy, qz/);
  });
});

describe('format detection', () => {
  it('tells every format apart by content and imports it', () => {
    const t = evenlyTimed();
    const files: Array<[string, string]> = [
      [JSON.stringify(t), 'studio-trajectory'],
      [JSON.stringify(toUpstreamTrajectoryJson(t)), 'upstream-trajectory'],
      [JSON.stringify(toUpstreamAllInOneJson(t, { nFrame: 24, textPrompt: 'p', cameras: 'keyframes' })), 'upstream-all-in-one'],
      [JSON.stringify(toNerfstudioCameraPath(t)), 'nerfstudio-camera-path'],
      [toPosesCsv(t), 'poses-csv'],
    ];
    for (const [text, format] of files) {
      expect(detectTrajectoryFormat(text)).toBe(format);
      const imported = importTrajectoryFile(text);
      expect(imported.format).toBe(format);
      expectSamePoses(t, imported.trajectory); // every format keeps the poses and times of evenly timed keys
    }
    expect(importTrajectoryFile(files[2][0]).request?.textPrompt).toBe('p');
    expect(() => detectTrajectoryFormat('{"hello": 1}')).toThrow(/not a camera path we know/);
  });
});
