/**
 * One undo stack and one redo stack of trajectory commands. The editor applies a command first and
 * records it only if it succeeded, so the stacks never hold an edit that did not happen.
 */
import type { TrajectoryCommand } from './commands';

/** Enough for a long session; the oldest steps fall off first. */
export const DEFAULT_HISTORY_LIMIT = 500;

export class UndoHistory {
  private done: TrajectoryCommand[] = [];
  private undone: TrajectoryCommand[] = [];

  constructor(private readonly limit = DEFAULT_HISTORY_LIMIT) {}

  /** A new edit: it becomes the step to undo, and the redo branch is dropped. */
  record(command: TrajectoryCommand): void {
    this.done.push(command);
    if (this.done.length > this.limit) this.done.shift();
    this.undone = [];
  }

  nextUndo(): TrajectoryCommand | undefined {
    return this.done[this.done.length - 1];
  }

  nextRedo(): TrajectoryCommand | undefined {
    return this.undone[this.undone.length - 1];
  }

  /** The step from nextUndo() has been undone. */
  markUndone(): void {
    const c = this.done.pop();
    if (c) this.undone.push(c);
  }

  /** The step from nextRedo() has been redone. */
  markRedone(): void {
    const c = this.undone.pop();
    if (c) this.done.push(c);
  }

  get undoLabel(): string | null {
    return this.nextUndo()?.label ?? null;
  }

  get redoLabel(): string | null {
    return this.nextRedo()?.label ?? null;
  }

  get undoDepth(): number {
    return this.done.length;
  }

  clear(): void {
    this.done = [];
    this.undone = [];
  }
}
