/**
 * What a shared library links against, and which of those the dynamic loader can't find, from
 * `ldd` (glibc's, Linux only). ONNX Runtime reports a CUDA provider that fails to load as just
 * "Failed to load shared library" to JavaScript (the name of the missing CUDA library only goes to
 * its log on stderr), so asking the loader ourselves is how the message can name it.
 */
import { spawnSync } from 'node:child_process';

export interface LinkedLibrary {
  /** soname as the library asks for it, e.g. "libcublasLt.so.13" */
  name: string;
  /** where the loader found it; null: "not found" */
  path: string | null;
}

/** Parses ldd's output ("\tlibfoo.so.1 => /lib/libfoo.so.1 (0x…)", "\tlibbar.so.2 => not found"). */
export function parseLddOutput(text: string): LinkedLibrary[] {
  const libs: LinkedLibrary[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(\S+)\s+=>\s+(not found|\S+)/.exec(line);
    if (m) libs.push({ name: m[1], path: m[2] === 'not found' ? null : m[2] });
  }
  return libs;
}

/**
 * The libraries `file` links against (ldd resolves them with the current LD_LIBRARY_PATH), or
 * null when ldd can't tell (not Linux, no ldd, not a dynamic library).
 */
export function linkedLibraries(file: string, env: NodeJS.ProcessEnv = process.env): LinkedLibrary[] | null {
  if (process.platform !== 'linux') return null;
  const r = spawnSync('ldd', [file], { encoding: 'utf8', timeout: 10_000, env });
  if (r.error || r.status !== 0) return null;
  return parseLddOutput(r.stdout);
}
