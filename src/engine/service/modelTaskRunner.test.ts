import { describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import type { ModelTask } from '../../shared/api/modelSchemas';
import { ModelTaskRunner } from './modelTaskRunner';

const waitEnd = (sent: ModelTask[]) =>
  new Promise<ModelTask>((resolve) => {
    const poll = () => {
      const end = sent.find((t) => t.state !== 'running');
      if (end) resolve(end);
      else setTimeout(poll, 5);
    };
    poll();
  });

describe('model task runner', () => {
  it('merges byte updates to one event per interval but sends state changes and the last numbers', async () => {
    const sent: ModelTask[] = [];
    const runner = new ModelTaskRunner((t) => sent.push(t), 50);
    runner.start('download', 'bytes', async (c) => {
      c.setItems([{ id: 'a', label: 'a', state: 'pending', done: 0, total: 1000, note: null }]);
      c.updateItem('a', { state: 'active' }, true);
      for (let i = 1; i <= 1000; i++) {
        c.updateItem('a', { done: i });
        c.setTotals({ done: i, total: 1000 });
        if (i % 100 === 0) await new Promise((r) => setTimeout(r, 10));
      }
      // The merged tail is sent before the task ends.
      await new Promise((r) => setTimeout(r, 80));
      return { summary: 'ok' };
    });
    const end = await waitEnd(sent);
    expect(end).toMatchObject({ state: 'done', summary: 'ok', done: 1000 });
    const running = sent.filter((t) => t.state === 'running');
    // ~100 ms of updates at one event per 50 ms, plus the forced ones: far fewer than 1000.
    expect(running.length).toBeLessThan(20);
    expect(running.some((t) => t.items[0]?.state === 'active')).toBe(true);
    expect(running.at(-1)!.done).toBe(1000);
  });

  it('runs one task at a time; cancel ends it as cancelled, other failures keep their code', async () => {
    const sent: ModelTask[] = [];
    const runner = new ModelTaskRunner((t) => sent.push(t), 0);
    const first = runner.start('verify', 'files', (c) => new Promise((_, reject) => c.signal.addEventListener('abort', () => reject(new StudioError('CANCELLED', 'stopped')))));
    expect(() => runner.start('build', 'networks', async () => ({ summary: 'x' }))).toThrow(/verification is running/);
    runner.cancel();
    const cancelled = await waitEnd(sent);
    expect(cancelled).toMatchObject({ id: first.id, state: 'cancelled', error: null });

    sent.length = 0;
    runner.start('build', 'networks', async () => {
      throw new StudioError('DISK_FULL', 'The disk is full.');
    });
    const failed = await waitEnd(sent);
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'DISK_FULL', message: 'The disk is full.' } });
    expect(runner.current()?.id).toBe(failed.id);
  });
});
