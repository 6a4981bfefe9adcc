/**
 * MP4 of a scene seen along its trajectory, as upstream's `generate(video_path=…)`: the n_frame
 * cameras densified to (n_frame − 1)·fps + 1 poses (slerp + lerp), rendered on a white background,
 * encoded by ffmpeg (H.264, yuv420p) at `fps`. Frames stream to ffmpeg's stdin in batches, so
 * memory stays at one batch of frames whatever the length.
 */
import { spawn, spawnSync } from 'node:child_process';
import { rename, rm } from 'node:fs/promises';
import { CAMERA_STRIDE, resampleCameras, videoCameraCount, type PackedCameras } from '../../shared/camera';
import { StudioError } from '../../shared/errors';
import { viewCameras } from '../pipeline/generate';
import { PREVIEW_VIDEO_FPS } from '../pipeline/constants';
import { sharedRasterizer } from './rasterizer';
import { gaussianData, type GaussianInput } from './gaussianBlocks';

export interface VideoOptions {
  width: number;
  height: number;
  fps?: number;
  /** ffmpeg executable (default: $FFMPEG_PATH, then `ffmpeg` on the PATH) */
  ffmpegPath?: string;
  signal?: AbortSignal;
  onProgress?: (framesDone: number, framesTotal: number) => void;
}

const FRAMES_PER_BATCH = 16;

export function findFfmpeg(explicit?: string): string {
  const candidate = explicit ?? process.env.FFMPEG_PATH ?? 'ffmpeg';
  const probe = spawnSync(candidate, ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new StudioError(
      'IO_FAILED',
      `MP4 export needs ffmpeg, but "${candidate}" could not be run. Install it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg) or set FFMPEG_PATH.`,
    );
  }
  return candidate;
}

/**
 * Writes `path` (atomically: a temp file renamed at the end). `cameras` are the generation's
 * normalised n_frame cameras; sampling them equals upstream's sample-then-normalise, since the
 * normalisation is a rigid transform plus a scale that slerp and lerp commute with.
 */
export async function writeTrajectoryVideo(path: string, gaussians: GaussianInput, cameras: PackedCameras, options: VideoOptions): Promise<number> {
  const { width, height } = options;
  const fps = options.fps ?? PREVIEW_VIDEO_FPS;
  const frames = cameras.length / CAMERA_STRIDE;
  const dense = frames > 1 ? resampleCameras(cameras, videoCameraCount(frames, fps)) : cameras;
  const views = viewCameras(dense, width, height);
  const ffmpeg = findFfmpeg(options.ffmpegPath);
  const tmp = `${path}.part-${process.pid}.mp4`;
  const child = spawn(
    ffmpeg,
    ['-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${width}x${height}`, '-r', String(fps), '-i', '-',
      '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18', '-movflags', '+faststart', tmp],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? -1));
  });
  const writeFrames = (bytes: Uint8Array) =>
    new Promise<void>((resolve, reject) => {
      if (child.stdin.write(bytes, (err) => err && reject(err))) resolve();
      else child.stdin.once('drain', resolve);
    });

  const rasterizer = await sharedRasterizer();
  // fp16 Gaussians go up as their bits: the rasterizer reads both types.
  const scene = rasterizer.upload(gaussianData(gaussians).data);
  try {
    for (let first = 0; first < views.length; first += FRAMES_PER_BATCH) {
      if (options.signal?.aborted) throw new StudioError('CANCELLED', 'The video export was cancelled.');
      const batch = views.slice(first, first + FRAMES_PER_BATCH);
      await writeFrames(await rasterizer.renderViewsRGBA8(scene, batch, width, height));
      options.onProgress?.(first + batch.length, views.length);
    }
    child.stdin.end();
    const code = await exited;
    if (code !== 0) {
      throw new StudioError('IO_FAILED', `ffmpeg could not write ${path} (exit ${code}): ${stderr.trim().split('\n').pop() ?? ''}. Check the disk has space and the folder is writable.`);
    }
    await rename(tmp, path);
    return views.length;
  } catch (error) {
    child.kill('SIGKILL');
    await rm(tmp, { force: true });
    throw error;
  } finally {
    scene.destroy();
  }
}
