/** JSON text → value, with the file named in the error (shared by the JSON trajectory formats). */
import { StudioError } from '../../errors';

export function parseJsonText(input: unknown, origin: string): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch (cause) {
    throw new StudioError('INVALID_FILE', `${origin} is not valid JSON (${(cause as Error).message}). Check the file.`, { cause });
  }
}

export function invalidFile(origin: string, problem: string): StudioError {
  return new StudioError('INVALID_FILE', `${origin}: ${problem}`);
}
