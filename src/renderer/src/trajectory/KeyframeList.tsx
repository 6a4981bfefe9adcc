/**
 * The keys in time order: click selects, Ctrl/Shift-click adds (several keys), arrows reorder
 * (poses move between the timeline slots), + inserts a key halfway to the next one on the path.
 */
import type { MouseEvent } from 'react';
import { useStudio } from '../state/store';
import { insertKeyAfter, moveKeyInOrder, selectKeys } from './trajectoryActions';

export function KeyframeList() {
  const keys = useStudio((s) => s.trajectory.trajectory.keyframes);
  const selection = useStudio((s) => s.trajectory.selection);

  const onRowClick = (e: MouseEvent, id: string, index: number) => {
    if (e.shiftKey && selection.length > 0) {
      const anchor = keys.findIndex((k) => k.id === selection[selection.length - 1]);
      const [a, b] = anchor < index ? [anchor, index] : [index, anchor];
      selectKeys(keys.slice(a, b + 1).map((k) => k.id), 'add');
    } else selectKeys([id], e.ctrlKey || e.metaKey ? 'toggle' : 'replace');
  };

  if (keys.length === 0) {
    return <p className="hint" data-testid="keyframes-empty">No keyframes yet. Fly to a view and press Space (or apply a template).</p>;
  }
  return (
    <ol className="keyframe-list" data-testid="keyframe-list">
      {keys.map((k, i) => (
        <li key={k.id} data-testid="keyframe" data-id={k.id} data-time={k.timeSec}
          data-pose={JSON.stringify({ position: k.position, quaternionWXYZ: k.quaternionWXYZ, fovYDeg: k.fovYDeg })}
          className={selection.includes(k.id) ? 'selected' : undefined} onClick={(e) => onRowClick(e, k.id, i)}>
          <span className="key-index">{i + 1}</span>
          <span className="key-time">{k.timeSec.toFixed(2)} s</span>
          <span className="key-pos">{k.position.map((v) => v.toFixed(2)).join(', ')}</span>
          <span className="key-fov">{k.fovYDeg.toFixed(0)}°</span>
          <span className="key-actions" onClick={(e) => e.stopPropagation()}>
            <button title="Earlier in the order" disabled={i === 0} onClick={() => moveKeyInOrder(k.id, i - 1)}>↑</button>
            <button title="Later in the order" disabled={i === keys.length - 1} onClick={() => moveKeyInOrder(k.id, i + 1)}>↓</button>
            <button title={i === keys.length - 1 ? 'Add a key at the current view after this one' : 'Insert a key halfway to the next one, on the path'}
              data-testid="insert-after" onClick={() => insertKeyAfter(k.id)}>+</button>
          </span>
        </li>
      ))}
    </ol>
  );
}
