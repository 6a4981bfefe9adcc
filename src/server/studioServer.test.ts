import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import WebSocket from 'ws';
import { StudioService } from '../engine/service/studioService';
import { fakeEngineLauncher } from '../../test/helpers/fakeEngineLauncher';
import { startStudioServer, type RunningServer } from './studioServer';
import { createWsStudioApi, type WsStudioApi } from '../renderer/src/api/wsTransport';
import { encodeFrame } from '../shared/api/binaryCodec';
import { decodePly } from '../engine/splat/ply';
import type { StudioEvent } from '../shared/api/events';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fw-server-'));
  const rendererDir = join(dataDir, 'renderer');
  mkdirSync(join(rendererDir, 'assets'), { recursive: true });
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>studio</title>');
  writeFileSync(join(rendererDir, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dataDir, 'secret.txt'), 'secret');
  const { launcher } = fakeEngineLauncher();
  const service = new StudioService({ dataDir, examplesDir: resolve('examples'), launcher, shell: 'serve' });
  await service.start();
  cleanups.push(() => service.stop());
  const server = await startStudioServer({ service, rendererDir, projectsDir: join(dataDir, 'projects'), token: 'tok-123' });
  cleanups.push(() => server.close());
  return { server, service, dataDir };
}

function client(server: RunningServer, token = server.token): WsStudioApi {
  const origin = `http://127.0.0.1:${server.port}`;
  const api = createWsStudioApi({
    url: `ws://127.0.0.1:${server.port}/ws?token=${token}`,
    createSocket: (url) => new WebSocket(url, { origin }) as never,
    shell: { pickFile: async () => null, saveFile: async () => ({ saved: false, path: null }) },
    reconnectDelayMs: 50,
  });
  cleanups.push(() => api.close());
  return api;
}

const camera = { quaternion: [1, 0, 0, 0] as [number, number, number, number], fx: 48, fy: 48, cx: 48, cy: 32 };
const settings = {
  request: { text_prompt: 'x', cameras: [{ ...camera, position: [0, 0, 0] as [number, number, number] }, { ...camera, position: [0, 0, -1] as [number, number, number] }], resolution: [4, 64, 96] as [number, number, number] },
  seed: 5,
  model: 'test',
};

describe('serve mode', () => {
  it('serves the page only with the token, assets without it, nothing outside the renderer', async () => {
    const { server } = await setup();
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/`)).status).toBe(403);
    const page = await fetch(server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("'wasm-unsafe-eval'");
    expect((await fetch(`${base}/assets/app.js`)).status).toBe(200);
    expect((await fetch(`${base}/..%2Fsecret.txt`)).status).toBe(404);
  });

  it('refuses WebSockets with a wrong token or a foreign origin', async () => {
    const { server } = await setup();
    const attempt = (url: string, origin: string) =>
      new Promise<string>((res) => {
        const ws = new WebSocket(url, { origin });
        ws.on('open', () => (ws.close(), res('open')));
        ws.on('error', () => res('refused'));
      });
    const good = `http://127.0.0.1:${server.port}`;
    expect(await attempt(`ws://127.0.0.1:${server.port}/ws?token=nope`, good)).toBe('refused');
    expect(await attempt(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, 'http://evil.example')).toBe('refused');
    expect(await attempt(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, good)).toBe('open');
  });

  it('the WebSocket transport runs a job end to end: events, then the PLY as binary', async () => {
    const { server } = await setup();
    const api = client(server);
    const events: StudioEvent[] = [];
    api.onEvent((e) => events.push(e));
    const job = await api.enqueue(settings);
    expect(job.status).toBe('queued');
    await new Promise<void>((res) => {
      const off = api.onEvent((e) => e.type === 'job' && e.job.id === job.id && e.job.status === 'done' && (off(), res()));
    });
    expect(events.some((e) => e.type === 'job' && e.job.status === 'running' && e.job.progress)).toBe(true);
    const ply = await api.getResultBytes(job.id, 'ply');
    expect(ply).toBeInstanceOf(Uint8Array);
    expect(decodePly(ply).count).toBe(200);
    const snapshot = await api.getSnapshot();
    expect(snapshot.jobs[0].result!.splatCount).toBe(200);
  });

  it('malformed calls come back as INVALID_MESSAGE errors, and the connection stays usable', async () => {
    const { server } = await setup();
    const api = client(server);
    await expect(api.cancelJob('../x' as string)).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    await expect(api.enqueue({ ...settings, seed: -3 })).rejects.toMatchObject({ code: 'INVALID_MESSAGE' });
    const raw = await new Promise<unknown>((res) => {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws?token=${server.token}`, { origin: `http://127.0.0.1:${server.port}` });
      ws.on('open', () => ws.send(encodeFrame({ kind: 'call', id: 9, method: 'getSnapshot', args: 'not-an-array' })));
      ws.on('message', (d) => (res(d), ws.close()));
    });
    expect(raw).toBeDefined();
    expect((await api.getSnapshot()).engine.model).toBe('test');
  });

  it('saves projects only inside its projects folder and opens only from there', async () => {
    const { server, dataDir } = await setup();
    const api = client(server);
    const document = { name: '../../escape', selectedJobId: null, prompt: { imageDataUrl: null, imageName: null, text: 't', imageIndex: 0, frames: 4, height: 64, width: 96, seed: 1, model: 'test', cameras: [] } };
    const saved = await api.saveProject({ document, path: '/etc/passwd', saveAs: false });
    expect(saved!.path.startsWith(join(dataDir, 'projects'))).toBe(true);
    await expect(api.openProject({ path: join(dataDir, 'secret.txt') })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const opened = await api.openProject({ path: saved!.path });
    expect(opened.document.name).toBe('../../escape');
  });
});
