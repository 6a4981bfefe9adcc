import { describe, expect, it } from 'vitest';
import { describeExit } from './engineSupervisor';

describe('crash reasons', () => {
  it('name the signal or exit code and quote the last meaningful stderr lines', () => {
    expect(describeExit({ code: null, signal: 'SIGKILL' }, '')).toBe('The engine process was killed (SIGKILL)');
    expect(describeExit({ code: 134, signal: null }, 'loading\nterminate called: CUDA error: out of memory\n')).toBe(
      'The engine process exited with code 134: loading / terminate called: CUDA error: out of memory',
    );
  });

  it('skip routine warnings that say nothing about the crash', () => {
    const tail = 'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced\nWarning: maxDynamicStorageBuffers reduced\n';
    expect(describeExit({ code: null, signal: 'SIGKILL' }, tail)).toBe('The engine process was killed (SIGKILL)');
  });
});
