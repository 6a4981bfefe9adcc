/** Image files named by request JSON (examples, imported requests) as data URLs for the renderer. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { StudioError } from '../../shared/errors';

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.webp': 'image/webp' };

export async function imageFileToDataUrl(path: string): Promise<string> {
  const mime = MIME[extname(path).toLowerCase()];
  if (!mime) throw new StudioError('UNSUPPORTED_FILE', `${path} is not a PNG, JPEG or WebP image.`);
  try {
    return `data:${mime};base64,${(await readFile(path)).toString('base64')}`;
  } catch (cause) {
    throw new StudioError('IO_FAILED', `Could not read the image ${path}: ${(cause as Error).message}.`, { cause });
  }
}
