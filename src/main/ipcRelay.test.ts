/**
 * Main-process checks with a mocked electron module: every IPC handler refuses a foreign sender
 * and malformed arguments before anything reaches the service; the window gets the security
 * checklist; navigation and new windows are blocked; dialogs cancel cleanly.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>();
vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => Promise<unknown>) => handlers.set(channel, fn),
    removeHandler: (channel: string) => handlers.delete(channel),
  },
  utilityProcess: { fork: vi.fn() },
}));

const { ipcMain } = await import('electron');
const { registerIpcHandlers, senderCheck, IPC_CALL_PREFIX } = await import('./ipcRelay');
const { secureWebPreferences, lockNavigation, applySessionSecurity } = await import('./windowSecurity');
const { electronShell } = await import('./dialogs');
const { menuTemplate } = await import('./menu');
const { STUDIO_METHOD_NAMES } = await import('../shared/api/methods');
const { createCallRouter } = await import('../engine/service/callRouter');
const { StudioService } = await import('../engine/service/studioService');
const { fakeEngineLauncher } = await import('../../test/helpers/fakeEngineLauncher');

const APP_URL = 'file:///app/out/renderer/index.html';
const WINDOW_ID = 7;
const trusted = { sender: { id: WINDOW_ID }, senderFrame: { url: APP_URL, parent: null } };
const foreignSenders = {
  'another webContents': { sender: { id: 99 }, senderFrame: { url: APP_URL, parent: null } },
  'a subframe': { sender: { id: WINDOW_ID }, senderFrame: { url: APP_URL, parent: {} } },
  'a page navigated elsewhere': { sender: { id: WINDOW_ID }, senderFrame: { url: 'https://evil.example/', parent: null } },
  'a destroyed frame': { sender: { id: WINDOW_ID }, senderFrame: null },
};

/** One malformed argument list per method (methods without arguments get an extra one). */
const MALFORMED: Record<string, unknown[]> = {
  getSnapshot: ['extra'],
  enqueue: [{ request: { cameras: 'none' }, seed: 1, model: 'test' }],
  cancelJob: [42],
  retryJob: ['a/b'],
  removeJob: [],
  getResultBytes: ['job1', 'exe'],
  getExportBytes: ['job1', 'docx'],
  listExamples: [1],
  listRecent: [null],
  newProject: [true],
  openProject: [{ url: 'http://x' }],
  saveProject: [{ document: {}, path: null, saveAs: false }],
  autosave: [{ name: '' }, null],
  getRecovery: ['x'],
  discardRecovery: [{}],
  pickFile: ['anything'],
  saveFile: [{ suggestedName: 'a.ply', bytes: 'AAAA', kind: 'ply' }],
  getModelState: [1],
  setEngineSettings: [{ model: 'test', provider: 'cuda', deviceId: -1, memoryMode: 'auto' }],
  downloadModel: [{ token: 'has spaces in it' }],
  verifyModel: ['now'],
  buildModelGraphs: [{ model: 'hub' }],
  cancelModelTask: [true],
};

const services: { stop(): void }[] = [];
afterEach(() => services.splice(0).forEach((s) => s.stop()));

async function setup() {
  handlers.clear();
  const { launcher } = fakeEngineLauncher();
  const service = new StudioService({ dataDir: mkdtempSync(join(tmpdir(), 'fw-main-')), examplesDir: resolve('examples'), launcher, shell: 'electron' });
  services.push(service);
  await service.start();
  const shell = { pickFile: vi.fn(async () => null), saveFile: vi.fn(async () => ({ saved: false, path: null })), chooseProjectPath: vi.fn(async () => null), mayOpenPath: () => true };
  const route = vi.fn(createCallRouter(service, shell));
  registerIpcHandlers(ipcMain, route, senderCheck(() => WINDOW_ID, (url) => url === APP_URL));
  return { route, shell, service };
}

describe('IPC relay', () => {
  it('registers one handler per StudioApi method', async () => {
    await setup();
    expect([...handlers.keys()].sort()).toEqual(STUDIO_METHOD_NAMES.map((m) => `${IPC_CALL_PREFIX}${m}`).sort());
  });

  it.each(STUDIO_METHOD_NAMES)('%s refuses every foreign sender before routing', async (method) => {
    const { route } = await setup();
    for (const [, event] of Object.entries(foreignSenders)) {
      const reply = (await handlers.get(`${IPC_CALL_PREFIX}${method}`)!(event)) as { ok: boolean; error: { code: string } };
      expect(reply.ok).toBe(false);
      expect(reply.error.code).toBe('FORBIDDEN');
    }
    expect(route).not.toHaveBeenCalled();
  });

  it.each(STUDIO_METHOD_NAMES)('%s rejects malformed arguments with INVALID_MESSAGE and touches nothing', async (method) => {
    const { shell, service } = await setup();
    const reply = (await handlers.get(`${IPC_CALL_PREFIX}${method}`)!(trusted, ...MALFORMED[method])) as { ok: boolean; error: { code: string } };
    expect(reply).toMatchObject({ ok: false, error: { code: 'INVALID_MESSAGE' } });
    expect(shell.pickFile).not.toHaveBeenCalled();
    expect(shell.saveFile).not.toHaveBeenCalled();
    expect((await service.getSnapshot()).jobs).toEqual([]);
  });

  it('a trusted, well-formed call reaches the service', async () => {
    await setup();
    const reply = (await handlers.get(`${IPC_CALL_PREFIX}getSnapshot`)!(trusted)) as { ok: boolean; value: { shell: string } };
    expect(reply).toMatchObject({ ok: true, value: { shell: 'electron' } });
  });
});

describe('window security', () => {
  it('isolates, sandboxes and keeps Node out of the renderer', () => {
    expect(secureWebPreferences('/p.cjs')).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false, preload: '/p.cjs' });
  });

  it('blocks navigation away from the app, webviews and window.open', () => {
    const listeners = new Map<string, (event: { preventDefault(): void }, url?: string) => void>();
    let openHandler: (() => { action: string }) | null = null;
    lockNavigation({ on: ((name: string, fn: never) => listeners.set(name, fn)) as never, setWindowOpenHandler: ((fn: never) => (openHandler = fn)) as never }, (u) => u === APP_URL);
    const nav = { preventDefault: vi.fn() };
    listeners.get('will-navigate')!(nav, 'https://evil.example/');
    expect(nav.preventDefault).toHaveBeenCalled();
    const ok = { preventDefault: vi.fn() };
    listeners.get('will-navigate')!(ok, APP_URL);
    expect(ok.preventDefault).not.toHaveBeenCalled();
    const webview = { preventDefault: vi.fn() };
    listeners.get('will-attach-webview')!(webview);
    expect(webview.preventDefault).toHaveBeenCalled();
    expect(openHandler!()).toEqual({ action: 'deny' });
  });

  it('sets a CSP that allows WebAssembly and blob workers but no remote code, and denies permissions', () => {
    let headers: Record<string, string[]> = {};
    let permission: boolean | null = null;
    applySessionSecurity(
      {
        webRequest: { onHeadersReceived: (fn: never) => (fn as (d: unknown, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void)({ responseHeaders: {} }, (r) => (headers = r.responseHeaders)) } as never,
        setPermissionRequestHandler: ((fn: (wc: unknown, p: string, cb: (ok: boolean) => void) => void) => fn(null, 'media', (ok) => (permission = ok))) as never,
        setPermissionCheckHandler: vi.fn() as never,
      },
      null,
    );
    const csp = headers['Content-Security-Policy'][0];
    expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
    expect(csp).toContain('worker-src');
    expect(csp).toContain('blob:');
    expect(csp).not.toContain("'unsafe-eval'");
    expect(csp).not.toMatch(/script-src[^;]*https?:/);
    expect(permission).toBe(false);
    expect(csp).not.toContain('unsafe-inline\'; worker'); // production: no inline scripts
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval'; /);
  });
});

describe('dialogs and menu', () => {
  it('a cancelled dialog picks nothing and saves nothing', async () => {
    const dialog = { showOpenDialog: vi.fn(async () => ({ canceled: true, filePaths: [] })), showSaveDialog: vi.fn(async () => ({ canceled: true, filePath: '' })) };
    const shell = electronShell(dialog as never, () => null);
    expect(await shell.pickFile('splat')).toBeNull();
    expect(await shell.saveFile({ suggestedName: 'a.ply', bytes: new Uint8Array(1), kind: 'ply' })).toEqual({ saved: false, path: null });
    expect(dialog.showOpenDialog.mock.calls[0]).toEqual([{ properties: ['openFile'], filters: [{ name: 'Gaussian splats', extensions: ['ply', 'spz'] }] }]);
  });

  it('a saved file lands where the dialog said', async () => {
    const target = join(mkdtempSync(join(tmpdir(), 'fw-dlg-')), 'scene.ply');
    const dialog = { showOpenDialog: vi.fn(), showSaveDialog: vi.fn(async () => ({ canceled: false, filePath: target })) };
    const shell = electronShell(dialog as never, () => null);
    expect(await shell.saveFile({ suggestedName: 'a.ply', bytes: Uint8Array.from([1, 2]), kind: 'ply' })).toEqual({ saved: true, path: target });
    const { readFileSync } = await import('node:fs');
    expect([...readFileSync(target)]).toEqual([1, 2]);
  });

  it('the menu has the usual shortcuts and sends commands', () => {
    const sent: string[] = [];
    const template = menuTemplate((c) => sent.push(c), false);
    const items = template.flatMap((m) => (Array.isArray(m.submenu) ? m.submenu : []));
    const accel = Object.fromEntries(items.filter((i) => i.accelerator).map((i) => [i.label, i.accelerator]));
    expect(accel['Save Project']).toBe('CmdOrCtrl+S');
    expect(accel['Open Project…']).toBe('CmdOrCtrl+O');
    expect(accel['New Project']).toBe('CmdOrCtrl+N');
    items.find((i) => i.label === 'Export PLY…')!.click!(null as never, null as never, null as never);
    expect(sent).toEqual(['export-ply']);
  });
});
