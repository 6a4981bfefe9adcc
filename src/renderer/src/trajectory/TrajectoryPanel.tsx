/**
 * The camera path editor under the viewer: edit bar (add/undo/redo/copy/paste/delete, look
 * through, frame preview, help), the time line, then keys | inspector + path | templates + files.
 */
import { useStudio } from '../state/store';
import { addKeyAtView, copyKeys, deleteSelectedKeys, pasteKeys, redoEdit, undoEdit } from './trajectoryActions';
import { useTrajectoryShortcuts } from './shortcuts';
import { Timeline } from './Timeline';
import { KeyframeList } from './KeyframeList';
import { KeyframeInspector } from './KeyframeInspector';
import { PathSettings } from './PathSettings';
import { TemplatePanel } from './TemplatePanel';
import { InterchangePanel } from './InterchangePanel';
import { GuardRails } from './GuardRails';
import { ShortcutHelp } from './ShortcutHelp';
import { pathDrivesCameras } from './trajectorySlice';
import './trajectory.css';

export function TrajectoryPanel() {
  useTrajectoryShortcuts();
  const undoLabel = useStudio((s) => s.trajectory.undoLabel);
  const redoLabel = useStudio((s) => s.trajectory.redoLabel);
  const selected = useStudio((s) => s.trajectory.selection.length);
  const keyCount = useStudio((s) => s.trajectory.trajectory.keyframes.length);
  const drives = useStudio((s) => pathDrivesCameras(s.trajectory.trajectory));
  const frames = useStudio((s) => s.draft.frames);
  const lookThrough = useStudio((s) => s.lookThrough);
  const framePreview = useStudio((s) => s.framePreview);
  const setView = useStudio((s) => s.setTrajectoryView);
  return (
    <section className="trajectory-panel" data-testid="trajectory-panel">
      <div className="trajectory-bar">
        <button data-testid="add-key" onClick={() => addKeyAtView()} title="Add a keyframe at the current view (Space)">+ Key</button>
        <button data-testid="undo" disabled={!undoLabel} title={undoLabel ? `Undo ${undoLabel} (Ctrl+Z)` : 'Nothing to undo'} onClick={() => undoEdit()}>Undo</button>
        <button data-testid="redo" disabled={!redoLabel} title={redoLabel ? `Redo ${redoLabel} (Ctrl+Shift+Z)` : 'Nothing to redo'} onClick={() => redoEdit()}>Redo</button>
        <button disabled={selected === 0} onClick={() => copyKeys()} title="Copy (Ctrl+C)">Copy</button>
        <button onClick={() => pasteKeys()} title="Paste after the last key (Ctrl+V)">Paste</button>
        <button data-testid="delete-keys" disabled={selected === 0} onClick={() => deleteSelectedKeys()} title="Delete (Del)">Delete</button>
        <label className="check"><input type="checkbox" data-testid="look-through" checked={lookThrough} onChange={(e) => setView({ lookThrough: e.target.checked, playing: false })} />Look through</label>
        <label className="check"><input type="checkbox" data-testid="frame-preview-toggle" checked={framePreview} onChange={(e) => setView({ framePreview: e.target.checked })} />Frame</label>
        <span className="hint" data-testid="path-status">
          {keyCount} keys{drives ? ` → ${frames} generation cameras` : keyCount === 1 ? ' (add one more to drive the generation)' : ''}
        </span>
        <button title="Keyboard shortcuts (?)" data-testid="shortcuts" onClick={() => setView({ showShortcuts: true })}>?</button>
      </div>
      <Timeline />
      <div className="trajectory-columns">
        <div className="trajectory-col"><KeyframeList /></div>
        <div className="trajectory-col"><KeyframeInspector /><PathSettings /></div>
        <div className="trajectory-col"><TemplatePanel /><InterchangePanel /><GuardRails /></div>
      </div>
      <ShortcutHelp />
    </section>
  );
}
