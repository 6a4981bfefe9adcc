/**
 * nvidia-smi parsing on output in the exact format drivers print, and listGpus against real
 * executables: small shell scripts standing in for the system's nvidia-smi (one per situation
 * users hit: GPUs present, driver not loaded, no GPU, a hung driver, no driver at all).
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { listGpus, NVIDIA_SMI_QUERY_ARGS, parseCudaVersion, parseNvidiaSmiCsv } from './nvidiaSmi';

const MIB = 1024 * 1024;

// `nvidia-smi --query-gpu=index,name,memory.total,memory.used,memory.free,driver_version --format=csv,noheader,nounits`
const H200 = '0, NVIDIA H200, 143771, 0, 143156, 580.95.05\n';
const H100_X2 = '0, NVIDIA H100 80GB HBM3, 81559, 1, 80995, 580.82.07\n1, NVIDIA H100 80GB HBM3, 81559, 40321, 40675, 580.82.07\n';
const RTX_4090 = '0, NVIDIA GeForce RTX 4090, 24564, 1187, 22963, 580.76.05\r\n';

const BANNER = `Fri Nov 28 11:02:41 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.95.05              Driver Version: 580.95.05      CUDA Version: 13.0     |
+-----------------------------------------+------------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |
|   0  NVIDIA H200                    On  |   00000000:19:00.0 Off |                    0 |
+-----------------------------------------+------------------------+----------------------+
`;

describe('parseNvidiaSmiCsv', () => {
  it('reads an H200 row in bytes (MiB × 2^20)', () => {
    expect(parseNvidiaSmiCsv(H200)).toEqual([
      { index: 0, name: 'NVIDIA H200', memoryTotalBytes: 143771 * MIB, memoryUsedBytes: 0, memoryFreeBytes: 143156 * MIB, driverVersion: '580.95.05', cudaVersion: null },
    ]);
  });

  it('reads two H100s, the second half used', () => {
    const gpus = parseNvidiaSmiCsv(H100_X2, '13.0');
    expect(gpus.map((g) => g.index)).toEqual([0, 1]);
    expect(gpus[1]).toMatchObject({ name: 'NVIDIA H100 80GB HBM3', memoryUsedBytes: 40321 * MIB, memoryFreeBytes: 40675 * MIB, cudaVersion: '13.0' });
  });

  it('reads Windows line endings (RTX 4090)', () => {
    expect(parseNvidiaSmiCsv(RTX_4090)).toMatchObject([{ index: 0, name: 'NVIDIA GeForce RTX 4090', memoryTotalBytes: 24564 * MIB, driverVersion: '580.76.05' }]);
  });

  it('keeps a name that contains commas, quoted or not', () => {
    expect(parseNvidiaSmiCsv('0, Tesla K80, rev A, 11441, 0, 11372, 470.239.06\n')[0]).toMatchObject({ name: 'Tesla K80, rev A', memoryTotalBytes: 11441 * MIB });
    expect(parseNvidiaSmiCsv('2, "NVIDIA A100, ""SXM4""", 81920, 0, 81050, 580.95.05\n')[0]).toMatchObject({ index: 2, name: 'NVIDIA A100, "SXM4"' });
  });

  it('turns [N/A] memory into NaN, and derives free from total − used when only free is missing', () => {
    const [unified] = parseNvidiaSmiCsv('0, NVIDIA GB10, [N/A], [N/A], [N/A], 580.95.05\n');
    expect(unified.name).toBe('NVIDIA GB10');
    expect(unified.memoryTotalBytes).toBeNaN();
    expect(unified.memoryFreeBytes).toBeNaN();
    const [partial] = parseNvidiaSmiCsv('0, NVIDIA L40S, 46068, 68, [N/A], 580.95.05\n');
    expect(partial.memoryFreeBytes).toBe((46068 - 68) * MIB);
  });

  it('skips lines that are not GPU rows', () => {
    const text = `WARNING: infoROM is corrupted at gpu 0000:01:00.0\n${H200}\n`;
    expect(parseNvidiaSmiCsv(text).map((g) => g.name)).toEqual(['NVIDIA H200']);
  });

  it('reads the CUDA version off the banner, null when absent', () => {
    expect(parseCudaVersion(BANNER)).toBe('13.0');
    expect(parseCudaVersion('| NVIDIA-SMI 580.95.05   Driver Version: 580.95.05   CUDA Version: N/A |')).toBeNull();
  });
});

/** Writes an executable shell script standing in for nvidia-smi. */
function fakeNvidiaSmi(body: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'fw-nvsmi-'));
  const file = join(dir, 'nvidia-smi');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

describe.skipIf(process.platform === 'win32')('listGpus against an nvidia-smi executable', () => {
  it('lists two GPUs with the CUDA version from the banner, passing the documented query', async () => {
    const smi = fakeNvidiaSmi(`if [ "$1" = "${NVIDIA_SMI_QUERY_ARGS[0]}" ] && [ "$2" = "${NVIDIA_SMI_QUERY_ARGS[1]}" ]; then
  cat <<'CSV'
${H100_X2}CSV
elif [ $# -eq 0 ]; then
  printf '%s\\n' "| NVIDIA-SMI 580.82.07    Driver Version: 580.82.07    CUDA Version: 13.0 |"
else
  echo "unexpected arguments: $*" >&2; exit 2
fi`);
    const { gpus, problem } = await listGpus({ nvidiaSmi: smi });
    expect(problem).toBeNull();
    expect(gpus).toHaveLength(2);
    expect(gpus[1]).toMatchObject({ index: 1, name: 'NVIDIA H100 80GB HBM3', memoryFreeBytes: 40675 * MIB, driverVersion: '580.82.07', cudaVersion: '13.0' });
  });

  it('keeps the GPUs when only the banner fails (cudaVersion null)', async () => {
    const smi = fakeNvidiaSmi(`[ $# -eq 0 ] && exit 3\nprintf '${H200.trimEnd()}\\n'`);
    const { gpus, problem } = await listGpus({ nvidiaSmi: smi });
    expect(problem).toBeNull();
    expect(gpus).toMatchObject([{ name: 'NVIDIA H200', cudaVersion: null }]);
  });

  it('explains a driver that is installed but not loaded (exit 9, NVML message)', async () => {
    const smi = fakeNvidiaSmi(
      `echo "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running."\nexit 9`,
    );
    const { gpus, problem } = await listGpus({ nvidiaSmi: smi });
    expect(gpus).toEqual([]);
    expect(problem).toMatch(/^The NVIDIA driver is not loaded: .*Reboot/);
    expect(problem).toMatch(/--provider cpu/);
  });

  it('explains a driver/library version mismatch (reboot after an update)', async () => {
    const smi = fakeNvidiaSmi('echo "Failed to initialize NVML: Driver/library version mismatch" >&2\necho "NVML library version: 580.95" >&2\nexit 18');
    expect((await listGpus({ nvidiaSmi: smi })).problem).toMatch(/updated but the old one is still loaded.*Reboot/);
  });

  it('says the driver sees no GPU', async () => {
    const smi = fakeNvidiaSmi('echo "No devices were found"\nexit 6');
    expect((await listGpus({ nvidiaSmi: smi })).problem).toMatch(/^The NVIDIA driver is installed but sees no GPU \(nvidia-smi: "No devices were found"\)/);
    const empty = fakeNvidiaSmi('exit 0');
    expect((await listGpus({ nvidiaSmi: empty })).problem).toMatch(/^The NVIDIA driver is installed but sees no GPU\./);
  });

  it('quotes any other failure with its exit code and stderr', async () => {
    const smi = fakeNvidiaSmi('echo "Unable to determine the device handle for GPU0000:19:00.0: Unknown Error" >&2\nexit 15');
    expect((await listGpus({ nvidiaSmi: smi })).problem).toBe(
      'nvidia-smi failed (exit code 15): Unable to determine the device handle for GPU0000:19:00.0: Unknown Error. Check the NVIDIA driver installation, or run on the CPU (--provider cpu; much slower).',
    );
  });

  it('gives up on a hung nvidia-smi after the timeout', async () => {
    const smi = fakeNvidiaSmi('sleep 5');
    const t0 = Date.now();
    const { gpus, problem } = await listGpus({ nvidiaSmi: smi, timeoutMs: 300 });
    expect(Date.now() - t0).toBeLessThan(4000);
    expect(gpus).toEqual([]);
    expect(problem).toMatch(/^nvidia-smi did not answer within 0\.3 s/);
  });

  it('says no NVIDIA driver is installed when nvidia-smi does not exist', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'fw-nvsmi-')), 'nvidia-smi');
    const { gpus, problem } = await listGpus({ nvidiaSmi: missing });
    expect(gpus).toEqual([]);
    expect(problem).toMatch(/^No NVIDIA driver found: nvidia-smi is not installed \(or not on PATH\)\. Install the NVIDIA driver/);
  });
});
