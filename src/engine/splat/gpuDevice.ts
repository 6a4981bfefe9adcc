/**
 * The one WebGPU device of the engine process, through Dawn for Node (`webgpu` package). Acquired
 * once and shared; limits are raised to what the adapter offers, because 4 M Gaussians need
 * storage bindings far beyond WebGPU's 128 MiB default on real GPUs.
 */
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, globals } from 'webgpu';
import { StudioError } from '../../shared/errors';

export interface SplatGpu {
  /**
   * Dawn's instance must outlive every device made from it: if the `GPU` object is garbage
   * collected, the device's memory is freed under running work and the process crashes.
   */
  instance: GPU;
  device: GPUDevice;
  /** Set when the driver drops the device (reset, removal); a new one must be opened. */
  lostReason: string | undefined;
  /** Driver's description, e.g. "llvmpipe (LLVM 19…)" or "NVIDIA H100". */
  adapterDescription: string;
  /** Bytes one storage binding may span, and one buffer may hold. */
  maxBindingBytes: number;
  maxBufferBytes: number;
  maxWorkgroupsPerDimension: number;
  usage: { storage: number; uniform: number; copySrc: number; copyDst: number; mapRead: number };
  mapModeRead: number;
}

const MISSING_DRIVER_HINT =
  'Install a Vulkan driver: on Debian/Ubuntu `apt-get install mesa-vulkan-drivers libvulkan1` ' +
  '(Mesa ≥ 24 for the CPU fallback; on Debian 12 take it from bookworm-backports) or the GPU vendor\'s driver; ' +
  'on Windows and macOS the system driver (D3D12 / Metal) is used.';

let pending: Promise<SplatGpu> | undefined;

/** The shared device; the first call creates it. A failed attempt or a lost device is not kept. */
export async function acquireSplatGpu(): Promise<SplatGpu> {
  if (pending) {
    const gpu = await pending.catch(() => undefined);
    if (gpu?.lostReason !== undefined) pending = undefined;
  }
  if (!pending) {
    pending = openSplatGpu().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
  }
  return pending;
}

/**
 * A new device (not shared). `dawnOptions` are Dawn's `create()` switches, e.g. `backend=vulkan`
 * or `adapter=<name>`; tests use an adapter name that does not exist.
 */
export async function openSplatGpu(dawnOptions: string[] = []): Promise<SplatGpu> {
  // Dawn's Vulkan loader complains on stderr without a runtime dir (headless CI, services).
  if (process.platform === 'linux' && !process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), `flashworld-xdg-${process.getuid?.() ?? 'user'}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  let adapter: GPUAdapter | null;
  let instance: GPU;
  try {
    instance = create(dawnOptions);
    adapter = await instance.requestAdapter({ powerPreference: 'high-performance' });
  } catch (cause) {
    throw new StudioError('GPU_UNAVAILABLE', `WebGPU (Dawn) could not start: ${String(cause)}. ${MISSING_DRIVER_HINT}`, { cause });
  }
  if (!adapter) {
    throw new StudioError('GPU_UNAVAILABLE', `No WebGPU adapter was found, so splats cannot be rendered. ${MISSING_DRIVER_HINT}`);
  }
  const limits = adapter.limits;
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({
      requiredLimits: {
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxStorageBuffersPerShaderStage: Math.min(limits.maxStorageBuffersPerShaderStage, 10),
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      },
    });
  } catch (cause) {
    throw new StudioError('GPU_UNAVAILABLE', `The WebGPU adapter refused to create a device: ${String(cause)}. ${MISSING_DRIVER_HINT}`, { cause });
  }
  const info = adapter.info;
  const g = globals as { GPUBufferUsage: Record<string, number>; GPUMapMode: Record<string, number> };
  const gpu: SplatGpu = {
    instance,
    device,
    lostReason: undefined,
    adapterDescription: [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown adapter',
    maxBindingBytes: device.limits.maxStorageBufferBindingSize,
    maxBufferBytes: device.limits.maxBufferSize,
    maxWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    usage: {
      storage: g.GPUBufferUsage.STORAGE,
      uniform: g.GPUBufferUsage.UNIFORM,
      copySrc: g.GPUBufferUsage.COPY_SRC,
      copyDst: g.GPUBufferUsage.COPY_DST,
      mapRead: g.GPUBufferUsage.MAP_READ,
    },
    mapModeRead: g.GPUMapMode.READ,
  };
  void device.lost.then((lost) => {
    gpu.lostReason = lost.message || String(lost.reason);
  });
  return gpu;
}
