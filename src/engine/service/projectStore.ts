/**
 * Projects on disk: saving and opening `.fwproj` files, the recent-files list, and the autosave
 * that offers the work back after an unclean end. The studio service owns the jobs and their
 * result files; this reads them to pack a project and hands a project's back through
 * `ProjectSession`, so the queue stays the service's alone.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { StudioError } from '../../shared/errors';
import type { Job } from '../../shared/api/jobSchemas';
import type { ProjectSource, Recovery } from '../../shared/api/methods';
import { PROJECT_FILE_EXTENSION, recentProjectSchema, type OpenedProject, type ProjectDocument, type RecentProject } from '../../shared/api/projectSchemas';
import { packProject, unpackProject, writeFileAtomic, type ProjectResultBytes } from './projectFile';

/** A done job's splat files in the results folder. */
export interface ResultFiles {
  ply: string;
  spz: string;
}

/** The service's side of a project: what to save, and how to take an opened one in. */
export interface ProjectSession {
  jobs(): Job[];
  /** Result files by job id (may hold ids of removed jobs: only listed jobs are saved). */
  results(): ReadonlyMap<string, ResultFiles>;
  /** Drops the current jobs and results (cancelling what runs): a new, empty project. */
  clear(): void;
  /** Takes in an opened project's jobs and the result files written for them; queued ones run again. */
  load(jobs: Job[], results: ReadonlyMap<string, ResultFiles>): void;
}

const MAX_RECENT = 10;

export class ProjectStore {
  constructor(
    private readonly dataDir: string,
    /** where opened projects' results are unpacked (the engine writes new ones there too) */
    private readonly resultsDir: string,
    private readonly session: ProjectSession,
  ) {}

  // ---- recent files ----

  private recentPath(): string {
    return join(this.dataDir, 'recent.json');
  }

  /** The last projects saved or opened, newest first; files since moved or deleted are left out. */
  async listRecent(): Promise<RecentProject[]> {
    try {
      const list = JSON.parse(await readFile(this.recentPath(), 'utf8'));
      return recentProjectSchema.array().parse(list).filter((r) => existsSync(r.path));
    } catch {
      return [];
    }
  }

  private async addRecent(entry: RecentProject): Promise<void> {
    const list = [entry, ...(await this.listRecent()).filter((r) => r.path !== entry.path)].slice(0, MAX_RECENT);
    await writeFileAtomic(this.recentPath(), new TextEncoder().encode(JSON.stringify(list)));
  }

  // ---- projects ----

  private async collect(document: ProjectDocument): Promise<Uint8Array> {
    const jobs = this.session.jobs();
    const results = new Map<string, ProjectResultBytes>();
    for (const [id, files] of this.session.results()) {
      if (!jobs.some((j) => j.id === id)) continue;
      results.set(id, { ply: new Uint8Array(await readFile(files.ply)), spz: new Uint8Array(await readFile(files.spz)) });
    }
    return packProject({ document, jobs, results }, Date.now());
  }

  /** Writes the project to `path` (the caller chose it: a dialog in Electron, the projects folder in serve mode). */
  async saveProjectTo(path: string, document: ProjectDocument): Promise<{ path: string }> {
    const target = extname(path) ? path : `${path}.${PROJECT_FILE_EXTENSION}`;
    await writeFileAtomic(target, await this.collect(document));
    await this.addRecent({ path: target, name: document.name, savedAt: Date.now() });
    await this.discardRecovery();
    return { path: target };
  }

  async openProject(source: ProjectSource): Promise<OpenedProject> {
    const fileName = 'path' in source ? source.path : source.fileName;
    let bytes: Uint8Array;
    if ('path' in source) {
      try {
        bytes = new Uint8Array(await readFile(source.path));
      } catch (cause) {
        throw new StudioError('IO_FAILED', `Could not read ${source.path}: ${(cause as Error).message}. It may have been moved or deleted.`, { cause });
      }
    } else {
      bytes = source.bytes;
    }
    const contents = unpackProject(bytes, basename(fileName));
    await this.restore(contents.jobs, contents.results);
    if ('path' in source) await this.addRecent({ path: source.path, name: contents.document.name, savedAt: contents.savedAt });
    return { path: 'path' in source ? source.path : null, document: contents.document, jobs: this.session.jobs() };
  }

  private async restore(jobs: Job[], results: Map<string, ProjectResultBytes>): Promise<void> {
    // Cleared first, so nothing of the old project runs or is served while the files are written.
    this.session.clear();
    const files = new Map<string, ResultFiles>();
    for (const [id, r] of results) {
      const paths = { ply: join(this.resultsDir, `${id}.ply`), spz: join(this.resultsDir, `${id}.spz`) };
      await writeFileAtomic(paths.ply, r.ply);
      await writeFileAtomic(paths.spz, r.spz);
      files.set(id, paths);
    }
    this.session.load(jobs, files);
  }

  // ---- autosave / crash recovery ----

  private recoveryPath(): string {
    return join(this.dataDir, `autosave.${PROJECT_FILE_EXTENSION}`);
  }

  private recoveryInfoPath(): string {
    return join(this.dataDir, 'autosave.json');
  }

  /** When the autosave left behind was written, or null when there is none (the last session ended cleanly). */
  async recoverySavedAt(): Promise<{ savedAt: number } | null> {
    try {
      return { savedAt: JSON.parse(await readFile(this.recoveryInfoPath(), 'utf8')).savedAt };
    } catch {
      // no autosave: the last session ended cleanly or never changed anything
      return null;
    }
  }

  async autosave(document: ProjectDocument, path: string | null): Promise<void> {
    await writeFileAtomic(this.recoveryPath(), await this.collect(document));
    await writeFile(this.recoveryInfoPath(), JSON.stringify({ path, savedAt: Date.now() }));
  }

  /** Opens the autosave as the current project (null when there is none). */
  async getRecovery(): Promise<Recovery | null> {
    if (!existsSync(this.recoveryPath())) return null;
    const contents = unpackProject(new Uint8Array(await readFile(this.recoveryPath())), 'the autosave');
    let path: string | null = null;
    try {
      path = JSON.parse(await readFile(this.recoveryInfoPath(), 'utf8')).path ?? null;
    } catch {
      // The project had no file yet.
    }
    await this.restore(contents.jobs, contents.results);
    return { savedAt: contents.savedAt, project: { path, document: contents.document, jobs: this.session.jobs() } };
  }

  async discardRecovery(): Promise<void> {
    await rm(this.recoveryPath(), { force: true });
    await rm(this.recoveryInfoPath(), { force: true });
  }
}
