/**
 * Camera-move templates: from a reference pose (the current view or the last keyframe) they make
 * the poses of new keyframes. Upstream's demo offers Move Forward/Backward/Left/Right and Orbit
 * Left/Right 15° (one new camera each; numbers in constants.ts); UPSTREAM_TEMPLATES spells those
 * exactly, and the other kinds extend them (any angle, any count, picked targets, pan, tilt,
 * crane, dolly zoom, spiral, look around).
 *
 * Conventions: angles follow the right-hand rule about the axis, so a positive angle raises the
 * camera's yaw (pan turns left; an orbit about +Y moves the camera to its right while turning it
 * left to keep the target in view; upstream's "Orbit Right" is +15°). A template makes `count`
 * poses evenly spread over the move, ending at its full extent; the reference itself is not
 * repeated. When count is left out it is one pose per 45° of turn (at least one), so a 15° orbit
 * adds one camera as upstream does and a full turn adds eight.
 */
import { StudioError } from '../errors';
import {
  UPSTREAM_MOVE_STEP, UPSTREAM_ORBIT_ANGLE_DEG, UPSTREAM_ORBIT_RADIUS, UPSTREAM_TEMPLATE_COUNT,
} from './constants';
import type { CameraPose } from './document';
import {
  cameraForward, cameraUp, degToRad, lookAtQuat, quatCanonical, quatFromAxisAngle, quatMultiply, radToDeg, rotateVector,
} from './rotation';
import { add3, addScaled3, dot3, length3, scale3, sub3, WORLD_UP, type Vec3 } from './vector';

export type MoveDirection = 'forward' | 'backward' | 'left' | 'right' | 'up' | 'down';
/**
 * 'world': along the world axes, as upstream's Move templates do (`position.z -= stepSize`); in
 * upstream's demo the world frame is always the first camera's, since it starts at the identity
 * and re-expresses loaded paths relative to their first camera. 'camera': along the reference
 * camera's own axes.
 */
export type MoveAxes = 'world' | 'camera';
/** 'camera-up': the reference camera's up axis, as upstream's orbit; 'world-up': +Y, horizon stays level. */
export type OrbitAxis = 'camera-up' | 'world-up';

export type TrajectoryTemplate =
  | { kind: 'move'; direction: MoveDirection; distance?: number; count?: number; axes?: MoveAxes }
  /** around `target`, or (upstream) around the point `radius` in front of the reference */
  | { kind: 'orbit'; angleDeg?: number; count?: number; target?: Vec3; radius?: number; axis?: OrbitAxis }
  /** turn in place about the world's up axis */
  | { kind: 'pan'; angleDeg: number; count?: number }
  /** turn in place about the camera's right axis (positive looks up) */
  | { kind: 'tilt'; angleDeg: number; count?: number }
  /** rise (positive) or sink along the up axis, orientation unchanged */
  | { kind: 'crane'; distance: number; count?: number; axes?: MoveAxes }
  /**
   * move towards (positive) or away from a subject `subjectDistance` ahead (or at `target`) while
   * the FOV changes so the subject keeps its size: tan(fov/2)·distance stays constant
   */
  | { kind: 'dollyZoom'; distance: number; subjectDistance?: number; target?: Vec3; count?: number }
  /** orbit that changes radius (×endRadiusScale at the end) and height (+rise) as it turns */
  | { kind: 'spiral'; angleDeg?: number; count?: number; target?: Vec3; radius?: number; endRadiusScale?: number; rise?: number; axis?: OrbitAxis }
  /** rotation only: look left by angleDeg, up by pitchDeg, right, and back to the start */
  | { kind: 'lookAround'; angleDeg?: number; pitchDeg?: number; count?: number };

export type TemplateKind = TrajectoryTemplate['kind'];

/** Upstream's six templates (index.html `generateCameraTrajectory`), with upstream's names. */
export const UPSTREAM_TEMPLATES: Readonly<Record<string, TrajectoryTemplate>> = {
  'Move Forward': { kind: 'move', direction: 'forward', distance: UPSTREAM_MOVE_STEP, count: UPSTREAM_TEMPLATE_COUNT, axes: 'world' },
  'Move Backward': { kind: 'move', direction: 'backward', distance: UPSTREAM_MOVE_STEP, count: UPSTREAM_TEMPLATE_COUNT, axes: 'world' },
  'Move Left': { kind: 'move', direction: 'left', distance: UPSTREAM_MOVE_STEP, count: UPSTREAM_TEMPLATE_COUNT, axes: 'world' },
  'Move Right': { kind: 'move', direction: 'right', distance: UPSTREAM_MOVE_STEP, count: UPSTREAM_TEMPLATE_COUNT, axes: 'world' },
  'Orbit Left 15°': { kind: 'orbit', angleDeg: -UPSTREAM_ORBIT_ANGLE_DEG, radius: UPSTREAM_ORBIT_RADIUS, axis: 'camera-up', count: UPSTREAM_TEMPLATE_COUNT },
  'Orbit Right 15°': { kind: 'orbit', angleDeg: UPSTREAM_ORBIT_ANGLE_DEG, radius: UPSTREAM_ORBIT_RADIUS, axis: 'camera-up', count: UPSTREAM_TEMPLATE_COUNT },
};

const MAX_TEMPLATE_COUNT = 360;
const DEG_PER_DEFAULT_KEY = 45;

function invalid(message: string): StudioError {
  return new StudioError('INVALID_REQUEST', message);
}

function finiteOr(name: string, value: number | undefined, fallback: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v)) throw invalid(`The template's ${name} is ${value}; give a finite number.`);
  return v;
}

function countFor(count: number | undefined, angleDeg = 0, minimum = 1): number {
  const c = count ?? Math.max(minimum, Math.ceil(Math.abs(angleDeg) / DEG_PER_DEFAULT_KEY));
  if (!Number.isInteger(c) || c < minimum || c > MAX_TEMPLATE_COUNT) {
    throw invalid(`The template's count is ${count}; use a whole number from ${minimum} to ${MAX_TEMPLATE_COUNT}.`);
  }
  return c;
}

const WORLD_DIRECTIONS: Record<MoveDirection, Vec3> = {
  forward: [0, 0, -1], backward: [0, 0, 1], left: [-1, 0, 0], right: [1, 0, 0], up: [0, 1, 0], down: [0, -1, 0],
};

function pose(position: Vec3, q: CameraPose['quaternionWXYZ'], fovYDeg: number): CameraPose {
  return { position, quaternionWXYZ: quatCanonical(q), fovYDeg };
}

function moveAlong(ref: CameraPose, direction: Vec3, distance: number, count: number, axes: MoveAxes): CameraPose[] {
  const dir = axes === 'camera' ? rotateVector(ref.quaternionWXYZ, direction) : direction;
  return Array.from({ length: count }, (_, i) => pose(addScaled3(ref.position, dir, (distance * (i + 1)) / count), ref.quaternionWXYZ, ref.fovYDeg));
}

function orbitAxis(ref: CameraPose, axis: OrbitAxis): Vec3 {
  return axis === 'world-up' ? [...WORLD_UP] : cameraUp(ref.quaternionWXYZ);
}

function orbitTarget(ref: CameraPose, target: Vec3 | undefined, radius: number | undefined): Vec3 {
  if (target) return [...target];
  const r = finiteOr('radius', radius, UPSTREAM_ORBIT_RADIUS);
  if (!(r > 0)) throw invalid(`The orbit radius is ${r}; give a positive distance to the point to orbit.`);
  return addScaled3(ref.position, cameraForward(ref.quaternionWXYZ), r);
}

function orbit(ref: CameraPose, t: Extract<TrajectoryTemplate, { kind: 'orbit' }>): CameraPose[] {
  const angleDeg = finiteOr('angle', t.angleDeg, UPSTREAM_ORBIT_ANGLE_DEG);
  const count = countFor(t.count, angleDeg);
  const target = orbitTarget(ref, t.target, t.radius);
  const axis = orbitAxis(ref, t.axis ?? (t.target ? 'world-up' : 'camera-up'));
  if (length3(sub3(ref.position, target)) < 1e-9) throw invalid('The camera is at the orbit target; pick a target away from the camera.');
  // Aim at the target first (a picked target need not be straight ahead), then turn pose and
  // position together about the axis through the target: distance and aim are kept by construction.
  const aimed = lookAtQuat(ref.position, target, axis);
  const offset = sub3(ref.position, target);
  return Array.from({ length: count }, (_, i) => {
    const r = quatFromAxisAngle(axis, degToRad((angleDeg * (i + 1)) / count));
    return pose(add3(target, rotateVector(r, offset)), quatMultiply(r, aimed), ref.fovYDeg);
  });
}

function spiral(ref: CameraPose, t: Extract<TrajectoryTemplate, { kind: 'spiral' }>): CameraPose[] {
  const angleDeg = finiteOr('angle', t.angleDeg, 360);
  const count = countFor(t.count, angleDeg);
  const endScale = finiteOr('end radius scale', t.endRadiusScale, 0.5);
  const rise = finiteOr('rise', t.rise, 0);
  if (!(endScale > 0)) throw invalid(`The spiral's end radius scale is ${endScale}; give a positive factor (0.5 halves the radius).`);
  const target = orbitTarget(ref, t.target, t.radius);
  const axis = orbitAxis(ref, t.axis ?? 'world-up');
  const offset = sub3(ref.position, target);
  const axial = scale3(axis, dot3(offset, axis));
  const radial = sub3(offset, axial);
  if (length3(radial) < 1e-9) throw invalid('The camera is on the spiral axis through its target; pick a target beside the camera.');
  return Array.from({ length: count }, (_, i) => {
    const f = (i + 1) / count;
    const r = quatFromAxisAngle(axis, degToRad(angleDeg * f));
    const position = add3(add3(target, addScaled3(axial, axis, rise * f)), scale3(rotateVector(r, radial), 1 + (endScale - 1) * f));
    return pose(position, lookAtQuat(position, target, axis), ref.fovYDeg);
  });
}

function dollyZoom(ref: CameraPose, t: Extract<TrajectoryTemplate, { kind: 'dollyZoom' }>): CameraPose[] {
  const forward = cameraForward(ref.quaternionWXYZ);
  const distance = finiteOr('distance', t.distance, 0);
  const d0 = t.target ? dot3(sub3(t.target, ref.position), forward) : finiteOr('subject distance', t.subjectDistance, UPSTREAM_ORBIT_RADIUS);
  if (!(d0 > 0)) throw invalid('The dolly-zoom subject must be in front of the camera; pick a point it looks at.');
  const count = countFor(t.count);
  const halfTan = Math.tan(degToRad(ref.fovYDeg) / 2);
  return Array.from({ length: count }, (_, i) => {
    const moved = (distance * (i + 1)) / count;
    const d = d0 - moved;
    if (!(d > 1e-6 * d0)) throw invalid(`A dolly zoom of ${distance} would reach the subject ${d0.toFixed(3)} ahead; move less than that.`);
    const fovYDeg = radToDeg(2 * Math.atan((halfTan * d0) / d));
    if (fovYDeg >= 179) throw invalid(`The dolly zoom would need a ${fovYDeg.toFixed(1)}° FOV; move a shorter distance towards the subject.`);
    return pose(addScaled3(ref.position, forward, moved), ref.quaternionWXYZ, fovYDeg);
  });
}

function turnInPlace(ref: CameraPose, angleDeg: number, count: number, about: 'world-up' | 'camera-right'): CameraPose[] {
  return Array.from({ length: count }, (_, i) => {
    const a = degToRad((angleDeg * (i + 1)) / count);
    const q = about === 'world-up'
      ? quatMultiply(quatFromAxisAngle(WORLD_UP, a), ref.quaternionWXYZ)
      : quatMultiply(ref.quaternionWXYZ, quatFromAxisAngle([1, 0, 0], a));
    return pose([...ref.position], q, ref.fovYDeg);
  });
}

function lookAround(ref: CameraPose, t: Extract<TrajectoryTemplate, { kind: 'lookAround' }>): CameraPose[] {
  const yawDeg = finiteOr('angle', t.angleDeg, 30);
  const pitchDeg = finiteOr('pitch', t.pitchDeg, 0);
  const count = countFor(t.count ?? 4, 0, 3);
  return Array.from({ length: count }, (_, i) => {
    const phase = (2 * Math.PI * (i + 1)) / count;
    const yaw = quatFromAxisAngle(WORLD_UP, degToRad(yawDeg * Math.sin(phase)));
    const pitch = quatFromAxisAngle([1, 0, 0], degToRad((pitchDeg * (1 - Math.cos(phase))) / 2));
    return pose([...ref.position], quatMultiply(quatMultiply(yaw, ref.quaternionWXYZ), pitch), ref.fovYDeg);
  });
}

/** Poses of the keyframes a template adds after `reference`. */
export function templatePoses(template: TrajectoryTemplate, reference: CameraPose): CameraPose[] {
  const ref: CameraPose = { ...reference, quaternionWXYZ: quatCanonical(reference.quaternionWXYZ) };
  switch (template.kind) {
    case 'move':
      return moveAlong(ref, WORLD_DIRECTIONS[template.direction], finiteOr('distance', template.distance, UPSTREAM_MOVE_STEP), countFor(template.count), template.axes ?? 'world');
    case 'crane':
      return moveAlong(ref, WORLD_DIRECTIONS.up, finiteOr('distance', template.distance, UPSTREAM_MOVE_STEP), countFor(template.count), template.axes ?? 'world');
    case 'orbit':
      return orbit(ref, template);
    case 'spiral':
      return spiral(ref, template);
    case 'dollyZoom':
      return dollyZoom(ref, template);
    case 'pan': {
      const a = finiteOr('angle', template.angleDeg, 0);
      return turnInPlace(ref, a, countFor(template.count, a), 'world-up');
    }
    case 'tilt': {
      const a = finiteOr('angle', template.angleDeg, 0);
      return turnInPlace(ref, a, countFor(template.count, a), 'camera-right');
    }
    case 'lookAround':
      return lookAround(ref, template);
  }
}

/** A short name for undo history and menus ("Orbit 15°", "Move forward 0.5"). */
export function describeTemplate(t: TrajectoryTemplate): string {
  switch (t.kind) {
    case 'move': return `Move ${t.direction} ${t.distance ?? UPSTREAM_MOVE_STEP}`;
    case 'crane': return `Crane ${t.distance >= 0 ? 'up' : 'down'} ${Math.abs(t.distance)}`;
    case 'orbit': return `Orbit ${t.angleDeg ?? UPSTREAM_ORBIT_ANGLE_DEG}°`;
    case 'spiral': return `Spiral ${t.angleDeg ?? 360}°`;
    case 'dollyZoom': return `Dolly zoom ${t.distance}`;
    case 'pan': return `Pan ${t.angleDeg}°`;
    case 'tilt': return `Tilt ${t.angleDeg}°`;
    case 'lookAround': return `Look around ${t.angleDeg ?? 30}°`;
  }
}
