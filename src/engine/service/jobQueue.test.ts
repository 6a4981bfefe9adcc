import { describe, expect, it } from 'vitest';
import { JobQueue, type QueueChange } from './jobQueue';
import type { JobSettings } from '../../shared/api/jobSchemas';

const settings: JobSettings = {
  request: { text_prompt: 'x', cameras: [], resolution: [4, 64, 96] },
  seed: 1,
  model: 'test',
};

function queue() {
  const changes: QueueChange[] = [];
  let n = 0;
  return { q: new JobQueue((c) => changes.push(c), () => `j${++n}`), changes };
}

describe('job queue', () => {
  it('runs jobs in order and records results', () => {
    const { q, changes } = queue();
    const a = q.add(settings, 1);
    const b = q.add({ ...settings, seed: 2 }, 2);
    expect(q.nextQueued()!.id).toBe(a.id);
    q.markRunning(a.id, 3);
    expect(q.nextQueued()!.id).toBe(b.id);
    q.finish(a.id, { status: 'done', result: { splatCount: 5, totalMs: 1, timingsMs: {}, thumbnail: null } }, 4);
    expect(q.get(a.id)).toMatchObject({ status: 'done', finishedAt: 4, result: { splatCount: 5 } });
    expect(changes.filter((c) => c.type === 'job').length).toBe(4);
  });

  it('cancels queued jobs at once and asks the caller to stop running ones', () => {
    const { q } = queue();
    const a = q.add(settings, 1);
    const b = q.add(settings, 1);
    q.markRunning(a.id, 2);
    expect(q.cancel(b.id, 3)).toBe('cancelled');
    expect(q.get(b.id).status).toBe('cancelled');
    expect(q.cancel(a.id, 3)).toBe('running');
    expect(() => q.cancel(b.id, 4)).toThrow(/already cancelled/);
  });

  it('retries failed jobs at the end of the line and refuses to remove a running one', () => {
    const { q } = queue();
    const a = q.add(settings, 1);
    const b = q.add(settings, 1);
    q.markRunning(a.id, 2);
    expect(() => q.remove(a.id)).toThrow(/cancel it before removing/);
    q.finish(a.id, { status: 'failed', error: { code: 'X', message: 'y' } }, 3);
    expect(() => q.retry(b.id)).toThrow(/only failed or cancelled/);
    q.retry(a.id);
    expect(q.list().map((j) => j.id)).toEqual([b.id, a.id]);
    expect(q.get(a.id)).toMatchObject({ status: 'queued', error: null });
    q.remove(b.id);
    expect(() => q.get(b.id)).toThrow(/does not exist/);
  });

  it('a reset (project open) turns jobs that were running into failed ones', () => {
    const { q } = queue();
    const a = q.add(settings, 1);
    q.markRunning(a.id, 2);
    const saved = q.list();
    q.reset(saved, 5);
    expect(q.get(a.id)).toMatchObject({ status: 'failed', finishedAt: 5 });
  });
});
