/**
 * The `flashworld` CLI as users run it (a child process through tsx): every example request with the
 * test model writes PLY + SPZ + MP4 that independent readers (Spark's own decoder, ffprobe) accept,
 * and each kind of bad request exits non-zero with one clear line.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePly } from '../../src/engine/splat/ply';
import { decodeSpz } from '../../src/engine/splat/spz';
import { repoRoot } from '../helpers/fixtures';
import { sparkDecode } from '../helpers/sparkDecoder';

const cache = mkdtempSync(join(tmpdir(), 'fw-cli-cache-'));
const tsx = join(repoRoot, 'node_modules', '.bin', 'tsx');

function cli(args: string[]) {
  const r = spawnSync(tsx, [join(repoRoot, 'src/cli/main.ts'), ...args, '--cache', cache], { encoding: 'utf8', cwd: repoRoot, timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const examples = readdirSync(join(repoRoot, 'examples')).filter((f) => f.endsWith('.json')).sort();
const SIZE = { frames: 4, height: 64, width: 96 };

describe('flashworld CLI', () => {
  const out = mkdtempSync(join(tmpdir(), 'fw-cli-out-'));
  let run: ReturnType<typeof cli>;

  beforeAll(() => {
    run = cli(['generate', join(repoRoot, 'examples'), '--out', out, '--model', 'test', '--ply', '--spz', '--video', '--seed', '3',
      '--resolution', `${SIZE.frames}x${SIZE.height}x${SIZE.width}`]);
  }, 600_000);

  it('runs every example and prints one summary line per scene', () => {
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(examples.length);
    for (const [i, f] of examples.entries()) expect(lines[i]).toMatch(new RegExp(`^${f.replace('.json', '')}: \\d+ splats .* seed 3\\) in [\\d.]+ s → `));
    expect(run.stderr).toMatch(/random weights/);
  });

  it('writes PLY and SPZ that Spark’s own decoder reads with the same splat count', async () => {
    for (const f of examples) {
      const dir = join(out, f.replace('.json', ''));
      const ply = readFileSync(join(dir, 'gaussians.ply'));
      const spz = readFileSync(join(dir, 'gaussians.spz'));
      const ours = decodePly(ply).count;
      // 2 Gaussians per pixel at H/2 × W/2 per frame, minus those under the opacity threshold
      expect(ours).toBeGreaterThan(0);
      expect(ours).toBeLessThanOrEqual(SIZE.frames * 2 * (SIZE.height / 2) * (SIZE.width / 2));
      expect((await sparkDecode(ply, 'ply', 'gaussians.ply')).numSplats, f).toBe(ours);
      expect((await sparkDecode(spz, 'spz', 'gaussians.spz')).numSplats, f).toBe(ours);
      expect(decodeSpz(spz).count).toBe(ours);
    }
  });

  it('writes the same PLY bytes and splat count without SPZ (straight from the engine buffer, no SplatSet)', () => {
    const f = examples[0];
    const plyOnly = mkdtempSync(join(tmpdir(), 'fw-cli-ply-'));
    const r = cli(['generate', join(repoRoot, 'examples', f), '--out', plyOnly, '--model', 'test', '--ply', '--seed', '3',
      '--resolution', `${SIZE.frames}x${SIZE.height}x${SIZE.width}`]);
    expect(r.code, r.stderr).toBe(0);
    const name = f.replace('.json', '');
    const a = readFileSync(join(plyOnly, name, 'gaussians.ply'));
    expect(a.equals(readFileSync(join(out, name, 'gaussians.ply')))).toBe(true);
    expect(existsSync(join(plyOnly, name, 'gaussians.spz'))).toBe(false);
    expect(r.stdout).toContain(`${name}: ${decodePly(a).count} splats`);
    expect(run.stdout).toContain(`${name}: ${decodePly(a).count} splats`);
  }, 600_000);

  it('writes an MP4 with upstream’s frame count ((n_frame − 1) · 15 + 1)', () => {
    const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_frames,width,height', '-of', 'json',
      join(out, examples[0].replace('.json', ''), 'video.mp4')], { encoding: 'utf8' });
    const stream = JSON.parse(probe.stdout).streams[0];
    expect(stream).toMatchObject({ width: SIZE.width, height: SIZE.height, nb_read_frames: String((SIZE.frames - 1) * 15 + 1) });
  });

  it('gives one clear line for each bad request and exits non-zero', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-cli-bad-'));
    const cam = (z: number) => ({ quaternion: [1, 0, 0, 0], position: [0, 0, z], fx: 48, fy: 48, cx: 48, cy: 32 });
    const good = { text_prompt: 'a harbor', cameras: [cam(0), cam(-0.5)], resolution: [4, 64, 96], image_index: 0 };
    const bad: Record<string, unknown> = {
      'no_prompt.json': { ...good, text_prompt: '' },
      'no_cameras.json': { ...good, cameras: [] },
      'unnormalized.json': { ...good, cameras: [cam(0), { ...cam(1), quaternion: [2, 0, 0, 0] }] },
      'wrong_resolution.json': { ...good, resolution: [4, 60, 96] },
      'image_index.json': { ...good, image_index: 4 },
      'bad_image.json': { ...good, image_prompt: 'data:image/png;base64,bm90IGFuIGltYWdl' },
    };
    for (const [name, body] of Object.entries(bad)) writeFileSync(join(dir, name), JSON.stringify(body));
    writeFileSync(join(dir, 'nan.json'), '{"text_prompt": "x", "cameras": [{"quaternion": [NaN, 0, 0, 0]}]}');
    const r = cli(['generate', dir, '--out', join(dir, 'out'), '--model', 'test']);
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => /^\w+\.json: /.test(l));
    const byFile = Object.fromEntries(errors.map((l) => [l.split(':')[0], l]));
    expect(Object.keys(byFile).sort()).toEqual([...Object.keys(bad), 'nan.json'].sort());
    expect(byFile['no_prompt.json']).toMatch(/no prompt/);
    expect(byFile['no_cameras.json']).toMatch(/no cameras/);
    expect(byFile['unnormalized.json']).toMatch(/quaternion has length 2\.0000, not 1/);
    expect(byFile['wrong_resolution.json']).toMatch(/height is 60; it must be a multiple of 32/);
    expect(byFile['image_index.json']).toMatch(/image_index 4 is outside the 4 frames/);
    expect(byFile['bad_image.json']).toMatch(/image prompt is not a PNG or JPEG/);
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(byFile['nan.json']).toMatch(/not valid JSON/);
    expect(existsSync(join(dir, 'out', 'no_prompt'))).toBe(false);
  }, 600_000);

  it('explains usage errors without a stack trace', () => {
    const r = cli(['generate', join(repoRoot, 'examples')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --out DIR/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
