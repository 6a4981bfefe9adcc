/** The engine as an Electron utilityProcess (a Node process Electron manages, with MessagePort-style messages). */
import { utilityProcess } from 'electron';
import { engineEnv, TailBuffer, type EngineLauncher } from '../engine/service/engineProcess';

export function utilityProcessLauncher(entry: string): EngineLauncher {
  return (gpuIndex) => {
    const child = utilityProcess.fork(entry, [], {
      serviceName: `FlashWorld engine ${gpuIndex}`,
      stdio: ['ignore', 'inherit', 'pipe'],
      // One engine in the app: it sees every GPU and opens the device chosen in the Model panel.
      env: engineEnv(process.env),
    });
    const tail = new TailBuffer();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      tail.push(chunk);
      process.stderr.write(chunk);
    });
    let exited = false;
    return {
      get pid() {
        return child.pid;
      },
      send: (message) => {
        if (!exited) child.postMessage(message);
      },
      onMessage: (listener) => child.on('message', listener),
      onExit: (listener) =>
        child.on('exit', (code) => {
          exited = true;
          listener({ code, signal: null });
        }),
      kill: () => {
        if (!exited) child.kill();
      },
      stderrTail: () => tail.lastLines(5),
    };
  };
}
