/**
 * Serve mode: the built renderer and a WebSocket carrying the StudioApi, on 127.0.0.1 only.
 * The WebSocket and the page need the token from the printed URL (compared in constant time);
 * Host and Origin are checked so another web page or a DNS-rebinding site can't drive the engine.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { timingSafeEqual, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { StudioError } from '../shared/errors';
import { decodeFrame, encodeFrame } from '../shared/api/binaryCodec';
import { callMessageSchema, errorToInfo } from '../shared/api/protocol';
import type { StudioEvent } from '../shared/api/events';
import type { StudioService } from '../engine/service/studioService';
import { createCallRouter, type ShellHandlers } from '../engine/service/callRouter';
import { PROJECT_FILE_EXTENSION } from '../shared/api/projectSchemas';
import { contentSecurityPolicy } from './securityHeaders';

export interface StudioServerOptions {
  service: StudioService;
  /** the built renderer (electron-vite's out/renderer) */
  rendererDir: string;
  /** where projects are saved in serve mode (the browser has no file system) */
  projectsDir: string;
  port?: number;
  token?: string;
}

export interface RunningServer {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** 50 MiB frames carry a ~200k-splat PLY; larger results go as SPZ. Bigger frames are refused. */
const MAX_FRAME_BYTES = 512 * 1024 * 1024;

function tokenMatches(expected: string, given: string | null): boolean {
  if (!given) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function safeProjectName(name: string): string {
  return name.replace(/[^A-Za-z0-9 _-]+/g, '_').trim().slice(0, 80) || 'project';
}

export function serveShell(projectsDir: string): ShellHandlers {
  const root = resolve(projectsDir) + sep;
  const inside = (p: string) => resolve(p).startsWith(root);
  return {
    // The browser transport answers these itself; reaching the server means a client bug.
    pickFile: async () => {
      throw new StudioError('INVALID_MESSAGE', 'pickFile runs in the browser in serve mode.');
    },
    saveFile: async () => {
      throw new StudioError('INVALID_MESSAGE', 'saveFile runs in the browser (as a download) in serve mode.');
    },
    chooseProjectPath: async (request) => {
      if (request.path && !request.saveAs && inside(request.path)) return request.path;
      return join(projectsDir, `${safeProjectName(request.document.name)}.${PROJECT_FILE_EXTENSION}`);
    },
    mayOpenPath: inside,
  };
}

export async function startStudioServer(options: StudioServerOptions): Promise<RunningServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  await mkdir(options.projectsDir, { recursive: true });
  const route = createCallRouter(options.service, serveShell(options.projectsDir));
  const rendererRoot = resolve(options.rendererDir);
  let origin = '';

  const hostAllowed = (req: IncomingMessage) => {
    const host = req.headers.host ?? '';
    const port = origin.split(':').pop();
    return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
  };

  async function serveFile(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', origin);
    if (!hostAllowed(req)) {
      res.writeHead(403).end('Forbidden host');
      return;
    }
    let path = decodeURIComponent(url.pathname);
    if (path === '/' || path === '/index.html') {
      if (!tokenMatches(token, url.searchParams.get('token'))) {
        res.writeHead(403, { 'content-type': 'text/plain' }).end('Open the URL that `npm run serve` printed (it carries the access token).');
        return;
      }
      path = '/index.html';
    }
    const file = normalize(join(rendererRoot, path));
    if (!file.startsWith(rendererRoot + sep)) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'content-security-policy': contentSecurityPolicy({ websocketOrigin: origin.replace(/^http/, 'ws') }),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404).end('Not found');
    }
  }

  const server: Server = createServer((req, res) => void serveFile(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const clients = new Set<WebSocket>();

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', origin);
    const originOk = req.headers.origin === origin || req.headers.origin === origin.replace('127.0.0.1', 'localhost');
    if (url.pathname !== '/ws' || !hostAllowed(req) || !originOk || !tokenMatches(token, url.searchParams.get('token'))) {
      socket.write('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('message', async (data, isBinary) => {
      if (!isBinary) {
        ws.close(1003, 'binary frames only');
        return;
      }
      let id = -1;
      try {
        const parsed = callMessageSchema.safeParse(decodeFrame(new Uint8Array(data as Buffer)));
        if (!parsed.success) throw new StudioError('INVALID_MESSAGE', 'A message was not a studio call.');
        id = parsed.data.id;
        const value = await route(parsed.data.method, parsed.data.args);
        ws.send(encodeFrame({ kind: 'reply', id, ok: true, value }));
      } catch (error) {
        ws.send(encodeFrame({ kind: 'reply', id, ok: false, error: errorToInfo(error) }));
      }
    });
  });

  const unsubscribe = options.service.subscribe((event: StudioEvent) => {
    const frame = encodeFrame({ kind: 'event', event });
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.send(frame);
  });

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    port,
    token,
    close: async () => {
      unsubscribe();
      for (const ws of clients) ws.terminate();
      wss.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
