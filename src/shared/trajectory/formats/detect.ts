/**
 * One entry point for "Import camera path…": tells the formats apart by content (not by file
 * name, which users rename) and reads the file into a trajectory.
 */
import { StudioError } from '../../errors';
import { parseTrajectory, type Trajectory } from '../document';
import { parseJsonText } from './jsonText';
import { parseNerfstudioCameraPath } from './nerfstudioCameraPath';
import { parsePosesCsv } from './posesCsv';
import { parseUpstreamAllInOneJson, parseUpstreamTrajectoryJson, type UpstreamAllInOne, type UpstreamImportOptions } from './upstreamJson';

export type TrajectoryFileFormat = 'studio-trajectory' | 'upstream-all-in-one' | 'upstream-trajectory' | 'nerfstudio-camera-path' | 'poses-csv';

export function detectTrajectoryFormat(text: string): TrajectoryFileFormat {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{')) return 'poses-csv';
  const json = parseJsonText(text, 'The file');
  if (typeof json !== 'object' || json === null) throw new StudioError('UNSUPPORTED_FILE', 'The file is JSON but not an object; it is not a camera path.');
  const o = json as Record<string, unknown>;
  if ('keyframes' in o && 'interpolation' in o && 'version' in o) return 'studio-trajectory';
  if ('camera_path' in o && 'render_height' in o) return 'nerfstudio-camera-path';
  if ('cameras' in o && 'resolution' in o) return 'upstream-all-in-one';
  if ('cameras' in o) return 'upstream-trajectory';
  throw new StudioError(
    'UNSUPPORTED_FILE',
    'The JSON file is not a camera path we know: expected a FlashWorld request or trajectory (with "cameras"), a nerfstudio camera_path.json, or a Studio trajectory.',
  );
}

export interface ImportedTrajectory {
  format: TrajectoryFileFormat;
  trajectory: Trajectory;
  /** prompts and frame count, when the file is a whole upstream request */
  request?: Omit<UpstreamAllInOne, 'trajectory'>;
}

export function importTrajectoryFile(text: string, options: UpstreamImportOptions = {}, origin = 'The file'): ImportedTrajectory {
  const format = detectTrajectoryFormat(text);
  switch (format) {
    case 'studio-trajectory':
      return { format, trajectory: parseTrajectory(JSON.parse(text), origin) };
    case 'nerfstudio-camera-path':
      return { format, trajectory: parseNerfstudioCameraPath(text, { newId: options.newId }, origin) };
    case 'upstream-all-in-one': {
      const { trajectory, ...request } = parseUpstreamAllInOneJson(text, options, origin);
      return { format, trajectory, request };
    }
    case 'upstream-trajectory':
      return { format, trajectory: parseUpstreamTrajectoryJson(text, options, origin) };
    case 'poses-csv':
      return {
        format,
        trajectory: parsePosesCsv(text, {
          newId: options.newId, keySpacingSec: options.keySpacingSec, base: { imageWidthPx: options.widthPx, imageHeightPx: options.heightPx },
        }, origin),
      };
  }
}
