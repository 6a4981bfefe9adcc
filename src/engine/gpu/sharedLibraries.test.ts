/**
 * Reading ldd: the parser on ldd's real output format, and linkedLibraries on real libraries —
 * ONNX Runtime's own (everything found) and one built here whose dependency was deleted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ortBinaryDir } from './cudaProvider';
import { linkedLibraries, parseLddOutput } from './sharedLibraries';

// `ldd libonnxruntime_providers_cuda.so` on a machine with cuDNN 9 but no CUDA 13 libraries
const LDD_PROVIDER = `	linux-vdso.so.1 (0x00007ffd6b5f2000)
	libcublasLt.so.13 => not found
	libcublas.so.13 => not found
	libcudnn.so.9 => /lib/x86_64-linux-gnu/libcudnn.so.9 (0x00007f3c1e400000)
	libcurand.so.10 => not found
	libcufft.so.12 => not found
	libcudart.so.13 => not found
	libstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f3c1e000000)
	libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3c1de1f000)
	/lib64/ld-linux-x86-64.so.2 (0x00007f3c2f6c1000)
`;

describe('parseLddOutput', () => {
  it('lists each needed library with where it was found, null for "not found"', () => {
    const libs = parseLddOutput(LDD_PROVIDER);
    expect(libs.filter((l) => l.path === null).map((l) => l.name)).toEqual(['libcublasLt.so.13', 'libcublas.so.13', 'libcurand.so.10', 'libcufft.so.12', 'libcudart.so.13']);
    expect(libs.find((l) => l.name === 'libcudnn.so.9')?.path).toBe('/lib/x86_64-linux-gnu/libcudnn.so.9');
    expect(libs.some((l) => l.name.startsWith('linux-vdso'))).toBe(false);
  });
});

const hasGcc = process.platform === 'linux' && spawnSync('gcc', ['--version']).status === 0;

describe.runIf(process.platform === 'linux')('linkedLibraries', () => {
  it('finds every dependency of ONNX Runtime’s own library', () => {
    const libs = linkedLibraries(join(ortBinaryDir()!, 'libonnxruntime.so.1'));
    expect(libs).not.toBeNull();
    expect(libs!.map((l) => l.name)).toContain('libstdc++.so.6');
    expect(libs!.filter((l) => l.path === null)).toEqual([]);
  });

  it.runIf(hasGcc)('reports a dependency that was deleted as not found (library built here with gcc)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-ldd-'));
    writeFileSync(join(dir, 'dep.c'), 'int dep(void) { return 1; }\n');
    writeFileSync(join(dir, 'prov.c'), 'int dep(void);\nint f(void) { return dep(); }\n');
    const gcc = (args: string[]) => expect(spawnSync('gcc', args, { cwd: dir, encoding: 'utf8' }).status).toBe(0);
    gcc(['-shared', '-fPIC', '-o', 'libfakecublasLt.so.13', '-Wl,-soname,libfakecublasLt.so.13', 'dep.c']);
    gcc(['-shared', '-fPIC', '-o', 'libprov.so', 'prov.c', '-L.', '-l:libfakecublasLt.so.13']);
    expect(linkedLibraries(join(dir, 'libprov.so'), { ...process.env, LD_LIBRARY_PATH: dir })).toContainEqual({ name: 'libfakecublasLt.so.13', path: join(dir, 'libfakecublasLt.so.13') });
    rmSync(join(dir, 'libfakecublasLt.so.13'));
    expect(linkedLibraries(join(dir, 'libprov.so'))).toContainEqual({ name: 'libfakecublasLt.so.13', path: null });
  });

  it('returns null for a file that is not a library', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-ldd-'));
    writeFileSync(join(dir, 'libnot.so'), 'not an ELF file');
    expect(linkedLibraries(join(dir, 'libnot.so'))).toBeNull();
  });
});
