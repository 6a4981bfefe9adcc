/**
 * Reads a model's `config.json` (given the folder, the file, or already-parsed JSON), with the same
 * two errors for every network: missing file, unreadable JSON. `what` names the config for the
 * user, e.g. "Wan VAE config" with the subfolder it lives in.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { StudioError } from '../../shared/errors';

export type ConfigJson = Record<string, unknown>;

export function readConfigJson(folderOrJson: string | ConfigJson, what: { name: string; subfolder: string }): { json: ConfigJson; origin: string } {
  if (typeof folderOrJson !== 'string') return { json: folderOrJson, origin: `the given ${what.name}` };
  const file = existsSync(folderOrJson) && statSync(folderOrJson).isDirectory() ? join(folderOrJson, 'config.json') : folderOrJson;
  if (!existsSync(file)) {
    throw new StudioError(
      'WEIGHTS_NOT_FOUND',
      `The ${what.name} ${file} does not exist. Install the Wan2.2-TI2V-5B-Diffusers model folder (its ${what.subfolder}/config.json).`,
    );
  }
  try {
    return { json: JSON.parse(readFileSync(file, 'utf8')) as ConfigJson, origin: file };
  } catch (cause) {
    throw new StudioError('WEIGHTS_CORRUPT', `The ${what.name} ${file} is not valid JSON. Download the model folder again.`, { cause });
  }
}
