import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { packProject, unpackProject, writeFileAtomic } from './projectFile';
import type { ProjectDocument } from '../../shared/api/projectSchemas';

const image = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUg==';
const document: ProjectDocument = {
  name: 'P',
  selectedJobId: null,
  prompt: { imageDataUrl: image, imageName: 'a.png', text: 't', imageIndex: 0, frames: 4, height: 64, width: 96, seed: 1, model: 'test', cameras: [] },
};

describe('project file', () => {
  it('stores each distinct image once and restores data URLs', () => {
    const jobs = [1, 2].map((n) => ({
      id: `j${n}`, createdAt: n, status: 'cancelled' as const, progress: null, error: null, result: null, startedAt: null, finishedAt: null,
      settings: { request: { image_prompt: image, cameras: [], resolution: [4, 64, 96] as [number, number, number] }, seed: n, model: 'test' },
    }));
    const bytes = packProject({ document, jobs, results: new Map() }, 5);
    const files = unzipSync(bytes);
    // three references (document + two jobs), one stored image, and no base64 left in the JSON
    expect(Object.keys(files).filter((k) => k.startsWith('images/'))).toHaveLength(1);
    expect(strFromU8(files['project.json'])).not.toContain('iVBORw0KGgoAAAANSUhEUg');
    const back = unpackProject(bytes, 'p.fwproj');
    expect(back.document).toEqual(document);
    expect(back.jobs.map((j) => j.settings.request.image_prompt)).toEqual([image, image]);
    expect(back.savedAt).toBe(5);
  });

  it('says clearly what is wrong with a bad file', () => {
    expect(() => unpackProject(strToU8('hello'), 'x.fwproj')).toThrow(/not a FlashWorld project \(not a zip/);
    expect(() => unpackProject(zipSync({ 'a.txt': strToU8('x') }), 'x.fwproj')).toThrow(/no project.json/);
    const newer = zipSync({ 'project.json': strToU8(JSON.stringify({ schemaVersion: 99 })) });
    expect(() => unpackProject(newer, 'x.fwproj')).toThrow(/newer studio/);
    const done = { schemaVersion: 1, savedAt: 1, document, jobs: [{ id: 'j', createdAt: 1, status: 'done', progress: null, error: null, startedAt: 1, finishedAt: 2, result: { splatCount: 1, totalMs: 1, timingsMs: {}, thumbnail: null }, settings: { request: { cameras: [], resolution: [4, 64, 96] }, seed: 1, model: 'test' } }] };
    const missing = zipSync({ 'project.json': strToU8(JSON.stringify({ ...done, document: { ...document, prompt: { ...document.prompt, imageDataUrl: null } } })) });
    expect(() => unpackProject(missing, 'x.fwproj')).toThrow(/result of job j is missing/);
  });

  it('atomic save: the target is the old file or the new one, never a partial or a leftover temp', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fw-atomic-'));
    const target = join(dir, 'p.fwproj');
    writeFileSync(target, 'old');
    await writeFileAtomic(target, strToU8('new'));
    expect(readFileSync(target, 'utf8')).toBe('new');
    await expect(writeFileAtomic(join(dir, 'missing-folder', 'p.fwproj'), strToU8('x'))).rejects.toMatchObject({ code: 'IO_FAILED' });
    expect(readdirSync(dir)).toEqual(['p.fwproj']);
  });
});
