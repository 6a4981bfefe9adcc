/**
 * The engine settings file (settings.json in the data folder). Read once at start: a missing file
 * means defaults; an unreadable or invalid one also means defaults, plus a notice saying what was
 * wrong, so a hand-edited typo never keeps the engine from starting. Written atomically.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_ENGINE_SETTINGS, engineSettingsSchema, type EngineSettings } from '../../shared/api/modelSchemas';
import { writeFileAtomic } from './projectFile';

export const ENGINE_SETTINGS_FILE = 'settings.json';

export interface LoadedEngineSettings {
  settings: EngineSettings;
  /** why the file was not used, when it was there but bad */
  notice: string | null;
}

export function engineSettingsPath(dataDir: string): string {
  return join(dataDir, ENGINE_SETTINGS_FILE);
}

export async function loadEngineSettings(dataDir: string, defaults: EngineSettings = DEFAULT_ENGINE_SETTINGS): Promise<LoadedEngineSettings> {
  const path = engineSettingsPath(dataDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { settings: { ...defaults }, notice: null };
    return { settings: { ...defaults }, notice: `The engine settings (${path}) could not be read (${(error as Error).message}); the defaults are used until you change a setting.` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { settings: { ...defaults }, notice: `The engine settings (${path}) are not valid JSON; the defaults are used. Choosing a setting in the Model panel writes a good file.` };
  }
  const parsed = engineSettingsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `"${issue.path.join('.')}"` : 'the file';
    return { settings: { ...defaults }, notice: `The engine settings (${path}) are invalid (${where}: ${issue.message}); the defaults are used. Choosing a setting in the Model panel writes a good file.` };
  }
  return { settings: parsed.data, notice: null };
}

export async function saveEngineSettings(dataDir: string, settings: EngineSettings): Promise<void> {
  const valid = engineSettingsSchema.parse(settings);
  await writeFileAtomic(engineSettingsPath(dataDir), new TextEncoder().encode(`${JSON.stringify(valid, null, 2)}\n`));
}
