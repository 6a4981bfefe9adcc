/**
 * The engine process entry. Runs as an Electron utilityProcess in the app (messages through
 * process.parentPort) and as a Node child process in serve mode and tests (process.send).
 * Everything it does is in service/hostWorker.ts; this file only wires the process.
 */
import { createFlashWorldRuntime } from './runtime';
import { createHostWorker, NETWORKS_TO_LOAD, type RuntimeFactory } from './service/hostWorker';
import type { HostReply } from './service/hostProtocol';
import { writeTrajectoryVideo } from './splat/video';
import { buildModelGraphs } from './model/buildGraphs';

interface ParentPort {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;

function post(reply: HostReply): void {
  if (parentPort) parentPort.postMessage(reply);
  else process.send?.(reply);
}

const createRuntime: RuntimeFactory = async ({ model, cacheDir, provider, deviceId, memoryMode, resourcesDir, onLoadFraction }) => {
  let sessions = 0;
  return createFlashWorldRuntime({
    model,
    cacheDir,
    provider,
    deviceId,
    memoryMode,
    resourcesDir,
    onLoadProgress: (e) => {
      // One 'session' event per network once it is ready to run.
      if (e.event === 'session') onLoadFraction(++sessions / NETWORKS_TO_LOAD);
    },
  });
};

const handle = createHostWorker(post, createRuntime, (path, gaussians, cameras, size) => writeTrajectoryVideo(path, gaussians, cameras, size), buildModelGraphs);
if (parentPort) parentPort.on('message', (e) => handle(e.data));
else process.on('message', handle);
// A child process without a parent has nothing to serve.
process.on('disconnect', () => process.exit(0));
