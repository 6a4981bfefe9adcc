/**
 * The project file on disk: a zip holding project.json (versioned schema), each distinct prompt
 * image once, and every result as PLY (lossless) + SPZ (what the viewer loads). Saves are atomic
 * (write a temporary file beside the target, flush, rename), so a crash mid-save never leaves a
 * half-written project.
 */
import { createHash } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { unzipSync, zipSync, strToU8, strFromU8 } from 'fflate';
import { StudioError } from '../../shared/errors';
import type { Job } from '../../shared/api/jobSchemas';
import {
  PROJECT_SCHEMA_VERSION,
  projectFileSchema,
  type ProjectDocument,
  type ProjectFile,
} from '../../shared/api/projectSchemas';

export interface ProjectResultBytes {
  ply: Uint8Array;
  spz: Uint8Array;
}

export interface ProjectContents {
  document: ProjectDocument;
  jobs: Job[];
  results: Map<string, ProjectResultBytes>;
}

const IMAGE_REF_PREFIX = 'zip:';

/** Moves a data-URL image into the zip (deduplicated by content) and returns the reference to store. */
function stashImage(dataUrl: string, files: Record<string, Uint8Array>): string {
  const m = /^data:image\/([a-z+]+);base64,(.*)$/s.exec(dataUrl);
  if (!m) return dataUrl;
  const bytes = new Uint8Array(Buffer.from(m[2], 'base64'));
  const name = `images/${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${m[1] === 'jpeg' ? 'jpg' : m[1]}`;
  files[name] = bytes;
  return IMAGE_REF_PREFIX + name;
}

function restoreImage(ref: string, files: Record<string, Uint8Array>, fileName: string): string {
  if (!ref.startsWith(IMAGE_REF_PREFIX)) return ref;
  const name = ref.slice(IMAGE_REF_PREFIX.length);
  const bytes = files[name];
  if (!bytes) throw new StudioError('INVALID_FILE', `${fileName} refers to ${name}, which is missing from the file. The project is damaged; open an autosave or an older copy.`);
  const ext = name.split('.').pop();
  const mime = ext === 'jpg' ? 'jpeg' : ext;
  return `data:image/${mime};base64,${Buffer.from(bytes).toString('base64')}`;
}

export function packProject(contents: ProjectContents, savedAt: number): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  const document = structuredClone(contents.document);
  if (document.prompt.imageDataUrl) document.prompt.imageDataUrl = stashImage(document.prompt.imageDataUrl, files);
  const jobs = contents.jobs.map((job) => {
    const copy = structuredClone(job);
    const image = copy.settings.request.image_prompt;
    if (image) copy.settings.request.image_prompt = stashImage(image, files);
    return copy;
  });
  for (const [jobId, r] of contents.results) {
    files[`results/${jobId}.ply`] = r.ply;
    files[`results/${jobId}.spz`] = r.spz;
  }
  const file: ProjectFile = { schemaVersion: PROJECT_SCHEMA_VERSION, savedAt, document, jobs };
  files['project.json'] = strToU8(JSON.stringify(file, null, 1));
  // PLY compresses a little; SPZ and PNG not at all: level 1 keeps saves fast.
  return zipSync(files, { level: 1 });
}

export function unpackProject(bytes: Uint8Array, fileName: string): ProjectContents & { savedAt: number } {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (cause) {
    throw new StudioError('INVALID_FILE', `${fileName} is not a FlashWorld project (not a zip file). Pick a .fwproj file.`, { cause });
  }
  const manifest = files['project.json'];
  if (!manifest) throw new StudioError('INVALID_FILE', `${fileName} has no project.json; it is not a FlashWorld project.`);
  let json: unknown;
  try {
    json = JSON.parse(strFromU8(manifest));
  } catch (cause) {
    throw new StudioError('INVALID_FILE', `${fileName}: project.json is not valid JSON. The file is damaged.`, { cause });
  }
  const version = (json as { schemaVersion?: unknown })?.schemaVersion;
  if (typeof version === 'number' && version > PROJECT_SCHEMA_VERSION) {
    throw new StudioError('UNSUPPORTED_FILE', `${fileName} was saved by a newer studio (project version ${version}; this one reads up to ${PROJECT_SCHEMA_VERSION}). Update the studio.`);
  }
  const parsed = projectFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StudioError('INVALID_FILE', `${fileName}: project.json is not valid (${issue.path.join('.')}: ${issue.message}).`);
  }
  const { document, jobs, savedAt } = parsed.data;
  if (document.prompt.imageDataUrl) document.prompt.imageDataUrl = restoreImage(document.prompt.imageDataUrl, files, fileName);
  const results = new Map<string, ProjectResultBytes>();
  for (const job of jobs) {
    const image = job.settings.request.image_prompt;
    if (image) job.settings.request.image_prompt = restoreImage(image, files, fileName);
    const ply = files[`results/${job.id}.ply`];
    const spz = files[`results/${job.id}.spz`];
    if (job.status === 'done') {
      if (!ply || !spz) throw new StudioError('INVALID_FILE', `${fileName}: the result of job ${job.id} is missing. The project is damaged.`);
      results.set(job.id, { ply, spz });
    }
  }
  return { document, jobs, results, savedAt };
}

/** Writes bytes so the target is either the old file or the complete new one, never a mix. */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.saving-${process.pid}-${Date.now()}`;
  try {
    const handle = await open(tmp, 'w');
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (cause) {
    await unlink(tmp).catch(() => undefined);
    throw new StudioError('IO_FAILED', `Could not save ${path}: ${(cause as Error).message}. Check the folder exists and is writable, and that the disk has space.`, { cause });
  }
}
