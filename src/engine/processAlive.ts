/** Whether process `pid` still runs (EPERM: it does, but belongs to another user). For stale-lock cleanup. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
