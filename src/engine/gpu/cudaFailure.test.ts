/**
 * Each CUDA failure users hit, as ONNX Runtime actually words it (messages quoted from public bug
 * reports, source in the comment; host names as reported), becomes one StudioError with the fix.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { CUDA_PROVIDER_LIBRARIES, ortBinaryDir } from './cudaProvider';
import { explainCudaFailure, installedCudaToolkits, type CudaFailureContext } from './cudaFailure';

const ctx = (extra: Partial<CudaFailureContext> = {}): CudaFailureContext => ({ what: 'the transformer', probe: { env: {}, toolkitRoot: emptyDir() }, ...extra });
function emptyDir(): string {
  return mkdtempSync(join(tmpdir(), 'fw-cudafail-'));
}
function explain(message: string, extra: Partial<CudaFailureContext> = {}): StudioError {
  const e = explainCudaFailure(new Error(message), ctx(extra));
  expect(e, message).toBeInstanceOf(StudioError);
  return e!;
}

// hacksider/Deep-Live-Cam#584 (Windows build of ORT)
const OOM_CUDA_CALL =
  '[ONNXRuntimeError] : 1 : FAIL : D:\\a\\_work\\1\\s\\onnxruntime\\core\\providers\\cuda\\cuda_call.cc:121 onnxruntime::CudaCall D:\\a\\_work\\1\\s\\onnxruntime\\core\\providers\\cuda\\cuda_call.cc:114 onnxruntime::CudaCall CUDA failure 2: out of memory ; GPU=0 ; hostname=DESKTOP-QUBEI ; file=D:\\a\\_work\\1\\s\\onnxruntime\\core\\providers\\cuda\\cuda_stream_handle.cc ; line=175 ; expr=cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking); ';
// microsoft/onnxruntime#20038
const OOM_ARENA =
  "Non-zero status code returned while running Mul node. Name:'Mul_8702' Status Message: /workspace/onnxruntime/onnxruntime/core/framework/bfc_arena.cc:368 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 2830172160";
// hacksider/Deep-Live-Cam#645
const OOM_CUBLAS =
  "Non-zero status code returned while running Gemm node. Name:'fc1' Status Message: D:\\a\\_work\\1\\s\\onnxruntime\\core\\providers\\cuda\\cuda_call.cc:121 onnxruntime::CudaCall D:\\a\\_work\\1\\s\\onnxruntime\\core\\providers\\cuda\\cuda_call.cc:114 onnxruntime::CudaCall CUBLAS failure 3: CUBLAS_STATUS_ALLOC_FAILED ; GPU=0 ; hostname=TOBI ; file=D:\\a\\_work\\1\\s\\onnxruntime\\core\\providers\\cuda\\cuda_execution_provider.cc ; line=168 ; expr=cublasCreate(&cublas_handle_); ";
// microsoft/onnxruntime#22702 (a shape bug: the size is garbage)
const OOM_ABSURD =
  "Non-zero status code returned while running Conv node. Name:'/patch_embed/stages/stages.0/blocks/blocks.0/mlp/fc1/Conv' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 4585490524328388608";
// pykeio/ort#548 (CUDA 13 installed, provider built for CUDA 12)
const CUBLAS_12_MISSING =
  '/home/runner/work/ort-artifacts/ort-artifacts/onnxruntime/onnxruntime/core/session/provider_bridge_ort.cc:1952 Provider &onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /home/meh/devel/ort-cuda-13-fail/target/debug/libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory\n';
// Gourieff/sd-webui-reactor#503
const CUDNN_MISSING = 'FAIL : Failed to load library libonnxruntime_providers_cuda.so with error: libcudnn.so.9: cannot open shared object file: No such file or directory';
// onnxruntime/mobius#316 (CUDA 13 build of ORT on an older driver)
const OLD_DRIVER =
  'EP Error /onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:122 std::conditional_t<THRW, void, onnxruntime::common::Status> onnxruntime::CudaCall(ERRTYPE, const char*, const char*, SUCCTYPE, const char*, const char*, int) [with ERRTYPE = cudaError; bool THRW = true; SUCCTYPE = cudaError; std::conditional_t<THRW, void, common::Status> = void] CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version ; GPU=-1 ; hostname=c4327188c000000 ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=336 ; expr=cudaSetDevice(info_.device_id); ';
// deepinsight/insightface#2524
const NO_DEVICE =
  'EP Error /onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:121 std::conditional_t<THRW, void, onnxruntime::common::Status> onnxruntime::CudaCall(ERRTYPE, const char*, const char*, ERRTYPE, const char*, const char*, int) [with ERRTYPE = cudaError; bool THRW = true; std::conditional_t<THRW, void, onnxruntime::common::Status> = void] CUDA failure 100: no CUDA-capable device is detected ; GPU=32712 ; hostname=HOME-PC ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=245 ; expr=cudaSetDevice(info_.device_id);';
// itsnine/yolov5-onnxruntime#20
const BAD_ORDINAL =
  '/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:121 bool onnxruntime::CudaCall(ERRTYPE, const char*, const char*, ERRTYPE, const char*) [with ERRTYPE = cudaError; bool THRW = true] /onnxruntime_src/onnxruntime/core/providers/cuda/cuda_call.cc:115 bool onnxruntime::CudaCall(ERRTYPE, const char*, const char*, ERRTYPE, const char*) [with ERRTYPE = cudaError; bool THRW = true] CUDA failure 101: invalid device ordinal ; GPU=0 ; hostname=4dbec2b03d4e ; expr=cudaSetDevice(info_.device_id);';
// what onnxruntime-node 1.29.0 throws here (no provider installed), and what ORT logs meanwhile
const NODE_LOAD_FAILED = 'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library';
const SHARED_MISSING_LOG =
  '/onnxruntime_src/onnxruntime/core/session/provider_bridge_ort.cc:1988 onnxruntime::Provider& onnxruntime::ProviderLibrary::Get() [ONNXRuntimeError] : 1 : FAIL : Failed to load library /opt/fw/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so with error: /opt/fw/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime_providers_shared.so: cannot open shared object file: No such file or directory';

describe('out of GPU memory', () => {
  it('names what ran out and suggests the next memory mode, with how to select it', () => {
    const e = explain(OOM_CUDA_CALL, { memoryMode: 'gpu', deviceId: 0 });
    expect(e.code).toBe('GPU_OUT_OF_MEMORY');
    expect(e.message).toMatch(/^The transformer ran out of GPU memory on GPU 0\. Switch to the memory mode "Text encoder unloaded after encoding" \(--memory-mode unload-text-encoder, or Memory mode in the studio's model panel\)/);
  });

  it('quotes the size the arena asked for (ORT arena message)', () => {
    const e = explain(OOM_ARENA, { memoryMode: 'text-encoder-cpu' });
    expect(e.code).toBe('GPU_OUT_OF_MEMORY');
    expect(e.message).toMatch(/ran out of GPU memory \(it asked for 2\.8 GB more\)\. Switch to the memory mode "Text encoder, VAE and decoder on the CPU" \(--memory-mode low-vram/);
  });

  it('recognises cuBLAS failing to allocate its workspace', () => {
    expect(explain(OOM_CUBLAS, { memoryMode: 'unload-text-encoder' }).message).toMatch(/--memory-mode text-encoder-cpu/);
    // and the other knob that bounds ORT's arenas
    expect(explain(OOM_CUBLAS, { memoryMode: 'unload-text-encoder' }).message).toMatch(/a few frames at a time \(--frames-per-call 4\)/);
  });

  it('at the smallest mode, suggests a smaller generation instead', () => {
    const e = explain(OOM_ABSURD, { memoryMode: 'low-vram', what: 'the recon decoder' });
    expect(e.message).toMatch(/^The recon decoder ran out of GPU memory\. This is already the smallest memory mode \("Text encoder, VAE and decoder on the CPU"\): generate at a lower resolution or with fewer frames/);
    expect(e.message).not.toMatch(/asked for/);
  });

  it('without a known mode, points at `flashworld devices`', () => {
    expect(explain(OOM_CUDA_CALL).message).toMatch(/Choose a memory mode that keeps less on the GPU \(`flashworld devices` shows which fit\)/);
  });

  it('finds the CUDA error inside a StudioError that wraps it', () => {
    const wrapped = new StudioError('RUNTIME_FAILED', 'The transformer failed.', { cause: new Error(OOM_CUDA_CALL) });
    const e = explainCudaFailure(wrapped, ctx({ memoryMode: 'gpu' }));
    expect(e?.code).toBe('GPU_OUT_OF_MEMORY');
    expect(e?.cause).toBe(wrapped);
  });

  it('leaves an arena failure of a network that ran on the CPU alone (host memory)', () => {
    expect(explainCudaFailure(new Error(OOM_ARENA), ctx({ device: 'cpu' }))).toBeNull();
    expect(explainCudaFailure(new Error(OOM_CUDA_CALL), ctx({ device: 'cpu' }))?.code).toBe('GPU_OUT_OF_MEMORY');
  });
});

describe('CUDA libraries missing', () => {
  it('names the library and the CUDA major the provider was built for, and notices another major is installed', () => {
    const toolkitRoot = emptyDir();
    mkdirSync(join(toolkitRoot, 'cuda-13.1'));
    const e = explain(CUBLAS_12_MISSING, { probe: { env: {}, toolkitRoot } });
    expect(e.code).toBe('CUDA_LIBRARY_MISSING');
    expect(e.message).toMatch(/^The transformer could not start on the GPU: ONNX Runtime's CUDA provider needs libcublasLt\.so\.12, which the system can't find\. It was built for CUDA 12 and cuDNN 9\. Installed here: CUDA 13\.1 \(.*\)\. Other major versions don't provide CUDA 12's libraries\./);
    expect(e.message).toMatch(/install the CUDA 12 runtime libraries .*add the folder that holds it to LD_LIBRARY_PATH \(for the toolkit: \/usr\/local\/cuda-12\/lib64\)/);
  });

  it('points at the installed toolkit of the right major', () => {
    const toolkitRoot = emptyDir();
    for (const v of ['12.8', '13.0']) mkdirSync(join(toolkitRoot, `cuda-${v}`));
    const e = explain('libcublasLt.so.13: cannot open shared object file: No such file or directory', { probe: { env: {}, toolkitRoot } });
    expect(e.message).toContain(`It was built for CUDA 13 and cuDNN 9. Installed here: CUDA 12.8, 13.0 (${toolkitRoot}). Fix: install the CUDA 13 runtime libraries`);
    expect(e.message).toContain(`add the folder that holds it to LD_LIBRARY_PATH: ${join(toolkitRoot, 'cuda-13.0', 'lib64')}.`);
  });

  it('asks for cuDNN 9 when libcudnn.so.9 is missing', () => {
    const e = explain(CUDNN_MISSING);
    expect(e.code).toBe('CUDA_LIBRARY_MISSING');
    expect(e.message).toMatch(/needs libcudnn\.so\.9, .* Fix: install cuDNN 9/);
    expect(e.message).not.toMatch(/cuBLAS/);
  });

  it('lists installed toolkits in version order', () => {
    const root = emptyDir();
    for (const d of ['cuda-12.8', 'cuda-13.0', 'cuda-12.10', 'cuda', 'bin']) mkdirSync(join(root, d));
    expect(installedCudaToolkits(root)).toEqual(['12.8', '12.10', '13.0']);
  });
});

describe('NVIDIA driver missing or unusable', () => {
  it('driver too old for the provider’s CUDA', () => {
    const e = explain(OLD_DRIVER);
    expect(e.code).toBe('CUDA_DRIVER_MISSING');
    expect(e.message).toMatch(/driver is missing or too old .* \(580 or newer for CUDA 13, 525 or newer for CUDA 12\)/);
  });

  it('no CUDA-capable device, mentioning CUDA_VISIBLE_DEVICES when set', () => {
    const e = explain(NO_DEVICE, { probe: { env: { CUDA_VISIBLE_DEVICES: '' } } });
    expect(e.code).toBe('CUDA_DRIVER_MISSING');
    expect(e.message).toMatch(/CUDA sees no GPU .* CUDA_VISIBLE_DEVICES is set to "": it may hide every GPU\. .*--gpus all/);
  });

  it('libcuda.so.1 absent: the driver is not installed', () => {
    const e = explain('Failed to load library libonnxruntime_providers_cuda.so with error: libcuda.so.1: cannot open shared object file: No such file or directory');
    expect(e.code).toBe('CUDA_DRIVER_MISSING');
    expect(e.message).toMatch(/the NVIDIA driver is not installed \(its libcuda\.so\.1 is missing\)/);
  });
});

describe('invalid device id', () => {
  it('names the id and how many GPUs there are', () => {
    const e = explain(BAD_ORDINAL, { deviceId: 3, gpuCount: 2 });
    expect(e.code).toBe('GPU_UNAVAILABLE');
    expect(e.message).toBe('There is no GPU 3: this machine has 2 NVIDIA GPUs, numbered 0 to 1. Pick one that `flashworld devices` lists (--device N, or the GPU setting in the studio).');
  });

  it('explains CUDA_VISIBLE_DEVICES renumbering', () => {
    expect(explain(BAD_ORDINAL, { deviceId: 1, gpuCount: 4, probe: { env: { CUDA_VISIBLE_DEVICES: '2' } } }).message).toMatch(
      /There is no GPU 1: this machine has 4 NVIDIA GPUs, numbered 0 to 3\. CUDA_VISIBLE_DEVICES="2" is set, so CUDA numbers only those GPUs, from 0\./,
    );
  });
});

describe('CUDA provider missing', () => {
  it('the provider_shared library could not be opened (ORT’s own log line)', () => {
    const dir = emptyDir();
    const e = explain(SHARED_MISSING_LOG, { probe: { env: {}, providerDir: dir } });
    expect(e.code).toBe('CUDA_PROVIDER_MISSING');
    expect(e.message).toContain(`${dir} has no libonnxruntime_providers_cuda.so and no libonnxruntime_providers_shared.so`);
  });

  it.runIf(process.platform === 'linux' && process.arch === 'x64')('onnxruntime-node’s bare "Failed to load shared library", checked against the real package here', () => {
    const dir = ortBinaryDir()!;
    const installed = CUDA_PROVIDER_LIBRARIES.every((f) => existsSync(join(dir, f)));
    const e = explain(NODE_LOAD_FAILED);
    if (!installed) {
      expect(e.code).toBe('CUDA_PROVIDER_MISSING');
      expect(e.message).toContain(dir);
    } else expect(['CUDA_LIBRARY_MISSING', 'CUDA_DRIVER_MISSING']).toContain(e.code);
  });

  it('a build without the CUDA provider (onnxruntime-node on macOS/Windows)', () => {
    const dir = emptyDir();
    for (const f of CUDA_PROVIDER_LIBRARIES) writeFileSync(join(dir, f), '');
    const e = explain("Invalid argument: sessionOptions.executionProviders[0] is unsupported: 'cuda'.", { probe: { env: {}, providerDir: dir } });
    expect(e.code).toBe('CUDA_PROVIDER_MISSING');
  });
});

const hasGcc = process.platform === 'linux' && spawnSync('gcc', ['--version']).status === 0;

describe.runIf(hasGcc)('bare "Failed to load shared library" with the provider installed', () => {
  it('asks the loader which CUDA library is missing (provider built here with gcc against a deleted libcublasLt)', () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'dep.c'), 'int dep(void) { return 1; }\n');
    writeFileSync(join(dir, 'prov.c'), 'int dep(void);\nint f(void) { return dep(); }\n');
    const gcc = (args: string[]) => expect(spawnSync('gcc', args, { cwd: dir, encoding: 'utf8' }).status).toBe(0);
    // a CUDA major no machine has, so the loader can't find it anywhere
    gcc(['-shared', '-fPIC', '-o', 'libcublasLt.so.99', '-Wl,-soname,libcublasLt.so.99', 'dep.c']);
    gcc(['-shared', '-fPIC', '-o', CUDA_PROVIDER_LIBRARIES[0], 'prov.c', '-L.', '-l:libcublasLt.so.99']);
    writeFileSync(join(dir, CUDA_PROVIDER_LIBRARIES[1]), '');
    rmSync(join(dir, 'libcublasLt.so.99'));
    const e = explain(NODE_LOAD_FAILED, { probe: { env: {}, providerDir: dir, toolkitRoot: emptyDir() } });
    expect(e.code).toBe('CUDA_LIBRARY_MISSING');
    expect(e.message).toMatch(/needs libcublasLt\.so\.99, which the system can't find\. It was built for CUDA 99 and cuDNN 9\./);
  });
});

describe('anything else', () => {
  it('returns null for errors that are not CUDA failures', () => {
    const shape = "Non-zero status code returned while running Reshape node. Name:'/Reshape' Status Message: The input tensor cannot be reshaped to the requested shape. Input shape:{1,3}, requested shape:{4}";
    expect(explainCudaFailure(new Error(shape), ctx())).toBeNull();
    expect(explainCudaFailure(new StudioError('INVALID_REQUEST', 'The request has no prompt.'), ctx())).toBeNull();
    expect(explainCudaFailure(undefined, ctx())).toBeNull();
  });

  it('returns a CUDA StudioError unchanged', () => {
    const already = new StudioError('GPU_OUT_OF_MEMORY', 'The transformer ran out of GPU memory.');
    expect(explainCudaFailure(already, ctx())).toBe(already);
  });
});
