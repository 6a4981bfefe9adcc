/**
 * What the buttons and menu commands do: each action talks to the StudioApi and updates the
 * store. Components call these; they never call the API directly. Errors become notices that
 * say what happened (the StudioError message) instead of vanishing.
 */
import type { StudioApi } from '../../../shared/api/studioApi';
import type { MenuCommand } from '../../../shared/api/events';
import type { ExportFormat } from '../../../shared/api/methods';
import type { Example, OpenedProject, ProjectDocument } from '../../../shared/api/projectSchemas';
import { parseGenerationRequestText, toRequestJson, validateGenerationRequest } from '../../../shared/request/generationRequest';
import { createTrajectory } from '../../../shared/trajectory/document';
import { draftToRequest, draftToSettings, emptyDraft, promptProblems, settingsToDraft } from './promptSlice';
import { useStudio } from './store';
import { onModelEvent, promptModel, refreshModelState } from './modelActions';

let api: StudioApi | null = null;
const AUTOSAVE_INTERVAL_MS = 15_000;

export function studioApi(): StudioApi {
  if (!api) throw new Error('The studio API is not connected yet.');
  return api;
}

function report(error: unknown): void {
  useStudio.getState().notify('error', error instanceof Error ? error.message : String(error));
}

export async function guarded<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (error) {
    report(error);
    return undefined;
  }
}

export async function connect(studio: StudioApi): Promise<void> {
  api = studio;
  const store = useStudio.getState();
  studio.onEvent((event) => {
    if (event.type === 'menu') void runMenuCommand(event.command);
    else {
      useStudio.getState().applyEvent(event);
      onModelEvent(event);
    }
    // The result the user is looking at just finished: show it at once.
    if (event.type === 'job' && event.job.status === 'done' && useStudio.getState().selectedJobId === event.job.id) {
      const source = useStudio.getState().viewerSource;
      if (source.kind !== 'job' || source.jobId !== event.job.id) useStudio.getState().showSplats({ kind: 'job', jobId: event.job.id });
    }
  });
  const snapshot = await studio.getSnapshot();
  store.applySnapshot(snapshot);
  store.setLists({ recoveryAt: snapshot.recovery?.savedAt ?? null });
  await refreshLists();
  // The engine's settings decide the prompt's model; the GPU list waits until the panel opens.
  await refreshModelState();
  setInterval(() => void autosave(), AUTOSAVE_INTERVAL_MS);
}

/** After a reconnect (serve mode), events may have been missed: take the backend's state again. */
export async function resync(): Promise<void> {
  await guarded(async () => useStudio.getState().applySnapshot(await studioApi().getSnapshot()));
}

export async function refreshLists(): Promise<void> {
  await guarded(async () => {
    const [recent, examples] = await Promise.all([studioApi().listRecent(), studioApi().listExamples()]);
    useStudio.getState().setLists({ recent, examples });
  });
}

function currentDocument(): ProjectDocument {
  const s = useStudio.getState();
  const path = s.trajectory.trajectory;
  return { name: s.projectName, prompt: s.draft, selectedJobId: s.selectedJobId, ...(path.keyframes.length > 0 ? { trajectory: path } : {}) };
}

async function autosave(): Promise<void> {
  const s = useStudio.getState();
  if (!s.dirty || s.screen !== 'studio') return;
  await studioApi().autosave(currentDocument(), s.projectPath).catch(() => undefined);
}

// ---- prompt and queue ----

export async function enqueueDraft(): Promise<void> {
  const s = useStudio.getState();
  const draft = { ...s.draft, model: promptModel(s) };
  const problems = Object.values(promptProblems(draft, s.models));
  if (problems.length) {
    s.notify('error', problems[0]!);
    return;
  }
  const label = draft.text.trim().slice(0, 40) || draft.imageName || 'scene';
  const job = await guarded(() => studioApi().enqueue(draftToSettings(draft, label)));
  if (job) {
    useStudio.getState().applyEvent({ type: 'job', job });
    useStudio.setState({ dirty: true });
    if (!useStudio.getState().selectedJobId) selectJob(job.id);
  }
}

export function selectJob(id: string | null): void {
  const s = useStudio.getState();
  s.selectJob(id);
  const job = s.jobs.find((j) => j.id === id);
  if (job?.status === 'done') s.showSplats({ kind: 'job', jobId: job.id });
}

export const cancelJob = (id: string) => guarded(() => studioApi().cancelJob(id));
export const retryJob = (id: string) => guarded(() => studioApi().retryJob(id));
export const removeJob = (id: string) => guarded(() => studioApi().removeJob(id));

export function duplicateJob(id: string): void {
  const s = useStudio.getState();
  const job = s.jobs.find((j) => j.id === id);
  if (job) useStudio.setState({ draft: settingsToDraft(job.settings, s.draft), dirty: true });
}

// ---- requests and examples ----

export function startFromExample(example: Example): void {
  useStudio.getState().setProject(example.title, null);
  useStudio.getState().loadRequest(example.request, `${example.id}.png`);
  useStudio.getState().setScreen('studio');
}

export async function importRequest(): Promise<void> {
  const file = await guarded(() => studioApi().pickFile('request'));
  if (!file) return;
  await guarded(async () => {
    const request = parseGenerationRequestText(new TextDecoder().decode(file.bytes), file.name);
    const json = toRequestJson(request);
    useStudio.getState().loadRequest(json, file.name);
    if (request.imagePrompt && !request.imagePrompt.startsWith('data:')) {
      useStudio.getState().notify('info', `${file.name} names the image "${request.imagePrompt}"; choose that image in the prompt panel.`);
    }
    useStudio.getState().setScreen('studio');
  });
}

export async function exportRequest(): Promise<void> {
  await guarded(async () => {
    const request = toRequestJson(validateGenerationRequest(draftToRequest(useStudio.getState().draft), 'The prompt'));
    const bytes = new TextEncoder().encode(JSON.stringify(request, null, 2));
    await studioApi().saveFile({ suggestedName: `${useStudio.getState().projectName}.json`, bytes, kind: 'request' });
  });
}

export async function openSplatFile(file?: { name: string; bytes: Uint8Array }): Promise<void> {
  const picked = file ?? (await guarded(() => studioApi().pickFile('splat')));
  if (!picked) return;
  const ext = picked.name.toLowerCase().split('.').pop();
  if (ext !== 'ply' && ext !== 'spz') {
    report(new Error(`${picked.name} is not a PLY or SPZ file.`));
    return;
  }
  useStudio.getState().setScreen('studio');
  useStudio.getState().showSplats({ kind: 'file', name: picked.name, bytes: picked.bytes, fileType: ext });
}

// ---- export ----

export async function exportSelected(format: ExportFormat): Promise<void> {
  const id = useStudio.getState().selectedJobId;
  if (!id) return;
  await guarded(async () => {
    const { fileName, bytes } = await studioApi().getExportBytes(id, format);
    const outcome = await studioApi().saveFile({ suggestedName: fileName, bytes, kind: format });
    if (outcome.saved) useStudio.getState().notify('info', `Saved ${outcome.path ?? fileName}.`);
  });
}

// ---- projects ----

function applyOpened(opened: OpenedProject): void {
  const s = useStudio.getState();
  s.setProject(opened.document.name, opened.path);
  useStudio.setState({ draft: opened.document.prompt, jobs: opened.jobs });
  // The saved path (its samples equal the saved cameras); a new, empty history.
  s.trajectoryEditor.load(opened.document.trajectory ?? createTrajectory());
  useStudio.setState({ dirty: false });
  s.setScreen('studio');
  selectJob(opened.document.selectedJobId);
}

export async function newProject(): Promise<void> {
  await guarded(async () => {
    await studioApi().newProject();
    await studioApi().discardRecovery();
    useStudio.setState({ draft: emptyDraft(), selectedJobId: null, jobs: [] });
    useStudio.getState().trajectoryEditor.load(createTrajectory());
    useStudio.getState().setProject('Untitled', null);
    useStudio.getState().showSplats({ kind: 'none' });
    useStudio.getState().setScreen('studio');
  });
}

export async function openProject(path?: string): Promise<void> {
  await guarded(async () => {
    let opened: OpenedProject;
    if (path) opened = await studioApi().openProject({ path });
    else {
      const file = await studioApi().pickFile('project');
      if (!file) return;
      opened = await studioApi().openProject(file.path ? { path: file.path } : { fileName: file.name, bytes: file.bytes });
    }
    applyOpened(opened);
    await refreshLists();
  });
}

export async function saveProject(saveAs = false): Promise<void> {
  await guarded(async () => {
    const s = useStudio.getState();
    const saved = await studioApi().saveProject({ document: currentDocument(), path: s.projectPath, saveAs });
    if (!saved) return;
    s.markSaved(saved.path);
    s.notify('info', `Project saved to ${saved.path}.`);
    await refreshLists();
  });
}

export function renameProject(name: string): void {
  useStudio.setState({ projectName: name || 'Untitled', dirty: true });
}

export async function recover(): Promise<void> {
  await guarded(async () => {
    const recovery = await studioApi().getRecovery();
    if (recovery) applyOpened(recovery.project);
    useStudio.setState({ recoveryAt: null, dirty: true });
  });
}

export async function runMenuCommand(command: MenuCommand): Promise<void> {
  switch (command) {
    case 'new-project': return newProject();
    case 'open-project': return openProject();
    case 'save-project': return saveProject(false);
    case 'save-project-as': return saveProject(true);
    case 'import-request': return importRequest();
    case 'export-request': return exportRequest();
    case 'open-splat': return openSplatFile();
    case 'export-ply': return exportSelected('ply');
    case 'export-spz': return exportSelected('spz');
    case 'export-trajectory': return exportSelected('trajectory');
    case 'export-mp4': return exportSelected('mp4');
    case 'reset-view': return useStudio.getState().resetView();
    case 'show-start':
      await refreshLists();
      return useStudio.getState().setScreen('start');
  }
}
