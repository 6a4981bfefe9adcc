/**
 * Which files of which Hub repositories make a FlashWorld model, at which revisions.
 *
 * Only what the engine reads is downloaded: the Wan repo's text encoder, tokenizer and VAE, the
 * transformer's config.json (its weights come from FlashWorld's model.ckpt, not from the Wan repo's
 * 20 GB of transformer shards) and the scheduler config; and FlashWorld's model.ckpt. The pinned
 * revisions live beside the repo names in modelFiles.ts.
 */
import { FLASHWORLD_REPO, PINNED_REVISIONS, WAN_REPO } from './modelFiles';

export interface RepoRequirement {
  repo: string;
  revision: string;
  /** Short name for progress lines and errors. */
  label: string;
  /** True for the repo files the engine needs. */
  wants(path: string): boolean;
}

const WAN_FOLDERS = ['text_encoder/', 'tokenizer/', 'vae/'];
const WAN_FILES = new Set(['transformer/config.json', 'scheduler/scheduler_config.json']);

export function modelRequirements(revisions: Partial<Record<string, string>> = {}): RepoRequirement[] {
  return [
    {
      repo: WAN_REPO,
      revision: revisions[WAN_REPO] ?? PINNED_REVISIONS[WAN_REPO],
      label: 'Wan2.2 text encoder, tokenizer and VAE',
      wants: (path) => WAN_FILES.has(path) || WAN_FOLDERS.some((folder) => path.startsWith(folder)),
    },
    {
      repo: FLASHWORLD_REPO,
      revision: revisions[FLASHWORLD_REPO] ?? PINNED_REVISIONS[FLASHWORLD_REPO],
      label: 'FlashWorld checkpoint',
      wants: (path) => path === 'model.ckpt',
    },
  ];
}

/** A 40-hex git commit id (a revision that can't move), as huggingface_hub tests it. */
export function isCommitId(revision: string): boolean {
  return /^[0-9a-f]{40}$/.test(revision);
}
