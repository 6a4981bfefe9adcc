/**
 * Where a FlashWorld model's files are. Two layouts are understood:
 *  - a folder holding `Wan-AI/Wan2.2-TI2V-5B-Diffusers/…` and `imlixinyang/FlashWorld/model.ckpt`
 *    (the built-in test model, and what `hf download --local-dir` gives), and
 *  - the Hugging Face cache (`$HF_HUB_CACHE/models--Wan-AI--Wan2.2-TI2V-5B-Diffusers/snapshots/<rev>/…`).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StudioError } from '../../shared/errors';

export const WAN_REPO = 'Wan-AI/Wan2.2-TI2V-5B-Diffusers';
export const FLASHWORLD_REPO = 'imlixinyang/FlashWorld';

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

/** The newest snapshot of a repo in the Hugging Face cache, or null. */
function latestSnapshot(hubCache: string, repo: string): string | null {
  const snapshots = join(hubCache, `models--${repo.replace('/', '--')}`, 'snapshots');
  if (!existsSync(snapshots)) return null;
  const revs = readdirSync(snapshots)
    .map((rev) => ({ rev, mtime: statSync(join(snapshots, rev)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  return revs.length ? join(snapshots, revs[0].rev) : null;
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(env.HOME ?? '.', '.cache'), 'huggingface');
  return join(home, 'hub');
}

/** The model in the Hugging Face cache (HF_HOME / HF_HUB_CACHE respected). */
export function hubModelFiles(env: NodeJS.ProcessEnv = process.env): ModelFiles {
  const cache = hubCacheDir(env);
  const hint = `Download it first (flashworld model download), or point HF_HUB_CACHE at the cache that holds it.`;
  const wan = latestSnapshot(cache, WAN_REPO);
  const fw = latestSnapshot(cache, FLASHWORLD_REPO);
  if (!wan) throw new StudioError('WEIGHTS_NOT_FOUND', `${WAN_REPO} is not in the Hugging Face cache ${cache}. ${hint}`);
  if (!fw) throw new StudioError('WEIGHTS_NOT_FOUND', `${FLASHWORLD_REPO} is not in the Hugging Face cache ${cache}. ${hint}`);
  return fromParts(wan, join(fw, 'model.ckpt'), 'FlashWorld (Hugging Face cache)', hint);
}

/** `test`, `hub`, or a folder path (the CLI's --model). */
export function resolveModelFiles(spec: string, resourcesDir?: string): ModelFiles {
  if (spec === 'test') return testModelFiles(resourcesDir);
  if (spec === 'hub') return hubModelFiles();
  return modelFilesIn(spec);
}
