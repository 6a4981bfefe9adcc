/**
 * The `flashworld` command line (like upstream's cli.py, on the same engine as the studio):
 *
 *   flashworld model status|download|verify|build      (the model manager: src/cli/modelCommand.ts)
 *   flashworld devices [--model …] [--resolution …]     (GPUs, CUDA provider, which memory mode fits: src/cli/devicesCommand.ts)
 *   flashworld generate <request.json | folder> --out DIR [--ply] [--spz] [--video] [--seed N]
 *                       [--model test|hub|PATH] [--provider cpu|cuda] [--device N] [--memory-mode MODE] [--frame camera0|world]
 *                       [--ply-layout inria|upstream] [--opacity-threshold X] [--video-fps N] [--cache DIR]
 *
 * Each request JSON is upstream's format. Results go to DIR/<json name>/ as gaussians.ply,
 * gaussians.spz and video.mp4 (upstream's names). One summary line per scene on stdout; progress
 * on stderr; a bad request prints one line naming the problem, the others still run, and the exit
 * status is 1 if any failed. What the engine decided on its own (CPU fallback, the memory mode
 * "auto" picked) comes as `warning: …` lines on stderr.
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isMemoryMode, MEMORY_MODE_INFO, MEMORY_MODES, type MemoryMode } from '../shared/engine/memoryModes';
import { isStudioError } from '../shared/errors';
import { explainCudaFailure } from '../engine/gpu/cudaFailure';
import { parseGenerationRequestText, withResolution, type GenerationRequest } from '../shared/request/generationRequest';
import { createFlashWorldRuntime, type FlashWorldRuntime } from '../engine/runtime';
import { planExport, prepareExport } from '../engine/splat/export';
import { countKept } from '../engine/splat/exportWriter';
import { writePlyFile, writePlyFileFromGaussians } from '../engine/splat/plyFile';
import { writeSpzFile } from '../engine/splat/spz';
import { findFfmpeg, writeTrajectoryVideo } from '../engine/splat/video';
import { runDevicesCommand } from './devicesCommand';
import { runModelCommand } from './modelCommand';
import { ProgressBar } from './progressBar';

const USAGE = `usage: flashworld generate <request.json | folder of .json> --out DIR [options]
       flashworld model <status|download|verify|build>   (download, check and prepare the real model; see flashworld model --help)
       flashworld devices                    (NVIDIA GPUs, CUDA provider, which memory mode fits; see flashworld devices --help)

  --ply                  write gaussians.ply (INRIA 3DGS layout; the default when no format is given)
  --spz                  write gaussians.spz (SPZ v3)
  --video                write video.mp4 along the trajectory (needs ffmpeg)
  --seed N               noise seed (default: random, printed)
  --model test|hub|PATH  test = built-in tiny model with RANDOM weights; hub = Hugging Face cache; or a folder
  --provider cpu|cuda    ONNX Runtime execution provider (default cpu; cuda when --device or --memory-mode is given)
  --device N             CUDA GPU to run on, as \`flashworld devices\` numbers them (default 0; implies --provider cuda)
  --memory-mode MODE     where the networks run on the GPU (implies --provider cuda): gpu (fastest, most memory),
                         unload-text-encoder, text-encoder-cpu, low-vram (least GPU memory), or auto (the fastest that fits)
  --frames-per-call N    run the VAE encoder and recon decoder N frames at a time (less GPU memory, slower;
                         default: all frames at once; pick a divisor of the frame count)
  --text-encoder-precision fp16|fp32   the text encoder's graph on the GPU (fp32: exact, 22.7 GB; default fp16)
  --frame camera0|world  camera0 = upstream's frame (default); world = the trajectory's own frame
  --ply-layout inria|upstream   upstream = all SH as f_dc_* like upstream's PLY writer
  --opacity-threshold X  drop Gaussians below this opacity (default 0.00025, as upstream's app)
  --video-fps N          frames per second between two cameras (default 15, as upstream)
  --resolution NxHxW     run every request at this size instead (intrinsics scaled; quick previews, tests)
  --cache DIR            where built ONNX graphs are kept (default ~/.cache/flashworld-studio/graphs)`;

interface Options {
  out: string;
  ply: boolean;
  spz: boolean;
  video: boolean;
  seed?: number;
  frame: 'camera0' | 'world';
  plyLayout: 'inria' | 'upstream';
  opacityThreshold: number;
  videoFps: number;
  resolution?: [number, number, number];
}

function fail(message: string): never {
  process.stderr.write(`flashworld: ${message}\n`);
  process.exit(2);
}

/** One line for a bad --device / --memory-mode value. */
function deviceProblem(flag: string, value: string): string {
  return flag === '--device'
    ? `--device ${value}: give a CUDA GPU number, 0 or more (flashworld devices lists them).`
    : `--memory-mode ${value}: use one of ${MEMORY_MODES.join(', ')} or auto.`;
}

function requestFiles(input: string): string[] {
  let st;
  try {
    st = statSync(input);
  } catch {
    fail(`${input} does not exist. Give a request .json file or a folder of them.`);
  }
  if (!st.isDirectory()) return [resolve(input)];
  const files = readdirSync(input).filter((f) => extname(f).toLowerCase() === '.json').sort();
  if (!files.length) fail(`${input} holds no .json request files.`);
  return files.map((f) => resolve(input, f));
}

async function runOne(file: string, runtime: FlashWorldRuntime, opts: Options): Promise<string> {
  const name = basename(file, extname(file));
  let request: GenerationRequest = parseGenerationRequestText(readFileSync(file, 'utf8'), basename(file));
  if (opts.resolution) request = withResolution(request, opts.resolution);
  const bar = new ProgressBar(name);
  bar.plan(Boolean(request.imagePrompt));
  const t0 = performance.now();
  const scene = await runtime.generateScene(request, { seed: opts.seed, baseDir: dirname(file), onStage: (s) => bar.stage(s) });
  const genSeconds = (performance.now() - t0) / 1000;

  const outDir = join(opts.out, name);
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  const exportOptions = { tNorm: scene.tNorm, opacityThreshold: opts.opacityThreshold, frame: opts.frame, refC2w: request.cameras[0] };
  // A PLY alone is written straight from the engine's buffer; SPZ packs from a SplatSet, which
  // the PLY then shares.
  const set = opts.spz ? prepareExport(scene.gaussians, exportOptions) : null;
  if (opts.ply) {
    bar.note('writing PLY');
    const path = join(outDir, 'gaussians.ply');
    if (set) await writePlyFile(path, set, { layout: opts.plyLayout });
    else await writePlyFileFromGaussians(path, scene.gaussians, exportOptions, { layout: opts.plyLayout });
    written.push('gaussians.ply');
  }
  if (set) {
    bar.note('writing SPZ');
    await writeSpzFile(join(outDir, 'gaussians.spz'), set);
    written.push('gaussians.spz');
  }
  if (opts.video) {
    await writeTrajectoryVideo(join(outDir, 'video.mp4'), scene.gaussians, scene.cameras, {
      width: request.width,
      height: request.height,
      fps: opts.videoFps,
      onProgress: (done, total) => bar.note(`video frame ${done}/${total}`),
    });
    written.push('video.mp4');
  }
  bar.end();
  const seed = scene.seed === null ? '' : `, seed ${scene.seed}`;
  const kept = set ? set.count : countKept(scene.gaussians, planExport(scene.gaussians, exportOptions));
  return `${name}: ${kept} splats (${scene.count} generated${seed}) in ${genSeconds.toFixed(1)} s → ${outDir}/{${written.join(',')}}`;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'model') return runModelCommand(argv.slice(1));
  if (argv[0] === 'devices') return runDevicesCommand(argv.slice(1));
  if (argv[0] !== 'generate' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return argv[0] === 'generate' || argv.includes('--help') || argv.includes('-h') ? 0 : 2;
  }
  // parseArgs reads "--device -1" as a missing value and answers with three lines; one is enough.
  const dashValue = argv.findIndex((a, i) => (a === '--device' || a === '--memory-mode') && /^-./.test(argv[i + 1] ?? ''));
  if (dashValue >= 0) fail(deviceProblem(argv[dashValue], argv[dashValue + 1]));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.slice(1),
      allowPositionals: true,
      options: {
        out: { type: 'string' }, ply: { type: 'boolean' }, spz: { type: 'boolean' }, video: { type: 'boolean' },
        seed: { type: 'string' }, model: { type: 'string' }, provider: { type: 'string' }, frame: { type: 'string' },
        'ply-layout': { type: 'string' }, 'opacity-threshold': { type: 'string' }, 'video-fps': { type: 'string' }, cache: { type: 'string' }, resolution: { type: 'string' },
        device: { type: 'string' }, 'memory-mode': { type: 'string' }, 'frames-per-call': { type: 'string' }, 'text-encoder-precision': { type: 'string' },
      },
    });
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`);
  }
  const v = parsed.values;
  if (parsed.positionals.length !== 1) fail(`give one request .json or folder.\n${USAGE}`);
  if (!v.out) fail('give --out DIR (results go to DIR/<request name>/).');
  const seed = v.seed === undefined ? undefined : Number(v.seed);
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) fail(`--seed ${v.seed} is not an integer from 0 to 4294967295.`);
  const frame = (v.frame ?? 'camera0') as Options['frame'];
  if (frame !== 'camera0' && frame !== 'world') fail(`--frame ${v.frame}: use camera0 or world.`);
  const plyLayout = (v['ply-layout'] ?? 'inria') as Options['plyLayout'];
  if (plyLayout !== 'inria' && plyLayout !== 'upstream') fail(`--ply-layout ${v['ply-layout']}: use inria or upstream.`);
  if (v.provider !== undefined && v.provider !== 'cpu' && v.provider !== 'cuda') fail(`--provider ${v.provider}: use cpu or cuda.`);
  if (v.device !== undefined && !/^\d{1,3}$/.test(v.device)) fail(deviceProblem('--device', v.device));
  const deviceId = v.device === undefined ? undefined : Number(v.device);
  if (v['memory-mode'] !== undefined && !isMemoryMode(v['memory-mode']) && v['memory-mode'] !== 'auto') fail(deviceProblem('--memory-mode', v['memory-mode']));
  const memoryMode = v['memory-mode'] as MemoryMode | 'auto' | undefined;
  if (v.provider === 'cpu' && (deviceId !== undefined || memoryMode !== undefined)) {
    fail(`${deviceId !== undefined ? '--device' : '--memory-mode'} places networks on a CUDA GPU; it can't be combined with --provider cpu.`);
  }
  const provider = v.provider ?? (deviceId !== undefined || memoryMode !== undefined ? 'cuda' : 'cpu');
  const framesPerCall = v['frames-per-call'] === undefined ? undefined : Number(v['frames-per-call']);
  if (framesPerCall !== undefined && !(Number.isInteger(framesPerCall) && framesPerCall >= 1 && framesPerCall <= 1000)) {
    fail(`--frames-per-call ${v['frames-per-call']}: give a whole number of frames, 1 or more.`);
  }
  const textPrecision = v['text-encoder-precision'];
  if (textPrecision !== undefined && textPrecision !== 'fp16' && textPrecision !== 'fp32') fail(`--text-encoder-precision ${textPrecision}: use fp16 or fp32.`);
  const opacityThreshold = Number(v['opacity-threshold'] ?? 0.00025);
  if (!(opacityThreshold >= 0 && opacityThreshold < 1)) fail(`--opacity-threshold ${v['opacity-threshold']} must be in [0, 1).`);
  const videoFps = Number(v['video-fps'] ?? 15);
  if (!(Number.isInteger(videoFps) && videoFps >= 1 && videoFps <= 120)) fail(`--video-fps ${v['video-fps']} must be an integer from 1 to 120.`);
  let resolution: [number, number, number] | undefined;
  if (v.resolution !== undefined) {
    const m = /^(\d+)x(\d+)x(\d+)$/.exec(v.resolution);
    if (!m) fail(`--resolution ${v.resolution}: write it as FRAMESxHEIGHTxWIDTH, e.g. 24x480x704.`);
    resolution = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const noFormat = !v.ply && !v.spz && !v.video;
  const opts: Options = { out: resolve(v.out), ply: Boolean(v.ply) || noFormat, spz: Boolean(v.spz), video: Boolean(v.video), seed, frame, plyLayout, opacityThreshold, videoFps, resolution };
  if (opts.video) {
    try {
      findFfmpeg();
    } catch (e) {
      fail((e as Error).message);
    }
  }
  const files = requestFiles(parsed.positionals[0]);

  const model = v.model ?? 'test';
  const where = provider === 'cuda' ? `cuda, GPU ${deviceId ?? 0}${memoryMode ? `, memory mode ${memoryMode}` : ''}` : provider;
  process.stderr.write(`loading model ${model} (${where})…\n`);
  let runtime: FlashWorldRuntime;
  try {
    runtime = await createFlashWorldRuntime({
      model,
      provider,
      deviceId,
      memoryMode,
      ...(framesPerCall !== undefined ? { maxFramesPerCall: framesPerCall } : {}),
      ...(textPrecision ? { textEncoderPrecision: textPrecision === 'fp32' ? 'float32' : 'float16' } : {}),
      cacheDir: resolve(v.cache ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'flashworld-studio', 'graphs')),
      onLoadProgress: (e) => {
        if (e.event === 'build') process.stderr.write(`  building the ${e.network} graph (first use of these weights)…\n`);
      },
    });
  } catch (e) {
    const explained = isStudioError(e) ? e : provider === 'cuda' ? explainCudaFailure(e, { what: 'loading the model', deviceId, memoryMode: memoryMode === 'auto' ? undefined : memoryMode }) : null;
    fail(explained ? explained.message : `the model could not be loaded: ${(e as Error).message}`);
  }
  for (const warning of runtime.info.warnings ?? []) process.stderr.write(`warning: ${warning}\n`);
  if (runtime.info.provider === 'cuda') {
    const chunks = runtime.info.maxFramesPerCall ? `, ${runtime.info.maxFramesPerCall} frames a call` : '';
    process.stderr.write(`  running on GPU ${runtime.info.deviceId}, memory mode ${runtime.info.memoryMode} (${MEMORY_MODE_INFO[runtime.info.memoryMode].label})${chunks}\n`);
  }
  if (runtime.info.randomWeights) process.stderr.write(`  ${runtime.info.label}: output is noise, not a scene.\n`);

  let failures = 0;
  for (const file of files) {
    try {
      process.stdout.write(`${await runOne(file, runtime, opts)}\n`);
    } catch (e) {
      failures++;
      const explained = isStudioError(e)
        ? e
        : runtime.info.provider === 'cuda'
          ? explainCudaFailure(e, { what: 'the generation', deviceId: runtime.info.deviceId, memoryMode: runtime.info.memoryMode })
          : null;
      const message = explained ? explained.message : `unexpected error: ${(e as Error).stack ?? e}`;
      process.stderr.write(`\n${basename(file)}: ${message}\n`);
    }
  }
  await runtime.dispose();
  return failures ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`flashworld: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
