/**
 * From the continuous path to discrete cameras: poses at timeline times, evenly timed samples, and
 * the generation cameras (the path sampled at exactly n_frame points, in upstream's request camera
 * format with pixel intrinsics).
 */
import { StudioError } from '../errors';
import type { RequestCamera } from '../camera/types';
import { UPSTREAM_PRINCIPAL_POINT_FRACTION } from './constants';
import type { CameraPose, Trajectory } from './document';
import { buildPathModel, type PathModel } from './pathModel';
import { degToRad, quatCanonical, radToDeg } from './rotation';

/** Focal length in pixels of a vertical FOV over an image `heightPx` tall: 0.5·H / tan(fov/2). */
export function fovYDegToFocalPx(fovYDeg: number, heightPx: number): number {
  return (0.5 * heightPx) / Math.tan(degToRad(fovYDeg) / 2);
}

/** Vertical FOV of a focal length: 2·atan(0.5·H / f). */
export function focalPxToFovYDeg(focalPx: number, heightPx: number): number {
  return radToDeg(2 * Math.atan((0.5 * heightPx) / focalPx));
}

/** A pose as upstream's request camera: square pixels (fx = fy from the vertical FOV), centred principal point. */
export function poseToRequestCamera(pose: CameraPose, widthPx: number, heightPx: number): RequestCamera {
  const f = fovYDegToFocalPx(pose.fovYDeg, heightPx);
  return {
    quaternion: [...pose.quaternionWXYZ],
    position: [...pose.position],
    fx: f,
    fy: f,
    cx: UPSTREAM_PRINCIPAL_POINT_FRACTION * widthPx,
    cy: UPSTREAM_PRINCIPAL_POINT_FRACTION * heightPx,
  };
}

/**
 * A request camera as a pose. The FOV comes from fy, as upstream's demo reads it; fx, cx and cy
 * are not kept (the studio authors square pixels and a centred principal point).
 */
export function requestCameraToPose(camera: RequestCamera, heightPx: number): CameraPose {
  if (!(camera.fy > 0)) {
    throw new StudioError('INVALID_REQUEST', `A camera has focal length fy = ${camera.fy}; it must be a positive number of pixels.`);
  }
  return {
    position: [...camera.position],
    quaternionWXYZ: quatCanonical(camera.quaternion),
    fovYDeg: focalPxToFovYDeg(camera.fy, heightPx),
  };
}

function modelOf(source: Trajectory | PathModel): PathModel {
  return 'poseAtTime' in source ? source : buildPathModel(source);
}

/** The pose on the path at a timeline time (clamped to the path; wrapped when it loops). */
export function evaluateTrajectory(source: Trajectory | PathModel, timeSec: number): CameraPose {
  return modelOf(source).poseAtTime(timeSec);
}

/**
 * `count` evenly spaced times over the path: first key to last key inclusive; with loop, one full
 * period without repeating the start at the end (the closing camera would duplicate the first).
 */
export function sampleTimes(source: Trajectory | PathModel, count: number): number[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new StudioError('INVALID_REQUEST', `Asked for ${count} samples of the path; ask for a whole number of at least 1.`);
  }
  const model = modelOf(source);
  const { startSec, endSec } = model;
  const loop = model.trajectory.loop && model.segmentCount > 1;
  if (count === 1) return [startSec];
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    times.push(loop ? startSec + ((endSec - startSec) * i) / count : startSec + ((endSec - startSec) * i) / (count - 1));
  }
  if (!loop) times[count - 1] = endSec;
  return times;
}

export function samplePoses(source: Trajectory | PathModel, count: number): CameraPose[] {
  const model = modelOf(source);
  return sampleTimes(model, count).map((t) => model.poseAtTime(t));
}

/**
 * The cameras a generation request carries: the path at exactly `nFrame` evenly timed points, with
 * pixel intrinsics for the document's image size. Because the count equals n_frame, the engine
 * does not resample them (upstream resamples linearly only when the counts differ).
 */
export function sampleGenerationCameras(source: Trajectory | PathModel, nFrame: number): RequestCamera[] {
  const model = modelOf(source);
  const { imageWidthPx, imageHeightPx } = model.trajectory;
  const cameras = samplePoses(model, nFrame).map((p) => poseToRequestCamera(p, imageWidthPx, imageHeightPx));
  if (cameras.length !== nFrame) throw new StudioError('INTERNAL', `Sampling gave ${cameras.length} cameras for ${nFrame} frames.`);
  return cameras;
}
