/**
 * Templates with parameters (distance, angle, count), appended after the last key and starting
 * from the current view or the last key. Upstream's six presets keep upstream's numbers.
 */
import { useState } from 'react';
import { UPSTREAM_TEMPLATES, type MoveDirection, type TrajectoryTemplate } from '../../../shared/trajectory';
import { useStudio } from '../state/store';
import { applyTemplate } from './trajectoryActions';
import { NumberField } from './NumberField';

interface Params {
  distance: number;
  angleDeg: number;
  count: number;
}

/** Our templates: what each needs from the three parameters, and its defaults. */
const STUDIO_TEMPLATES: Record<string, { uses: (keyof Params)[]; defaults: Params; make(p: Params): TrajectoryTemplate }> = {
  'Orbit 360°': { uses: ['angleDeg', 'distance', 'count'], defaults: { distance: 1, angleDeg: 360, count: 8 }, make: (p) => ({ kind: 'orbit', angleDeg: p.angleDeg, radius: p.distance, count: p.count, axis: 'world-up' }) },
  'Move': { uses: ['distance', 'count'], defaults: { distance: 1, angleDeg: 0, count: 4 }, make: (p) => ({ kind: 'move', direction: 'forward', distance: p.distance, count: p.count, axes: 'camera' }) },
  'Pan': { uses: ['angleDeg', 'count'], defaults: { distance: 0, angleDeg: 60, count: 4 }, make: (p) => ({ kind: 'pan', angleDeg: p.angleDeg, count: p.count }) },
  'Tilt': { uses: ['angleDeg', 'count'], defaults: { distance: 0, angleDeg: 20, count: 2 }, make: (p) => ({ kind: 'tilt', angleDeg: p.angleDeg, count: p.count }) },
  'Crane': { uses: ['distance', 'count'], defaults: { distance: 0.5, angleDeg: 0, count: 2 }, make: (p) => ({ kind: 'crane', distance: p.distance, count: p.count }) },
  'Dolly zoom': { uses: ['distance', 'count'], defaults: { distance: 0.5, angleDeg: 0, count: 4 }, make: (p) => ({ kind: 'dollyZoom', distance: p.distance, count: p.count }) },
  'Spiral': { uses: ['angleDeg', 'distance', 'count'], defaults: { distance: 1, angleDeg: 360, count: 8 }, make: (p) => ({ kind: 'spiral', angleDeg: p.angleDeg, radius: p.distance, count: p.count }) },
  'Look around': { uses: ['angleDeg', 'count'], defaults: { distance: 0, angleDeg: 30, count: 4 }, make: (p) => ({ kind: 'lookAround', angleDeg: p.angleDeg, count: p.count }) },
};

const PARAM_LABELS: Record<keyof Params, string> = { distance: 'Distance / radius', angleDeg: 'Angle°', count: 'Keys' };

/** Upstream's presets: fixed numbers (index.html), only the direction differs. */
function upstreamPreset(name: string): TrajectoryTemplate {
  return UPSTREAM_TEMPLATES[name];
}

export function TemplatePanel() {
  const [name, setName] = useState('Orbit 360°');
  const [params, setParams] = useState<Params>(STUDIO_TEMPLATES['Orbit 360°'].defaults);
  const [direction, setDirection] = useState<MoveDirection>('forward');
  const [from, setFrom] = useState<'view' | 'lastKey'>('view');
  const hasKeys = useStudio((s) => s.trajectory.trajectory.keyframes.length > 0);
  const studio = STUDIO_TEMPLATES[name];

  const choose = (n: string) => {
    setName(n);
    if (STUDIO_TEMPLATES[n]) setParams(STUDIO_TEMPLATES[n].defaults);
  };
  const template = (): TrajectoryTemplate => {
    if (!studio) return upstreamPreset(name);
    const t = studio.make(params);
    return t.kind === 'move' ? { ...t, direction } : t;
  };

  return (
    <div className="template-panel" data-testid="template-panel">
      <h3>Templates</h3>
      <select data-testid="template-kind" value={name} onChange={(e) => choose(e.target.value)}>
        <optgroup label="Studio">
          {Object.keys(STUDIO_TEMPLATES).map((n) => <option key={n} value={n}>{n}</option>)}
        </optgroup>
        <optgroup label="Upstream (FlashWorld demo)">
          {Object.keys(UPSTREAM_TEMPLATES).map((n) => <option key={n} value={n}>{n}</option>)}
        </optgroup>
      </select>
      {studio && (
        <div className="row">
          {studio.uses.map((p) => (
            <NumberField key={`${name}-${p}`} label={PARAM_LABELS[p]} testId={`template-${p}`} value={params[p]} step={p === 'count' ? 1 : 0.1}
              onCommit={(v) => setParams({ ...params, [p]: p === 'count' ? Math.max(1, Math.round(v)) : v })} />
          ))}
          {name === 'Move' && (
            <label>Direction
              <select value={direction} onChange={(e) => setDirection(e.target.value as MoveDirection)}>
                {(['forward', 'backward', 'left', 'right', 'up', 'down'] as const).map((d) => <option key={d}>{d}</option>)}
              </select>
            </label>
          )}
        </div>
      )}
      <div className="row">
        <label>From
          <select data-testid="template-from" value={from} onChange={(e) => setFrom(e.target.value as 'view' | 'lastKey')}>
            <option value="view">the current view</option>
            <option value="lastKey" disabled={!hasKeys}>the last keyframe</option>
          </select>
        </label>
        <button data-testid="apply-template" onClick={() => applyTemplate(template(), from)}>Apply</button>
      </div>
    </div>
  );
}
