/**
 * The CUDA provider check against the real onnxruntime-node installed here (CI installs it with
 * ONNXRUNTIME_NODE_INSTALL=skip, so the provider is absent) and against folders holding the two
 * provider libraries or only one of them.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CUDA_PROVIDER_INSTALL_COMMAND, CUDA_PROVIDER_LIBRARIES, cudaProviderProblem, ortBinaryDir } from './cudaProvider';

const onLinuxX64 = process.platform === 'linux' && process.arch === 'x64';

describe('cudaProviderProblem', () => {
  it('finds onnxruntime-node’s binding folder', () => {
    const dir = ortBinaryDir();
    expect(dir).toContain(['onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch].join(sep));
    expect(existsSync(join(dir!, 'onnxruntime_binding.node'))).toBe(true);
  });

  it.runIf(onLinuxX64)('checks the real installed package: names its folder and the install command when the provider is absent', () => {
    const dir = ortBinaryDir()!;
    const installed = CUDA_PROVIDER_LIBRARIES.every((f) => existsSync(join(dir, f)));
    const problem = cudaProviderProblem();
    if (installed) {
      expect(problem).toBeNull();
    } else {
      expect(problem).toContain(`ONNX Runtime's CUDA provider is not installed: ${dir} has no `);
      expect(problem).toContain(CUDA_PROVIDER_INSTALL_COMMAND);
      expect(problem).toMatch(/ONNXRUNTIME_NODE_INSTALL=skip/);
      expect(problem).toMatch(/Microsoft\.ML\.OnnxRuntime\.Gpu\.Linux 1\.29\.0, for CUDA 12 and cuDNN 9/);
    }
  });

  it('is satisfied by a folder holding both provider libraries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-ortbin-'));
    for (const f of CUDA_PROVIDER_LIBRARIES) writeFileSync(join(dir, f), '');
    expect(cudaProviderProblem({ dir, platform: 'linux', arch: 'x64' })).toBeNull();
  });

  it('names only the library that is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-ortbin-'));
    writeFileSync(join(dir, 'libonnxruntime_providers_shared.so'), '');
    const problem = cudaProviderProblem({ dir, platform: 'linux', arch: 'x64' });
    expect(problem).toContain(`${dir} has no libonnxruntime_providers_cuda.so. `);
    expect(problem).not.toContain('no libonnxruntime_providers_shared.so');
  });

  it('says the provider does not exist for other platforms, whatever the folder holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-ortbin-'));
    for (const f of CUDA_PROVIDER_LIBRARIES) writeFileSync(join(dir, f), '');
    expect(cudaProviderProblem({ dir, platform: 'win32', arch: 'x64' })).toMatch(/^ONNX Runtime's CUDA provider is not available on win32-x64: onnxruntime-node 1\.29\.0 provides it for Linux x64 only\./);
    expect(cudaProviderProblem({ dir, platform: 'linux', arch: 'arm64' })).toMatch(/not available on linux-arm64/);
  });
});
