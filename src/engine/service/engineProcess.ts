/**
 * The engine host as a process the service can talk to. Two launchers make one: a Node child
 * process (serve mode, CLI, tests) here, and Electron's utilityProcess in src/main. Messages use
 * structured clone (typed arrays survive), never JSON strings.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { HostRequest } from './hostProtocol';

export interface EngineExit {
  code: number | null;
  signal: string | null;
}

export interface EngineProcess {
  readonly pid: number | undefined;
  send(message: HostRequest): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (exit: EngineExit) => void): void;
  kill(): void;
  /** the last lines the engine wrote to stderr, for crash reports */
  stderrTail(): string;
}

/** `gpuIndex`: which GPU this engine owns (one engine process per GPU). */
export type EngineLauncher = (gpuIndex: number) => EngineProcess;

const STDERR_KEEP_CHARS = 4000;

/** Keeps the end of a stream; crash reasons quote it. */
export class TailBuffer {
  private text = '';
  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-STDERR_KEEP_CHARS);
  }
  lastLines(n: number): string {
    return this.text.trimEnd().split('\n').slice(-n).join('\n');
  }
}

/**
 * The engine's environment: CUDA numbers devices fastest-first by default, nvidia-smi by PCI bus;
 * PCI_BUS_ID order makes the device the user picked from nvidia-smi's list the one CUDA opens.
 */
export function engineEnv(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...base, CUDA_DEVICE_ORDER: base.CUDA_DEVICE_ORDER ?? 'PCI_BUS_ID' };
}

export interface ChildLauncherOptions {
  /** the engine entry (src/engine/host.ts through tsx, or a built .js) */
  entry: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** also copy the engine's stderr to ours (serve mode logs) */
  echoStderr?: boolean;
  /** set CUDA_VISIBLE_DEVICES to the engine's GPU index (several GPUs, one engine each) */
  pinGpu?: boolean;
}

export function childProcessLauncher(options: ChildLauncherOptions): EngineLauncher {
  return (gpuIndex) => {
    const env = engineEnv(options.env ?? process.env);
    // Each engine sees only its own GPU (as device 0); one engine alone sees them all and the
    // runtime picks the device the user chose.
    if (options.pinGpu) env.CUDA_VISIBLE_DEVICES = String(gpuIndex);
    const child: ChildProcess = fork(options.entry, [], {
      execArgv: options.execArgv ?? [],
      env,
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    const tail = new TailBuffer();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      tail.push(chunk);
      if (options.echoStderr) process.stderr.write(chunk);
    });
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (child.connected) child.send(message);
      },
      onMessage(listener) {
        child.on('message', listener);
      },
      onExit(listener) {
        child.on('exit', (code, signal) => listener({ code, signal }));
      },
      kill() {
        child.kill('SIGKILL');
      },
      stderrTail: () => tail.lastLines(5),
    };
  };
}
