import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from './binaryCodec';
import { STUDIO_METHOD_NAMES, studioMethods } from './methods';
import { errorToInfo, validateCall } from './protocol';
import { StudioError } from '../errors';
import { studioEventSchema } from './events';
import { STUDIO_METHOD_NAME_LIST } from './methodNames';

const request = {
  image_prompt: null,
  text_prompt: 'a forest',
  cameras: [
    { quaternion: [1, 0, 0, 0], position: [0, 0, 0], fx: 300, fy: 300, cx: 352, cy: 240 },
    { quaternion: [1, 0, 0, 0], position: [0, 0, -1], fx: 300, fy: 300, cx: 352, cy: 240 },
  ],
  resolution: [16, 480, 704],
  image_index: 0,
};

describe('binary frames', () => {
  it('carry Uint8Arrays as raw bytes beside the JSON header, nested anywhere', () => {
    const a = Uint8Array.from([1, 2, 3]);
    const b = new Uint8Array(1000).map((_, i) => i % 251);
    const frame = encodeFrame({ kind: 'reply', id: 7, value: { fileName: 'x.ply', bytes: a, more: [b, 'text'] } });
    // header + 1003 blob bytes: the payload is not inflated into JSON
    expect(frame.byteLength).toBeLessThan(1003 + 200);
    const back = decodeFrame(frame) as { value: { bytes: Uint8Array; more: [Uint8Array, string] } };
    expect(Array.from(back.value.bytes)).toEqual([1, 2, 3]);
    expect(back.value.more[0]).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.value.more[0])).toEqual(Array.from(b));
    expect(back.value.more[1]).toBe('text');
  });

  it('reject truncated frames and trailing garbage', () => {
    const frame = encodeFrame({ bytes: new Uint8Array(10) });
    expect(() => decodeFrame(frame.subarray(0, frame.byteLength - 1))).toThrow(/past the end/);
    const longer = new Uint8Array(frame.byteLength + 1);
    longer.set(frame);
    expect(() => decodeFrame(longer)).toThrow(/trailing/);
    expect(() => decodeFrame(Uint8Array.from([1, 0, 0]))).toThrow(StudioError);
  });
});

describe('call validation', () => {
  it('accepts a well-formed enqueue', () => {
    const [settings] = validateCall('enqueue', [{ request, seed: 42, model: 'test' }]);
    expect(settings.seed).toBe(42);
  });

  it.each([
    ['unknown method', 'rmrf', []],
    ['missing argument', 'enqueue', []],
    ['negative seed', 'enqueue', [{ request, seed: -1, model: 'test' }]],
    ['job id with a path in it', 'cancelJob', ['../../etc/passwd']],
    ['format not offered', 'getResultBytes', ['job1', 'obj']],
    ['bytes as a number array', 'openProject', [{ fileName: 'a.fwproj', bytes: [1, 2, 3] }]],
    ['extra argument', 'removeJob', ['job1', 'more']],
    ['file kind not offered', 'pickFile', ['executable']],
    ['memory mode not offered', 'setEngineSettings', [{ model: 'test', provider: 'cuda', deviceId: 0, memoryMode: 'turbo' }]],
    ['a model the engine cannot load', 'setEngineSettings', [{ model: '../x', provider: 'cpu', deviceId: 0, memoryMode: 'auto' }]],
    ['a device id that is not an index', 'setEngineSettings', [{ model: 'test', provider: 'cuda', deviceId: 1.5, memoryMode: 'gpu' }]],
    ['a download token with spaces', 'downloadModel', [{ token: 'hf_x; rm -rf' }]],
  ])('rejects %s with INVALID_MESSAGE', (_name, method, args) => {
    try {
      validateCall(method, args);
      expect.unreachable();
    } catch (e) {
      expect((e as StudioError).code).toBe('INVALID_MESSAGE');
    }
  });

  it('the preload\'s plain name list matches the contract', () => {
    expect([...STUDIO_METHOD_NAME_LIST].sort()).toEqual([...STUDIO_METHOD_NAMES].sort());
  });

  it('every method has an argument tuple and a result schema', () => {
    expect(STUDIO_METHOD_NAMES.length).toBeGreaterThan(10);
    for (const name of STUDIO_METHOD_NAMES) {
      expect(studioMethods[name].args.def.type).toBe('tuple');
      expect(typeof studioMethods[name].result.safeParse).toBe('function');
    }
  });

  it('turns foreign errors into INTERNAL and keeps StudioError codes', () => {
    expect(errorToInfo(new StudioError('NOT_FOUND', 'gone')).code).toBe('NOT_FOUND');
    expect(errorToInfo(new TypeError('x')).code).toBe('INTERNAL');
  });

  it('events are validated by type', () => {
    expect(studioEventSchema.safeParse({ type: 'menu', command: 'save-project' }).success).toBe(true);
    expect(studioEventSchema.safeParse({ type: 'menu', command: 'format-disk' }).success).toBe(false);
    const task = { id: 1, kind: 'download', state: 'running', startedAt: 0, finishedAt: null, unit: 'bytes', items: [], done: 5, total: 10, bytesPerSecond: 2, message: null, summary: null, problems: [], error: null };
    expect(studioEventSchema.safeParse({ type: 'modelTask', task }).success).toBe(true);
    expect(studioEventSchema.safeParse({ type: 'modelTask', task: { ...task, kind: 'format' } }).success).toBe(false);
    expect(studioEventSchema.safeParse({ type: 'engineSettings', settings: { model: 'test', provider: 'cpu', deviceId: 0, memoryMode: 'auto' } }).success).toBe(true);
  });
});
