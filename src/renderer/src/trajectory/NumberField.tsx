/** A number input that commits on Enter or blur (one undo step per commit, not per keystroke). */
import { useEffect, useState } from 'react';

interface Props {
  label: string;
  /** null: several keys with different values (shown empty) */
  value: number | null;
  digits?: number;
  step?: number;
  testId: string;
  onCommit(value: number): void;
}

export function NumberField({ label, value, digits = 3, step = 0.1, testId, onCommit }: Props) {
  const shown = value === null ? '' : String(Number(value.toFixed(digits)));
  const [text, setText] = useState(shown);
  useEffect(() => setText(shown), [shown]);
  const commit = () => {
    const v = text.trim() === '' ? NaN : Number(text);
    if (Number.isFinite(v) && text !== shown) onCommit(v);
    else setText(shown);
  };
  return (
    <label className="number-field">
      {label}
      <input type="number" step={step} data-testid={testId} value={text} placeholder={value === null ? 'mixed' : undefined}
        onChange={(e) => setText(e.target.value)} onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') commit();
          if (e.key === 'Escape') setText(shown);
        }} />
    </label>
  );
}
