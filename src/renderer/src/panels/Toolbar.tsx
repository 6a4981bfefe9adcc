/** Project and export actions; every disabled one says why. Labels say "Download" in serve mode. */
import { useStudio } from '../state/store';
import { exportRequest, exportSelected, importRequest, newProject, openProject, openSplatFile, renameProject, runMenuCommand, saveProject } from '../state/actions';
import type { ExportFormat } from '../../../shared/api/methods';
import { Button } from './Button';
import { promptProblems } from '../state/promptSlice';
import { openModelPanel, promptModel } from '../state/modelActions';

const FORMAT_LABELS: Record<ExportFormat, string> = { ply: 'PLY', spz: 'SPZ', trajectory: 'Trajectory', mp4: 'MP4' };

export function Toolbar() {
  const name = useStudio((s) => s.projectName);
  const dirty = useStudio((s) => s.dirty);
  const shell = useStudio((s) => s.shell);
  const formats = useStudio((s) => s.exportFormats);
  const selectedJob = useStudio((s) => s.jobs.find((j) => j.id === s.selectedJobId) ?? null);
  const verb = shell === 'serve' ? 'Download' : 'Export';
  const draft = useStudio((s) => s.draft);
  const model = useStudio((s) => promptModel(s));
  const models = useStudio((s) => s.models);
  const requestReason = Object.values(promptProblems({ ...draft, model }, models))[0] ?? null;

  const exportReason = (format: ExportFormat): string | null => {
    const f = formats.find((x) => x.format === format);
    if (f && !f.available) return f.reason;
    if (!selectedJob) return 'Select a result in the queue first.';
    if (format === 'trajectory') return null;
    if (selectedJob.status !== 'done') return `The selected job is ${selectedJob.status}; only finished results can be exported.`;
    return null;
  };

  return (
    <header className="toolbar">
      <Button onClick={() => void runMenuCommand('show-start')} title="Start screen">⌂</Button>
      <input className="project-name" data-testid="project-name" value={name} onChange={(e) => renameProject(e.target.value)} aria-label="Project name" />
      <span className="dirty" title={dirty ? 'Unsaved changes (autosaved for recovery)' : 'Saved'}>{dirty ? '●' : ''}</span>
      <Button onClick={() => void newProject()}>New</Button>
      <Button data-testid="open-project" onClick={() => void openProject()}>Open…</Button>
      <Button data-testid="save-project" onClick={() => void saveProject(false)}>Save</Button>
      <Button onClick={() => void saveProject(true)}>Save as…</Button>
      <span className="sep" />
      <Button data-testid="import-request" onClick={() => void importRequest()}>Import request…</Button>
      <Button data-testid="export-request" onClick={() => void exportRequest()} disabledReason={requestReason}>{verb} request…</Button>
      <Button data-testid="open-splat" onClick={() => void openSplatFile()}>Open PLY/SPZ…</Button>
      <span className="sep" />
      <Button data-testid="open-model-panel" onClick={openModelPanel} title="Model download, device and memory mode">Model…</Button>
      <span className="sep" />
      {(Object.keys(FORMAT_LABELS) as ExportFormat[]).map((f) => (
        <Button key={f} data-testid={`export-${f}`} onClick={() => void exportSelected(f)} disabledReason={exportReason(f)}>
          {verb} {FORMAT_LABELS[f]}
        </Button>
      ))}
    </header>
  );
}
