/**
 * The headless trajectory editor: one document, a selection, a playhead, a clipboard and one undo
 * stack. Every change to the document goes through a command (commands.ts), so every edit undoes.
 * Selection, playhead and clipboard are view state and are not part of the history (as in most
 * editors), but the selection drops keys that an undo or redo removes.
 *
 * No UI here: a React store subscribes (subscribe/getState fit useSyncExternalStore or a zustand
 * slice), and tests drive it directly, tldraw-style: call actions, then check the document.
 */
import { StudioError } from '../../errors';
import {
  DEFAULT_KEY_SPACING_SEC, TIME_EPSILON_SEC, cloneKeyframe, createKeyframe, createTrajectory, newKeyframeId, poseOf,
  type CameraPose, type InterpolationSettings, type Trajectory, type TrajectoryKeyframe,
} from '../document';
import { evaluateTrajectory } from '../sampling';
import { describeTemplate, templatePoses, type TrajectoryTemplate } from '../templates';
import {
  batchCommand, changeSettingsCommand, insertKeyframesCommand, removeKeyframesCommand, replaceDocumentCommand,
  replaceKeyframesCommand, type TrajectoryCommand, type TrajectorySettings,
} from './commands';
import { applyKeyframeEdit, describeKeyframeEdit, reorderKeyframes, type KeyframeEdit } from './keyframeEdits';
import { UndoHistory } from './undoHistory';

export type { KeyframeEdit } from './keyframeEdits';

export type SelectionMode = 'replace' | 'add' | 'remove' | 'toggle';

export interface EditorSnapshot {
  trajectory: Trajectory;
  selection: readonly string[];
  playheadSec: number;
  canUndo: boolean;
  canRedo: boolean;
  undoLabel: string | null;
  redoLabel: string | null;
}

export interface TrajectoryEditorOptions {
  /** ids for new keyframes (tests pass a counter) */
  newId?: () => string;
  historyLimit?: number;
  /** timeline gap between keys appended one after another */
  keySpacingSec?: number;
}

export interface TemplateOptions {
  /** start from this pose (the current view) instead of the last keyframe */
  reference?: CameraPose;
  /** also add the reference itself as a key; default: only when the trajectory is empty */
  includeReference?: boolean;
  spacingSec?: number;
}

export class TrajectoryEditor {
  private doc: Trajectory;
  private selected: string[] = [];
  private playhead = 0;
  private clipboard: TrajectoryKeyframe[] = [];
  private readonly history: UndoHistory;
  private readonly listeners = new Set<() => void>();
  private snapshot: EditorSnapshot | null = null;
  private openTransaction: TrajectoryCommand[] | null = null;
  private readonly newId: () => string;
  private readonly spacingSec: number;

  constructor(trajectory: Trajectory = createTrajectory(), options: TrajectoryEditorOptions = {}) {
    this.doc = trajectory;
    this.history = new UndoHistory(options.historyLimit);
    this.newId = options.newId ?? newKeyframeId;
    this.spacingSec = options.keySpacingSec ?? DEFAULT_KEY_SPACING_SEC;
  }

  // ── state ──────────────────────────────────────────────────────────────────────────────────

  get trajectory(): Trajectory {
    return this.doc;
  }

  get selection(): readonly string[] {
    return this.selected;
  }

  get playheadSec(): number {
    return this.playhead;
  }

  get canUndo(): boolean {
    return this.history.nextUndo() !== undefined;
  }

  get canRedo(): boolean {
    return this.history.nextRedo() !== undefined;
  }

  /** The same object until something changes (what useSyncExternalStore expects). */
  getState(): EditorSnapshot {
    this.snapshot ??= {
      trajectory: this.doc,
      selection: this.selected,
      playheadSec: this.playhead,
      canUndo: this.canUndo,
      canRedo: this.canRedo,
      undoLabel: this.history.undoLabel,
      redoLabel: this.history.redoLabel,
    };
    return this.snapshot;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.snapshot = null;
    for (const l of this.listeners) l();
  }

  keyframe(id: string): TrajectoryKeyframe {
    const k = this.doc.keyframes.find((x) => x.id === id);
    if (!k) throw new StudioError('NOT_FOUND', `There is no keyframe "${id}" in the trajectory; select a keyframe and try again.`);
    return k;
  }

  // ── history ────────────────────────────────────────────────────────────────────────────────

  /** Applies a command and records it (or adds it to the open transaction). Throws, changing nothing, if it fails. */
  execute(command: TrajectoryCommand): void {
    this.doc = command.do(this.doc);
    if (this.openTransaction) this.openTransaction.push(command);
    else this.history.record(command);
    this.pruneSelection();
    this.changed();
  }

  /** Runs several edits as one undo step; if one throws, the earlier ones are rolled back. */
  transaction<T>(label: string, run: () => T): T {
    if (this.openTransaction) return run(); // nested: joins the outer step
    const steps: TrajectoryCommand[] = [];
    this.openTransaction = steps;
    try {
      const result = run();
      this.openTransaction = null;
      if (steps.length > 0) this.history.record(batchCommand(label, steps));
      this.changed();
      return result;
    } catch (error) {
      this.openTransaction = null;
      this.doc = steps.reduceRight((d, c) => c.undo(d), this.doc);
      this.pruneSelection();
      this.changed();
      throw error;
    }
  }

  undo(): boolean {
    const c = this.history.nextUndo();
    if (!c || this.openTransaction) return false;
    this.doc = c.undo(this.doc);
    this.history.markUndone();
    this.pruneSelection();
    this.changed();
    return true;
  }

  redo(): boolean {
    const c = this.history.nextRedo();
    if (!c || this.openTransaction) return false;
    this.doc = c.do(this.doc);
    this.history.markRedone();
    this.pruneSelection();
    this.changed();
    return true;
  }

  /** A new document with an empty history (opening a project). For an undoable swap use replaceTrajectory. */
  load(trajectory: Trajectory): void {
    this.doc = trajectory;
    this.history.clear();
    this.selected = [];
    this.playhead = trajectory.keyframes[0]?.timeSec ?? 0;
    this.changed();
  }

  replaceTrajectory(trajectory: Trajectory, label = 'Replace camera path'): void {
    this.execute(replaceDocumentCommand(label, this.doc, trajectory));
    this.selected = [];
    this.changed();
  }

  // ── selection, playhead, clipboard ─────────────────────────────────────────────────────────

  select(ids: readonly string[], mode: SelectionMode = 'replace'): void {
    for (const id of ids) this.keyframe(id);
    const current = new Set(this.selected);
    if (mode === 'replace') current.clear();
    for (const id of ids) {
      if (mode === 'remove' || (mode === 'toggle' && current.has(id))) current.delete(id);
      else current.add(id);
    }
    this.selected = this.doc.keyframes.map((k) => k.id).filter((id) => current.has(id));
    this.changed();
  }

  selectAll(): void {
    this.select(this.doc.keyframes.map((k) => k.id));
  }

  clearSelection(): void {
    this.select([]);
  }

  private pruneSelection(): void {
    const ids = new Set(this.doc.keyframes.map((k) => k.id));
    if (this.selected.some((id) => !ids.has(id))) this.selected = this.selected.filter((id) => ids.has(id));
  }

  setPlayhead(timeSec: number): void {
    if (!Number.isFinite(timeSec)) throw new StudioError('INVALID_REQUEST', `The playhead time ${timeSec} is not a number of seconds.`);
    this.playhead = Math.max(0, timeSec);
    this.changed();
  }

  /** The camera at the playhead (null when there are no keys yet). */
  poseAtPlayhead(): CameraPose | null {
    return this.doc.keyframes.length ? evaluateTrajectory(this.doc, this.playhead) : null;
  }

  copy(ids: readonly string[] = this.selected): number {
    const keys = ids.map((id) => cloneKeyframe(this.keyframe(id))).sort((a, b) => a.timeSec - b.timeSec);
    this.clipboard = keys;
    return keys.length;
  }

  /** Pastes copies of the copied keys, keeping their spacing, from `atTimeSec` (default: after the last key). */
  paste(atTimeSec?: number): string[] {
    if (this.clipboard.length === 0) return [];
    const start = atTimeSec ?? this.nextFreeTime();
    const t0 = this.clipboard[0].timeSec;
    const keys = this.clipboard.map((k) => ({ ...cloneKeyframe(k), id: this.newId(), timeSec: start + (k.timeSec - t0) }));
    this.addKeys(keys, keys.length === 1 ? 'Paste keyframe' : `Paste ${keys.length} keyframes`);
    return keys.map((k) => k.id);
  }

  // ── keyframes ──────────────────────────────────────────────────────────────────────────────

  private nextFreeTime(): number {
    const keys = this.doc.keyframes;
    return keys.length ? keys[keys.length - 1].timeSec + this.spacingSec : 0;
  }

  private keyAt(timeSec: number): TrajectoryKeyframe | undefined {
    return this.doc.keyframes.find((k) => Math.abs(k.timeSec - timeSec) <= TIME_EPSILON_SEC);
  }

  /** Keys plus, when they reach past the timeline's end, a longer duration; one undo step. */
  private addKeys(keys: TrajectoryKeyframe[], label: string): void {
    const last = Math.max(...keys.map((k) => k.timeSec), ...this.doc.keyframes.map((k) => k.timeSec));
    const steps: TrajectoryCommand[] = [insertKeyframesCommand(label, keys)];
    const needed = this.doc.loop ? last + this.spacingSec : last;
    if (needed > this.doc.durationSec) steps.push(changeSettingsCommand(label, { durationSec: this.doc.durationSec }, { durationSec: needed }));
    this.execute(steps.length === 1 ? steps[0] : batchCommand(label, steps));
    this.selected = keys.map((k) => k.id);
    this.changed();
  }

  /**
   * Adds a keyframe with the given pose (the current view) at `timeSec`, by default after the last
   * key. A key already at that time takes the new pose instead. Returns the key's id.
   */
  addKeyframe(pose: CameraPose, timeSec: number = this.nextFreeTime()): string {
    const existing = this.keyAt(timeSec);
    if (existing) {
      this.execute(replaceKeyframesCommand('Update keyframe', [existing], [createKeyframe(pose, existing.timeSec, existing.id)]));
      this.selected = [existing.id];
      this.changed();
      return existing.id;
    }
    const key = createKeyframe(pose, timeSec, this.newId());
    this.addKeys([key], 'Add keyframe');
    this.playhead = timeSec;
    this.changed();
    return key.id;
  }

  /** Adds a keyframe on the current path at `timeSec` (the path does not change shape there). */
  insertKeyframeAt(timeSec: number): string {
    if (this.keyAt(timeSec)) throw new StudioError('INVALID_REQUEST', `There is already a keyframe at ${timeSec.toFixed(3)} s.`);
    const key = createKeyframe(evaluateTrajectory(this.doc, timeSec), timeSec, this.newId());
    this.addKeys([key], 'Insert keyframe');
    return key.id;
  }

  /** Adds a keyframe halfway (in time) between two keys, on the current path. */
  insertKeyframeBetween(idA: string, idB: string): string {
    const a = this.keyframe(idA), b = this.keyframe(idB);
    return this.insertKeyframeAt((a.timeSec + b.timeSec) / 2);
  }

  deleteKeyframes(ids: readonly string[] = this.selected): void {
    if (ids.length === 0) return;
    this.execute(removeKeyframesCommand(ids.length === 1 ? 'Delete keyframe' : `Delete ${ids.length} keyframes`, this.doc, ids));
  }

  /**
   * Moves a key to another place in the order (0 = first). The timeline slots stay where they
   * are; the poses move between them, so the key takes the time of the slot it lands in.
   */
  moveKeyframeToIndex(id: string, index: number): void {
    this.keyframe(id);
    const { before, after } = reorderKeyframes(this.doc.keyframes, id, index);
    if (after.length > 0) this.execute(replaceKeyframesCommand('Reorder keyframes', before, after));
  }

  /** Shifts keys along the timeline (negative moves earlier). */
  shiftKeyframes(ids: readonly string[], deltaSec: number): void {
    if (ids.length === 0 || deltaSec === 0) return;
    const before = ids.map((id) => this.keyframe(id));
    const after = before.map((k) => ({ ...cloneKeyframe(k), timeSec: k.timeSec + deltaSec }));
    if (after.some((k) => k.timeSec < 0)) throw new StudioError('INVALID_REQUEST', 'That would move a keyframe before 0 s; shift by less.');
    this.transaction('Move keyframes in time', () => {
      this.execute(replaceKeyframesCommand('Move keyframes in time', before, after));
      this.fitDuration();
    });
  }

  /** Numeric edit of one or several keys, one undo step. */
  editKeyframes(ids: readonly string[], edit: KeyframeEdit): void {
    if (ids.length === 0) return;
    if (edit.timeSec !== undefined && ids.length !== 1) {
      throw new StudioError('INVALID_REQUEST', 'Several keyframes cannot all move to one time; edit their times one by one or shift them.');
    }
    const before = ids.map((id) => this.keyframe(id));
    const after = before.map((k) => applyKeyframeEdit(k, edit));
    const label = describeKeyframeEdit(edit, ids.length);
    this.transaction(label, () => {
      this.execute(replaceKeyframesCommand(label, before, after));
      if (edit.timeSec !== undefined) this.fitDuration();
    });
  }

  /** Makes the timeline long enough for the keys (and, when looping, for a closing segment). */
  private fitDuration(): void {
    const keys = this.doc.keyframes;
    if (keys.length === 0) return;
    const last = keys[keys.length - 1].timeSec;
    const needed = this.doc.loop ? last + this.spacingSec : last;
    if (needed > this.doc.durationSec) this.setSettings('Lengthen timeline', { durationSec: needed });
  }

  // ── path settings ──────────────────────────────────────────────────────────────────────────

  private setSettings(label: string, after: Partial<TrajectorySettings>): void {
    const before: Partial<TrajectorySettings> = {};
    for (const key of Object.keys(after) as (keyof TrajectorySettings)[]) (before as Record<string, unknown>)[key] = this.doc[key];
    this.execute(changeSettingsCommand(label, before, after));
  }

  setInterpolation(patch: Partial<InterpolationSettings>): void {
    this.setSettings('Change interpolation', { interpolation: { ...this.doc.interpolation, ...patch } });
  }

  setLoop(loop: boolean): void {
    this.transaction(loop ? 'Close the path (loop)' : 'Open the path', () => {
      this.setSettings(loop ? 'Close the path (loop)' : 'Open the path', { loop });
      this.fitDuration();
    });
  }

  setConstantSpeed(constantSpeed: boolean): void {
    this.setSettings(constantSpeed ? 'Constant speed' : 'Timed by keyframes', { constantSpeed });
  }

  setDurationSec(durationSec: number): void {
    const last = this.doc.keyframes.length ? this.doc.keyframes[this.doc.keyframes.length - 1].timeSec : 0;
    if (!(durationSec >= last)) {
      throw new StudioError('INVALID_REQUEST', `The timeline must reach the last keyframe at ${last.toFixed(3)} s; give at least that.`);
    }
    this.setSettings('Change duration', { durationSec });
  }

  setImageSize(widthPx: number, heightPx: number): void {
    if (!(Number.isInteger(widthPx) && Number.isInteger(heightPx) && widthPx > 0 && heightPx > 0)) {
      throw new StudioError('INVALID_REQUEST', `The image size ${widthPx}×${heightPx} is not a positive whole number of pixels.`);
    }
    this.setSettings('Change image size', { imageWidthPx: widthPx, imageHeightPx: heightPx });
  }

  // ── templates ──────────────────────────────────────────────────────────────────────────────

  /** Appends a template's keys after the last key, from the last key or the given view. Returns their ids. */
  applyTemplate(template: TrajectoryTemplate, options: TemplateOptions = {}): string[] {
    const keys = this.doc.keyframes;
    const last = keys[keys.length - 1];
    const reference = options.reference ?? (last ? poseOf(last) : undefined);
    if (!reference) throw new StudioError('INVALID_REQUEST', 'A template starts from a camera: add a keyframe at the current view first, or pass the view.');
    const spacing = options.spacingSec ?? this.spacingSec;
    const includeReference = options.includeReference ?? keys.length === 0;
    let t = last ? last.timeSec : -spacing;
    const added: TrajectoryKeyframe[] = [];
    if (includeReference) added.push(createKeyframe(reference, (t += spacing), this.newId()));
    for (const pose of templatePoses(template, reference)) added.push(createKeyframe(pose, (t += spacing), this.newId()));
    this.addKeys(added, describeTemplate(template));
    return added.map((k) => k.id);
  }
}
