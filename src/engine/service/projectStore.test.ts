import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Job } from '../../shared/api/jobSchemas';
import type { ProjectDocument } from '../../shared/api/projectSchemas';
import { ProjectStore, type ProjectSession, type ResultFiles } from './projectStore';

const document: ProjectDocument = {
  name: 'Harbor',
  selectedJobId: null,
  prompt: { imageDataUrl: null, imageName: null, text: 'a harbor', imageIndex: 0, frames: 4, height: 64, width: 96, seed: 1, model: 'test', cameras: [] },
};

const doneJob = (id: string): Job => ({
  id, createdAt: 1, status: 'done', progress: null, error: null, startedAt: 1, finishedAt: 2,
  result: { splatCount: 3, totalMs: 1, timingsMs: {}, thumbnail: null },
  settings: { request: { text_prompt: 'a harbor', cameras: [], resolution: [4, 64, 96] }, seed: 1, model: 'test' },
});

/** An in-memory stand-in for the studio service's queue and results, recording what the store asks of it. */
class FakeSession implements ProjectSession {
  calls: string[] = [];
  current: Job[] = [];
  files = new Map<string, ResultFiles>();
  jobs = () => this.current;
  results = () => this.files;
  clear = () => {
    this.calls.push('clear');
    this.current = [];
    this.files.clear();
  };
  load = (jobs: Job[], results: ReadonlyMap<string, ResultFiles>) => {
    this.calls.push(`load ${jobs.map((j) => j.id).join(',')} / ${[...results.keys()].join(',')}`);
    this.current = jobs;
    this.files = new Map(results);
  };
}

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function store() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fw-projects-'));
  dirs.push(dataDir);
  const resultsDir = join(dataDir, 'results');
  mkdirSync(resultsDir);
  const session = new FakeSession();
  return { store: new ProjectStore(dataDir, resultsDir, session), session, dataDir, resultsDir };
}

/** A done job with its result files in the results folder. */
function addResult(s: ReturnType<typeof store>, id: string, listed = true): void {
  const files = { ply: join(s.resultsDir, `${id}.ply`), spz: join(s.resultsDir, `${id}.spz`) };
  writeFileSync(files.ply, `ply of ${id}`);
  writeFileSync(files.spz, `spz of ${id}`);
  s.session.files.set(id, files);
  if (listed) s.session.current.push(doneJob(id));
}

describe('project store', () => {
  it('saves the listed jobs with their results; opening clears the session, unpacks the results and hands them over', async () => {
    const a = store();
    addResult(a, 'j1');
    addResult(a, 'gone', false); // a removed job's files: not part of the project
    const { path } = await a.store.saveProjectTo(join(a.dataDir, 'harbor'), document);
    expect(path).toBe(join(a.dataDir, 'harbor.fwproj'));

    const b = store();
    addResult(b, 'old');
    const opened = await b.store.openProject({ path });
    expect(b.session.calls).toEqual(['clear', 'load j1 / j1']);
    expect(opened).toMatchObject({ path, document, jobs: [{ id: 'j1', status: 'done' }] });
    expect(readFileSync(join(b.resultsDir, 'j1.ply'), 'utf8')).toBe('ply of j1');
    expect(readFileSync(b.session.files.get('j1')!.spz, 'utf8')).toBe('spz of j1');

    // The same bytes without a path (a browser upload) open too, and stay out of the recent list.
    const c = store();
    const fromBytes = await c.store.openProject({ fileName: 'harbor.fwproj', bytes: new Uint8Array(readFileSync(path)) });
    expect(fromBytes.path).toBeNull();
    expect(await c.store.listRecent()).toEqual([]);
  });

  it('keeps the ten newest recent projects, one entry per file, and leaves out files since deleted', async () => {
    const s = store();
    const paths: string[] = [];
    for (let i = 0; i < 12; i++) paths.push((await s.store.saveProjectTo(join(s.dataDir, `p${i}`), { ...document, name: `P${i}` })).path);
    let recent = await s.store.listRecent();
    expect(recent.map((r) => r.name)).toEqual(['P11', 'P10', 'P9', 'P8', 'P7', 'P6', 'P5', 'P4', 'P3', 'P2']);
    await s.store.openProject({ path: paths[5] });
    rmSync(paths[11]);
    recent = await s.store.listRecent();
    expect(recent.map((r) => r.name)).toEqual(['P5', 'P10', 'P9', 'P8', 'P7', 'P6', 'P4', 'P3', 'P2']);
  });

  it('autosave is offered and restored with its project path; saving the project discards it', async () => {
    const s = store();
    addResult(s, 'j1');
    expect(await s.store.recoverySavedAt()).toBeNull();
    expect(await s.store.getRecovery()).toBeNull();
    const before = Date.now();
    await s.store.autosave(document, '/somewhere/harbor.fwproj');
    expect((await s.store.recoverySavedAt())!.savedAt).toBeGreaterThanOrEqual(before);

    s.session.clear();
    s.session.calls = [];
    const recovery = await s.store.getRecovery();
    expect(recovery!.project).toMatchObject({ path: '/somewhere/harbor.fwproj', document, jobs: [{ id: 'j1' }] });
    expect(s.session.calls).toEqual(['clear', 'load j1 / j1']);

    await s.store.saveProjectTo(join(s.dataDir, 'harbor'), document);
    expect(await s.store.recoverySavedAt()).toBeNull();
    expect(await s.store.getRecovery()).toBeNull();
  });

  it('a project file that is gone fails with what to do, and leaves the session alone', async () => {
    const s = store();
    addResult(s, 'j1');
    await expect(s.store.openProject({ path: join(s.dataDir, 'nope.fwproj') })).rejects.toMatchObject({ code: 'IO_FAILED', message: expect.stringMatching(/moved or deleted/) });
    expect(s.session.calls).toEqual([]);
    expect(s.session.current.map((j) => j.id)).toEqual(['j1']);
  });
});
