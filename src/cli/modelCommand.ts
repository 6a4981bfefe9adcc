/**
 * `flashworld model …`: the model manager on the command line.
 *
 *   flashworld model status                       is the model in the Hugging Face cache? (no network)
 *   flashworld model download [--verify] [--build] download what is missing (resumes; verifies; HF cache layout)
 *   flashworld model verify [--repair]            hash every file against its Hub id (no network)
 *   flashworld model build [--model hub|test|PATH] build the ONNX graphs once, so the first generation is fast
 *
 * Summary lines go to stdout, progress to stderr (one redrawn line on a terminal, a line per file
 * otherwise). Exit status: 0 done, 1 failed (one line: what happened and the fix), 2 bad usage,
 * 130 interrupted (Ctrl-C; a later download resumes).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isStudioError } from '../shared/errors';
import { buildModelGraphs, type GraphBuildEvent } from '../engine/model/buildGraphs';
import { downloadModel, type ModelDownloadEvent } from '../engine/model/downloadModel';
import { formatBytes } from '../shared/formatBytes';
import { hubCacheDir, hubModelFiles } from '../engine/model/modelFiles';
import { modelStatus } from '../engine/model/modelStatus';
import { verifyModel } from '../engine/model/verifyModel';

export const MODEL_USAGE = `usage: flashworld model <status|download|verify|build> [options]

  status                 say whether the model is in the Hugging Face cache and what is missing
  download               fetch the missing files (Wan2.2 text encoder, tokenizer, VAE, configs; FlashWorld
                         model.ckpt) at pinned revisions; resumes interrupted downloads
    --token TOKEN        Hugging Face token for gated/private repos (default: HF_TOKEN, or \`hf auth login\`'s)
    --revision REPO=REV  another revision of a repo (repeatable), e.g. Wan-AI/Wan2.2-TI2V-5B-Diffusers=main
    --verify             also hash the files already in the cache and fetch damaged ones again
    --build              build the ONNX graphs afterwards (see build)
    --concurrency N      files fetched at once (default 3)
  verify                 hash every downloaded file against the Hub's id (no network)
    --repair             remove damaged files, so the next download fetches them again
  build                  build the ONNX graphs once (minutes for the full model), so generating starts fast
    --model hub|test|PATH   which model (default hub)
    --provider cpu|cuda  graphs for this ONNX Runtime provider (cuda: fp16; cpu: fp32)

  common: --cache DIR (Hugging Face cache; default HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub)
          --graphs DIR (built graphs; default ~/.cache/flashworld-studio/graphs)
  HF_ENDPOINT selects a Hub mirror.`;

export interface ModelCommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** Stops the command like Ctrl-C does (tests); the real CLI also listens for SIGINT. */
  signal?: AbortSignal;
  /** Listen for SIGINT and stop cleanly (default true). */
  handleSigint?: boolean;
}

class Usage extends Error {}

function defaultGraphsDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME ?? join(env.HOME ?? homedir(), '.cache'), 'flashworld-studio', 'graphs');
}

function parseRevisions(values: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const m = /^([^=\s]+\/[^=\s]+)=([^=\s]+)$/.exec(v);
    if (!m) throw new Usage(`--revision ${v}: write it as ORG/NAME=REVISION, e.g. Wan-AI/Wan2.2-TI2V-5B-Diffusers=main.`);
    out[m[1]] = m[2];
  }
  return out;
}

const duration = (s: number) => (s < 90 ? `${Math.max(1, Math.round(s))} s` : s < 5400 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);

/** Renders download events as a progress line (TTY) or a line per finished file (logs). */
class DownloadView {
  private last = '';
  private lastPlainPercent = -1;
  constructor(private readonly out: ModelCommandIo['stderr']) {}

  on = (e: ModelDownloadEvent): void => {
    if (e.type === 'plan') {
      const p = e.plan;
      this.line(
        p.toDownloadBytes
          ? `${p.files.length} files, ${formatBytes(p.totalBytes)}: ${formatBytes(p.cachedBytes)} already in ${p.hubCache}, ${formatBytes(p.toDownloadBytes)} to download (${formatBytes(p.freeBytes)} free)`
          : `all ${p.files.length} files (${formatBytes(p.totalBytes)}) already in ${p.hubCache}`,
      );
    } else if (e.type === 'progress') {
      const pct = Math.floor((100 * e.doneBytes) / Math.max(1, e.totalBytes));
      const eta = e.bytesPerSecond > 0 ? `, ${duration((e.totalBytes - e.doneBytes) / e.bytesPerSecond)} left` : '';
      const text = `${bar(e.doneBytes / Math.max(1, e.totalBytes))} ${String(pct).padStart(3)}% ${formatBytes(e.doneBytes)}/${formatBytes(e.totalBytes)} ${formatBytes(e.bytesPerSecond)}/s${eta}  ${e.path}`;
      if (this.out.isTTY) this.redraw(text);
      else if (pct >= this.lastPlainPercent + 10) {
        this.lastPlainPercent = pct - (pct % 10);
        this.line(text);
      }
    } else if (e.type === 'file-start' && e.resumeFromBytes > 0) {
      this.line(`resuming ${e.repo}/${e.path} from ${formatBytes(e.resumeFromBytes)} of ${formatBytes(e.size)}`);
    } else if (e.type === 'file-retry') {
      this.line(`${e.path}: ${e.reason} at ${formatBytes(e.atBytes)}; retrying (${e.attempt})`);
    } else if (e.type === 'file-corrupt') {
      this.line(`${e.path}: ${e.where === 'cache' ? 'damaged in the cache' : 'arrived damaged'} (sha mismatch); fetching it again`);
    } else if (e.type === 'verify-start') {
      if (this.out.isTTY) this.redraw(`checking ${e.path} (${formatBytes(e.size)})`);
    } else if (e.type === 'file-done' && !e.reused && !this.out.isTTY) {
      this.line(`got ${e.repo}/${e.path} (${formatBytes(e.size)})`);
    }
  };

  private redraw(text: string): void {
    this.out.write(`\r${text.padEnd(this.last.length)}`);
    this.last = text;
  }

  line(text: string): void {
    if (this.last) this.out.write(`\r${' '.repeat(this.last.length)}\r`);
    this.last = '';
    this.out.write(`${text}\n`);
  }
}

function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

function graphLine(e: GraphBuildEvent): string | null {
  if (e.type === 'graph' && e.state === 'cached') return `  ${e.network} graph (${e.index + 1}/${e.of}): already built`;
  if (e.type === 'graph') return `  ${e.network} graph (${e.index + 1}/${e.of}): building${e.reason ? ` again (${e.reason})` : ''}…`;
  if (e.type === 'graph-built') return `  ${e.network} graph (${e.index + 1}/${e.of}): built, ${formatBytes(e.bytes)} in ${duration(e.ms / 1000)}`;
  return null;
}

async function build(io: ModelCommandIo, model: string, hubCache: string, graphs: string, provider: 'cpu' | 'cuda', signal: AbortSignal): Promise<void> {
  io.stderr.write(`building the ${provider === 'cuda' ? 'fp16 (CUDA)' : 'fp32 (CPU)'} graphs of ${model} in ${graphs}\n`);
  const result = await buildModelGraphs({
    // `hub` means the cache this command was pointed at (--cache), not only the environment's.
    model: model === 'hub' ? hubModelFiles({ ...io.env, HF_HUB_CACHE: hubCache }) : model,
    cacheDir: graphs,
    provider,
    signal,
    onProgress: (e) => {
      const line = graphLine(e);
      if (line) io.stderr.write(`${line}\n`);
    },
  });
  io.stdout.write(`graphs ready in ${graphs}: ${result.built} built, ${result.cached} already built\n`);
}

async function run(argv: string[], io: ModelCommandIo, signal: AbortSignal): Promise<number> {
  const [sub, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    allowPositionals: false,
    options: {
      cache: { type: 'string' }, graphs: { type: 'string' }, token: { type: 'string' }, revision: { type: 'string', multiple: true },
      verify: { type: 'boolean' }, build: { type: 'boolean' }, repair: { type: 'boolean' }, model: { type: 'string' },
      provider: { type: 'string' }, concurrency: { type: 'string' },
    },
  });
  const env = io.env;
  const hubCache = values.cache ? resolve(values.cache) : hubCacheDir(env);
  const graphs = values.graphs ? resolve(values.graphs) : defaultGraphsDir(env);
  const provider = (values.provider ?? 'cpu') as 'cpu' | 'cuda';
  if (provider !== 'cpu' && provider !== 'cuda') throw new Usage(`--provider ${values.provider}: use cpu or cuda.`);
  const revisions = parseRevisions(values.revision);

  if (sub === 'status') {
    const status = modelStatus({ hubCache, env });
    if (status.ready && status.files) {
      io.stdout.write(`ready: ${status.files.label}\n  text encoder ${status.files.textEncoderDir}\n  checkpoint   ${status.files.checkpointPath}\n`);
      if (status.interrupted) io.stdout.write('  (a download of other files was interrupted; `flashworld model download` finishes it)\n');
      return 0;
    }
    io.stdout.write(`not ready: ${status.problem}\n`);
    return 1;
  }
  if (sub === 'download') {
    const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
    if (concurrency !== undefined && !(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 16)) {
      throw new Usage(`--concurrency ${values.concurrency} must be an integer from 1 to 16.`);
    }
    const view = new DownloadView(io.stderr);
    const result = await downloadModel({ hubCache, env, token: values.token, revisions, verifyExisting: values.verify, concurrency, signal, onProgress: view.on });
    view.line(`done in ${duration(result.seconds)}`);
    io.stdout.write(`model ready in ${hubCache}: ${formatBytes(result.downloadedBytes)} downloaded, ${formatBytes(result.reusedBytes)} reused\n`);
    if (values.build) await build(io, 'hub', hubCache, graphs, provider, signal);
    return 0;
  }
  if (sub === 'verify') {
    const report = await verifyModel({
      hubCache,
      env,
      revisions,
      repair: values.repair,
      signal,
      onProgress: (e) => io.stderr.write(`  checking ${e.repo}/${e.path} (${formatBytes(e.size)})\n`),
    });
    const ok = report.files.filter((f) => f.status === 'ok').length;
    if (report.ok) {
      io.stdout.write(`all ${ok} files intact in ${report.hubCache}\n`);
      return 0;
    }
    for (const problem of report.problems) io.stdout.write(`problem: ${problem}\n`);
    if (report.removed.length) io.stdout.write(`removed ${report.removed.length} damaged file(s); run \`flashworld model download\` to fetch them again\n`);
    return 1;
  }
  if (sub === 'build') {
    await build(io, values.model ?? 'hub', hubCache, graphs, provider, signal);
    return 0;
  }
  throw new Usage(sub ? `unknown model command "${sub}".` : 'give a model command.');
}

/** Runs `flashworld model <argv>`; resolves to the exit status. */
export async function runModelCommand(argv: string[], io: Partial<ModelCommandIo> = {}): Promise<number> {
  const full: ModelCommandIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, ...io };
  if (!argv.length || argv.includes('--help') || argv.includes('-h')) {
    full.stdout.write(`${MODEL_USAGE}\n`);
    return argv.length ? 0 : 2;
  }
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  const signal = full.signal ? AbortSignal.any([full.signal, controller.signal]) : controller.signal;
  if (full.handleSigint !== false) process.once('SIGINT', onSigint);
  try {
    return await run(argv, full, signal);
  } catch (e) {
    if (e instanceof Usage || (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      full.stderr.write(`flashworld model: ${(e as Error).message}\n${MODEL_USAGE}\n`);
      return 2;
    }
    if (isStudioError(e)) {
      full.stderr.write(`${full.stderr.isTTY ? '\n' : ''}flashworld model ${argv[0]}: ${e.message}\n`);
      return e.code === 'CANCELLED' ? 130 : 1;
    }
    throw e;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
