/**
 * `npm run serve`: the engine (a child process) plus the built renderer on 127.0.0.1 with a token.
 *   tsx src/server/main.ts [--port N] [--data DIR] [--renderer DIR] [--examples DIR] [--token T]
 * Prints the URL to open. Stops the engine on Ctrl-C.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { StudioService } from '../engine/service/studioService';
import { childProcessLauncher } from '../engine/service/engineProcess';
import { startStudioServer } from './studioServer';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    data: { type: 'string', default: join(homedir(), '.flashworld-studio') },
    renderer: { type: 'string', default: join(repoRoot, 'out/renderer') },
    examples: { type: 'string', default: join(repoRoot, 'examples') },
    token: { type: 'string' },
    provider: { type: 'string', default: 'cpu' },
    /** one engine process per GPU; jobs run one at a time on each */
    gpus: { type: 'string', default: '1' },
  },
});

const dataDir = resolve(values.data!);
const projectsDir = join(dataDir, 'projects');
mkdirSync(projectsDir, { recursive: true });

const service = new StudioService({
  dataDir,
  examplesDir: resolve(values.examples!),
  shell: 'serve',
  provider: values.provider === 'cuda' ? 'cuda' : 'cpu',
  engineCount: Math.max(1, Number(values.gpus) || 1),
  // The engine runs the TypeScript sources through tsx, like this process.
  launcher: childProcessLauncher({ entry: join(repoRoot, 'src/engine/host.ts'), execArgv: ['--import', 'tsx'], echoStderr: true, pinGpu: Number(values.gpus) > 1 }),
});
await service.start();
const server = await startStudioServer({ service, rendererDir: resolve(values.renderer!), projectsDir, port: Number(values.port), token: values.token });
// Tests read this line to find the URL.
console.log(`FlashWorld Studio serving at ${server.url}`);
console.log(`engine pid ${service.engine().pid ?? '(starting)'}; data in ${dataDir}`);

const shutdown = async () => {
  service.stop();
  await server.close();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
