/**
 * Where a FlashWorld model's files are. Two layouts are understood:
 *  - a folder holding `Wan-AI/Wan2.2-TI2V-5B-Diffusers/…` and `imlixinyang/FlashWorld/model.ckpt`
 *    (the built-in test model, and what `hf download --local-dir` gives), and
 *  - the Hugging Face cache (`$HF_HUB_CACHE/models--Wan-AI--Wan2.2-TI2V-5B-Diffusers/snapshots/<rev>/…`).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../shared/errors';

export const WAN_REPO = 'Wan-AI/Wan2.2-TI2V-5B-Diffusers';
export const FLASHWORLD_REPO = 'imlixinyang/FlashWorld';

/**
 * FlashWorld's snapshot as upstream `app.py` names it when it looks for model.ckpt in the Hugging
 * Face cache (`models--imlixinyang--FlashWorld/snapshots/<this>/model.ckpt`).
 */
export const FLASHWORLD_REVISION = '6a8e88c6f88678ac098e4c82675f0aee555d6e5d';

/**
 * Upstream loads `Wan-AI/Wan2.2-TI2V-5B-Diffusers` at `main` (app.py, `from_pretrained(model_id)`).
 * We pin the commit that public download scripts and manifests of this repository name as its
 * snapshot, so every user gets the same bytes and graph cache keys stay stable. If it ever
 * disappears from the Hub, download another revision (`--revision Wan-AI/...=main`).
 */
export const WAN_REVISION = 'b8fff7315c768468a5333511427288870b2e9635';

/** The snapshot each repo is downloaded at, and the one read first from the cache. */
export const PINNED_REVISIONS: Readonly<Record<string, string>> = { [WAN_REPO]: WAN_REVISION, [FLASHWORLD_REPO]: FLASHWORLD_REVISION };

export interface ModelFiles {
  /** Shown in the UI and the CLI. */
  label: string;
  /** True for the built-in tiny model: its output is noise and must say so wherever it appears. */
  randomWeights: boolean;
  textEncoderDir: string;
  tokenizerDir: string;
  vaeDir: string;
  transformerConfigPath: string;
  checkpointPath: string;
}

/** The repository root in development (src/engine/model → ../../..). Packaged apps pass their resources dir. */
const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function testModelRoot(resourcesDir = join(REPO_ROOT, 'resources')): string {
  return join(resourcesDir, 'test-model');
}

export function testModelFiles(resourcesDir?: string): ModelFiles {
  return { ...modelFilesIn(testModelRoot(resourcesDir)), label: 'Test model (random weights)', randomWeights: true };
}

function mustExist(path: string, what: string, hint: string): string {
  if (!existsSync(path)) {
    throw new StudioError('WEIGHTS_NOT_FOUND', `${what} not found at ${path}. ${hint}`);
  }
  return path;
}

/** A folder in the local-dir layout (see the file comment). */
export function modelFilesIn(root: string): ModelFiles {
  const hint = `The model folder ${root} must hold ${WAN_REPO}/{text_encoder,tokenizer,vae,transformer} and ${FLASHWORLD_REPO}/model.ckpt; download the model again.`;
  const wan = mustExist(join(root, WAN_REPO), `The ${WAN_REPO} folder`, hint);
  return fromParts(wan, join(root, FLASHWORLD_REPO, 'model.ckpt'), root, hint);
}

function fromParts(wan: string, checkpoint: string, label: string, hint: string): ModelFiles {
  return {
    label,
    randomWeights: false,
    textEncoderDir: mustExist(join(wan, 'text_encoder'), 'The UMT5 text encoder', hint),
    tokenizerDir: mustExist(join(wan, 'tokenizer'), 'The UMT5 tokenizer', hint),
    vaeDir: mustExist(join(wan, 'vae'), 'The Wan2.2 VAE', hint),
    transformerConfigPath: mustExist(join(wan, 'transformer', 'config.json'), 'The transformer config', hint),
    checkpointPath: mustExist(checkpoint, 'FlashWorld model.ckpt', hint),
  };
}

/**
 * The snapshot of a repo to use from the Hugging Face cache: the pinned revision if it is there,
 * else the one refs/main names, else the newest; null when there is none.
 */
function pickSnapshot(hubCache: string, repo: string): string | null {
  const storage = join(hubCache, `models--${repo.replace('/', '--')}`);
  const snapshots = join(storage, 'snapshots');
  if (!existsSync(snapshots)) return null;
  const pinned = PINNED_REVISIONS[repo];
  if (pinned && existsSync(join(snapshots, pinned))) return join(snapshots, pinned);
  try {
    const main = readFileSync(join(storage, 'refs', 'main'), 'utf8').trim();
    if (main && existsSync(join(snapshots, main))) return join(snapshots, main);
  } catch {
    // no refs/main: fall back to the newest snapshot
  }
  const revs = readdirSync(snapshots)
    .map((rev) => ({ rev, mtime: statSync(join(snapshots, rev)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  return revs.length ? join(snapshots, revs[0].rev) : null;
}

/** huggingface_hub's home: HF_HOME, else $XDG_CACHE_HOME/huggingface, else ~/.cache/huggingface. */
export function hfHomeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(env.HOME ?? env.USERPROFILE ?? '.', '.cache'), 'huggingface');
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HUB_CACHE ?? join(hfHomeDir(env), 'hub');
}

/** The model in the Hugging Face cache (HF_HOME / HF_HUB_CACHE respected). */
export function hubModelFiles(env: NodeJS.ProcessEnv = process.env): ModelFiles {
  const cache = hubCacheDir(env);
  const hint = hasInterruptedDownload(cache)
    ? `A download into ${cache} was interrupted: run \`flashworld model download\` to finish it (it resumes where it stopped).`
    : `Download it first (flashworld model download), or point HF_HUB_CACHE at the cache that holds it.`;
  const wan = pickSnapshot(cache, WAN_REPO);
  const fw = pickSnapshot(cache, FLASHWORLD_REPO);
  if (!wan) throw new StudioError('WEIGHTS_NOT_FOUND', `${WAN_REPO} is not in the Hugging Face cache ${cache}. ${hint}`);
  if (!fw) throw new StudioError('WEIGHTS_NOT_FOUND', `${FLASHWORLD_REPO} is not in the Hugging Face cache ${cache}. ${hint}`);
  return fromParts(wan, join(fw, 'model.ckpt'), 'FlashWorld (Hugging Face cache)', hint);
}

/** True when a blob of either repo is still `.incomplete` (huggingface_hub's name for a partial download). */
export function hasInterruptedDownload(hubCache: string): boolean {
  return [WAN_REPO, FLASHWORLD_REPO].some((repo) => {
    const blobs = join(hubCache, `models--${repo.replace('/', '--')}`, 'blobs');
    return existsSync(blobs) && readdirSync(blobs).some((name) => name.endsWith('.incomplete'));
  });
}

/** `test`, `hub`, or a folder path (the CLI's --model). */
export function resolveModelFiles(spec: string, resourcesDir?: string): ModelFiles {
  if (spec === 'test') return testModelFiles(resourcesDir);
  if (spec === 'hub') return hubModelFiles();
  return modelFilesIn(spec);
}
