/**
 * Is ONNX Runtime's CUDA execution provider installed next to onnxruntime-node's binding?
 *
 * onnxruntime-node's npm package ships the CPU runtime only; its postinstall script
 * (script/install.js + install-metadata.js of 1.29.0) downloads libonnxruntime_providers_cuda.so
 * and libonnxruntime_providers_shared.so from NuGet (Microsoft.ML.OnnxRuntime.Gpu.Linux, built
 * for CUDA 12 + cuDNN 9) into bin/napi-v6/linux/x64/, where ONNX Runtime looks for them. Offline
 * installs, ONNXRUNTIME_NODE_INSTALL=skip, and npm refusing install scripts leave them out.
 * The script knows one choice, `cuda12`, and only for linux/x64 (its requirements table; the
 * package README lists CUDA for Linux x64 only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const CUDA_PROVIDER_LIBRARIES = ['libonnxruntime_providers_cuda.so', 'libonnxruntime_providers_shared.so'] as const;

/** What the user runs to fetch the CUDA 12 provider (install.js reads ONNXRUNTIME_NODE_INSTALL). */
export const CUDA_PROVIDER_INSTALL_COMMAND = 'ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';

const USE_CPU = 'Until then, run on the CPU (--provider cpu; much slower).';

interface OrtPackage {
  root: string;
  version: string;
}

function ortPackage(): OrtPackage | null {
  try {
    const pkgJson = createRequire(import.meta.url).resolve('onnxruntime-node/package.json');
    const version = (JSON.parse(readFileSync(pkgJson, 'utf8')) as { version?: string }).version ?? 'unknown';
    return { root: dirname(pkgJson), version };
  } catch {
    return null;
  }
}

/** The folder holding onnxruntime-node's binding for this platform (where the provider must be), or null if the package is missing. */
export function ortBinaryDir(platform: string = process.platform, arch: string = process.arch): string | null {
  const pkg = ortPackage();
  return pkg ? join(pkg.root, 'bin', 'napi-v6', platform, arch) : null;
}

export interface CudaProviderCheck {
  /** folder to check instead of onnxruntime-node's (tests, a relocated app) */
  dir?: string;
  platform?: string;
  arch?: string;
}

/**
 * Null when the CUDA provider's two libraries are in place; otherwise one paragraph saying what
 * is missing, why, and how to get it. (Whether the CUDA libraries they need load is only known
 * when a session is created: see explainCudaFailure.)
 */
export function cudaProviderProblem(opts: CudaProviderCheck = {}): string | null {
  const platform = opts.platform ?? process.platform;
  const arch = opts.arch ?? process.arch;
  const pkg = ortPackage();
  const version = pkg?.version ?? '1.29.0';
  if (platform !== 'linux' || arch !== 'x64') {
    return `ONNX Runtime's CUDA provider is not available on ${platform}-${arch}: onnxruntime-node ${version} provides it for Linux x64 only. Run on the CPU (--provider cpu), or use a Linux x64 machine with an NVIDIA GPU.`;
  }
  const dir = opts.dir ?? ortBinaryDir(platform, arch);
  if (!dir) return `onnxruntime-node is not installed, so neither the CPU nor the CUDA runtime can load. Run npm install in the studio's folder.`;
  const missing = CUDA_PROVIDER_LIBRARIES.filter((f) => !existsSync(join(dir, f)));
  if (!missing.length) return null;
  return (
    `ONNX Runtime's CUDA provider is not installed: ${dir} has no ${missing.join(' and no ')}. ` +
    `onnxruntime-node downloads them from NuGet when it is installed (Microsoft.ML.OnnxRuntime.Gpu.Linux ${version}, for CUDA 12 and cuDNN 9), ` +
    `which is skipped offline, with ONNXRUNTIME_NODE_INSTALL=skip, or when npm blocks install scripts. ` +
    `To get it, run \`${CUDA_PROVIDER_INSTALL_COMMAND}\` with internet access. ` +
    `For CUDA 13, copy both libraries of an ONNX Runtime ${version} build for CUDA 13 into that folder instead (the version must match exactly). ` +
    USE_CPU
  );
}
