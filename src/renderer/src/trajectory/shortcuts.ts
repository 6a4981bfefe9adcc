/**
 * Trajectory keyboard shortcuts (one table: the handler and the help panel both read it). They act
 * only when no text field has focus, so typing a prompt never records cameras or undoes edits.
 */
import { useEffect } from 'react';
import { useStudio } from '../state/store';
import {
  addKeyAtView, copyKeys, deleteSelectedKeys, pasteKeys, redoEdit, selectAllKeys, undoEdit,
} from './trajectoryActions';

export interface Shortcut {
  keys: string;
  action: string;
  /** matches a keydown; the first match wins */
  matches(e: KeyboardEvent): boolean;
  run(): void;
}

const mod = (e: KeyboardEvent) => e.ctrlKey || e.metaKey;

function togglePlay(): void {
  const s = useStudio.getState();
  s.setTrajectoryView({ playing: !s.playing, lookThrough: s.playing ? s.lookThrough : true });
}

export const TRAJECTORY_SHORTCUTS: readonly Shortcut[] = [
  { keys: 'Space', action: 'Add a keyframe at the current view', matches: (e) => e.code === 'Space' && !mod(e) && !e.shiftKey, run: () => void addKeyAtView() },
  { keys: 'Ctrl+Z', action: 'Undo', matches: (e) => mod(e) && !e.shiftKey && e.code === 'KeyZ', run: () => void undoEdit() },
  { keys: 'Ctrl+Shift+Z / Ctrl+Y', action: 'Redo', matches: (e) => mod(e) && ((e.shiftKey && e.code === 'KeyZ') || e.code === 'KeyY'), run: () => void redoEdit() },
  { keys: 'Delete / Backspace', action: 'Delete the selected keyframes', matches: (e) => !mod(e) && (e.code === 'Delete' || e.code === 'Backspace'), run: () => void deleteSelectedKeys() },
  { keys: 'Ctrl+C', action: 'Copy the selected keyframes', matches: (e) => mod(e) && e.code === 'KeyC', run: () => void copyKeys() },
  { keys: 'Ctrl+V', action: 'Paste keyframes after the last one', matches: (e) => mod(e) && e.code === 'KeyV', run: () => void pasteKeys() },
  { keys: 'Ctrl+A', action: 'Select all keyframes', matches: (e) => mod(e) && e.code === 'KeyA', run: () => void selectAllKeys() },
  { keys: 'P', action: 'Play / pause along the path (looks through it)', matches: (e) => !mod(e) && e.code === 'KeyP', run: togglePlay },
  { keys: 'L', action: 'Look through the path on / off', matches: (e) => !mod(e) && e.code === 'KeyL', run: () => useStudio.getState().setTrajectoryView({ lookThrough: !useStudio.getState().lookThrough }) },
  { keys: 'G', action: 'Gizmo: move the selected keyframe', matches: (e) => !mod(e) && e.code === 'KeyG', run: () => useStudio.getState().setTrajectoryView({ gizmoMode: 'translate' }) },
  { keys: 'R', action: 'Gizmo: rotate the selected keyframe', matches: (e) => !mod(e) && e.code === 'KeyR', run: () => useStudio.getState().setTrajectoryView({ gizmoMode: 'rotate' }) },
  { keys: '?', action: 'Show / hide this list', matches: (e) => e.key === '?', run: () => useStudio.getState().setTrajectoryView({ showShortcuts: !useStudio.getState().showShortcuts }) },
];

/** Also listed in the help panel: the viewer's own navigation (Spark's fly controls). */
export const VIEWER_SHORTCUTS = [
  ['W A S D', 'Fly forward / left / back / right'],
  ['Q / E', 'Roll'],
  ['Drag', 'Look around'],
  ['Shift', 'Fly faster'],
] as const;

function typingInField(): boolean {
  const el = document.activeElement;
  return Boolean(el && (/^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName) || (el as HTMLElement).isContentEditable));
}

export function useTrajectoryShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.repeat && e.code === 'Space') return;
      if (typingInField() || useStudio.getState().screen !== 'studio') return;
      const shortcut = TRAJECTORY_SHORTCUTS.find((s) => s.matches(e));
      if (!shortcut) return;
      e.preventDefault();
      shortcut.run();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
