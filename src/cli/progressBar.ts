/**
 * A one-line terminal progress bar on stderr (redrawn in place on a TTY, one line per stage
 * otherwise, so logs and CI output stay readable).
 */
import type { GenerationStage } from '../engine/pipeline/generate';

/** Stages in the order a generation runs them, for the fraction done. */
const STAGE_WEIGHTS: Record<string, number> = { text: 1, image: 1, transformer: 3, decode: 2, render: 2, encode: 2 };

export class ProgressBar {
  private total = 0;
  private done = 0;
  private lastLine = '';

  constructor(private readonly label: string, private readonly stream: NodeJS.WriteStream = process.stderr) {}

  /** Called once before the run with the stages that will happen. */
  plan(hasImage: boolean, steps = 4): void {
    this.total = STAGE_WEIGHTS.text + (hasImage ? STAGE_WEIGHTS.image : 0) +
      (steps - 1) * (STAGE_WEIGHTS.transformer + STAGE_WEIGHTS.decode + STAGE_WEIGHTS.render + STAGE_WEIGHTS.encode) +
      STAGE_WEIGHTS.transformer + STAGE_WEIGHTS.decode;
    this.done = 0;
  }

  stage(s: GenerationStage): void {
    if (s.stage === 'done') return this.draw('done', 1);
    const name = s.stage === 'step' ? s.part : s.stage;
    const text = s.stage === 'step' ? `step ${s.step}/${s.of} ${s.part}` : s.stage === 'text' ? 'text encoder' : 'image encoder';
    this.draw(text, this.total ? this.done / this.total : 0);
    this.done += STAGE_WEIGHTS[name] ?? 1;
  }

  note(text: string): void {
    this.draw(text, this.total ? this.done / this.total : 0);
  }

  private draw(text: string, fraction: number): void {
    const width = 24;
    const filled = Math.round(Math.min(1, fraction) * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${text}`;
    if (this.stream.isTTY) this.stream.write(`\r${line.padEnd(this.lastLine.length)}`);
    else this.stream.write(`${line}\n`);
    this.lastLine = line;
  }

  /** Leaves the bar's line before the summary is printed. */
  end(): void {
    if (this.stream.isTTY && this.lastLine) this.stream.write('\r' + ' '.repeat(this.lastLine.length) + '\r');
    this.lastLine = '';
  }
}
