/**
 * Plain CSV of keyframe poses, one row per key:
 *   time_sec,x,y,z,qw,qx,qy,qz,fov_y_deg
 * OpenGL camera-to-world (the camera looks down its -Z), quaternion [w, x, y, z], vertical FOV in
 * degrees. Numbers are written in JavaScript's shortest round-trip form, so a file read back gives
 * the same doubles. On import, columns are found by header name in any order; time_sec and
 * fov_y_deg may be missing (then keys are one spacing apart, FOV 60°); '#' lines and blank lines
 * are skipped.
 */
import { UPSTREAM_DEFAULT_FOV_Y_DEG } from '../constants';
import {
  DEFAULT_KEY_SPACING_SEC, assertValidKeyframes, createKeyframe, createTrajectory, newKeyframeId, type Trajectory,
} from '../document';
import { invalidFile } from './jsonText';

export const POSES_CSV_COLUMNS = ['time_sec', 'x', 'y', 'z', 'qw', 'qx', 'qy', 'qz', 'fov_y_deg'] as const;
const REQUIRED = ['x', 'y', 'z', 'qw', 'qx', 'qy', 'qz'] as const;

export function toPosesCsv(t: Trajectory): string {
  const rows = t.keyframes.map((k) => [k.timeSec, ...k.position, ...k.quaternionWXYZ, k.fovYDeg].map((v) => String(v)).join(','));
  return [POSES_CSV_COLUMNS.join(','), ...rows].join('\n') + '\n';
}

export interface PosesCsvImportOptions {
  /** settings for the new document (interpolation, loop, image size…); keys come from the file */
  base?: Partial<Omit<Trajectory, 'version' | 'keyframes'>>;
  keySpacingSec?: number;
  newId?: () => string;
}

export function parsePosesCsv(text: string, options: PosesCsvImportOptions = {}, origin = 'The CSV file'): Trajectory {
  const lines = text.split(/\r?\n/).map((line, i) => ({ line: line.trim(), number: i + 1 })).filter((l) => l.line !== '' && !l.line.startsWith('#'));
  if (lines.length === 0) throw invalidFile(origin, 'is empty; it needs a header line and one line per keyframe.');
  const header = lines[0].line.split(',').map((h) => h.trim().toLowerCase());
  const column = (name: string): number => header.indexOf(name);
  const absent = REQUIRED.filter((name) => column(name) < 0);
  if (absent.length) {
    throw invalidFile(origin, `has no column ${absent.join(', ')}; its first line must name the columns, e.g. "${POSES_CSV_COLUMNS.join(',')}".`);
  }
  const spacing = options.keySpacingSec ?? DEFAULT_KEY_SPACING_SEC;
  const newId = options.newId ?? newKeyframeId;
  const keyframes = lines.slice(1).map(({ line, number }, i) => {
    const cells = line.split(',');
    const read = (name: string, fallback?: number): number => {
      const c = column(name);
      if (c < 0 && fallback !== undefined) return fallback;
      const raw = (cells[c] ?? '').trim();
      const v = raw === '' ? NaN : Number(raw);
      if (!Number.isFinite(v)) throw invalidFile(origin, `line ${number}, column ${name}: "${raw}" is not a number.`);
      return v;
    };
    const q: [number, number, number, number] = [read('qw'), read('qx'), read('qy'), read('qz')];
    if (!(Math.hypot(...q) > 1e-6)) throw invalidFile(origin, `line ${number}: the quaternion is zero; give a unit quaternion qw, qx, qy, qz.`);
    return createKeyframe(
      { position: [read('x'), read('y'), read('z')], quaternionWXYZ: q, fovYDeg: read('fov_y_deg', UPSTREAM_DEFAULT_FOV_Y_DEG) },
      read('time_sec', i * spacing),
      newId(),
    );
  });
  if (keyframes.length === 0) throw invalidFile(origin, 'has a header but no keyframe lines.');
  const sorted = [...keyframes].sort((a, b) => a.timeSec - b.timeSec);
  assertValidKeyframes(sorted, 'INVALID_FILE');
  const last = sorted[sorted.length - 1].timeSec;
  return createTrajectory({ ...options.base, keyframes: sorted, durationSec: Math.max(options.base?.durationSec ?? 0, last) });
}
