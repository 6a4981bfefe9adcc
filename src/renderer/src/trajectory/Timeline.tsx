/**
 * The time line: keys as markers you can drag (the selection moves together, one undo step on
 * release), a playhead you scrub by dragging on the track, and play/pause. Time runs from 0 to the
 * document's duration (at least the last key).
 */
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { useStudio } from '../state/store';
import { selectKeys, setPlayhead, shiftKeysInTime } from './trajectoryActions';

/** Drags shorter than this are clicks (select), not moves. */
const DRAG_THRESHOLD_PX = 3;

export function timelineSpanSec(durationSec: number, lastKeySec: number): number {
  return Math.max(durationSec, lastKeySec, 1);
}

function usePlayback(spanSec: number): void {
  const playing = useStudio((s) => s.playing);
  useEffect(() => {
    if (!playing) return;
    let last = performance.now();
    let frame = requestAnimationFrame(function tick(now) {
      const s = useStudio.getState();
      const doc = s.trajectory.trajectory;
      const keys = doc.keyframes;
      const start = keys[0]?.timeSec ?? 0;
      const end = doc.loop ? Math.max(doc.durationSec, keys.at(-1)?.timeSec ?? 0) : (keys.at(-1)?.timeSec ?? 0);
      let t = s.trajectory.playheadSec + (now - last) / 1000;
      last = now;
      if (t > end) {
        if (doc.loop && end > start) t = start + ((t - start) % (end - start));
        else {
          setPlayhead(end);
          s.setTrajectoryView({ playing: false });
          return;
        }
      }
      setPlayhead(t);
      frame = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(frame);
  }, [playing, spanSec]);
}

export function Timeline() {
  const keys = useStudio((s) => s.trajectory.trajectory.keyframes);
  const durationSec = useStudio((s) => s.trajectory.trajectory.durationSec);
  const playheadSec = useStudio((s) => s.trajectory.playheadSec);
  const selection = useStudio((s) => s.trajectory.selection);
  const playing = useStudio((s) => s.playing);
  const setView = useStudio((s) => s.setTrajectoryView);
  const track = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<{ ids: readonly string[]; startX: number; dx: number } | null>(null);
  const spanSec = timelineSpanSec(durationSec, keys.at(-1)?.timeSec ?? 0);
  usePlayback(spanSec);

  const secPerPx = () => spanSec / Math.max(1, track.current?.getBoundingClientRect().width ?? 1);
  const timeAt = (clientX: number) => {
    const r = track.current!.getBoundingClientRect();
    return Math.min(spanSec, Math.max(0, ((clientX - r.left) / r.width) * spanSec));
  };

  const onKeyDown = (e: ReactPointerEvent, id: string) => {
    e.stopPropagation();
    (e.target as Element).setPointerCapture(e.pointerId);
    const additive = e.shiftKey || e.ctrlKey || e.metaKey;
    let ids = selection;
    if (additive) selectKeys([id], 'toggle');
    else if (!selection.includes(id)) selectKeys([id]);
    ids = useStudio.getState().trajectory.selection;
    if (!ids.includes(id)) return;
    setDrag({ ids, startX: e.clientX, dx: 0 });
  };
  const onKeyMove = (e: ReactPointerEvent) => {
    if (drag) setDrag({ ...drag, dx: e.clientX - drag.startX });
  };
  const onKeyUp = () => {
    if (drag && Math.abs(drag.dx) >= DRAG_THRESHOLD_PX) shiftKeysInTime(drag.ids, Math.round(drag.dx * secPerPx() * 1000) / 1000);
    setDrag(null);
  };

  const onTrackDown = (e: ReactPointerEvent) => {
    (e.target as Element).setPointerCapture(e.pointerId);
    setView({ playing: false });
    setPlayhead(timeAt(e.clientX));
  };
  const onTrackMove = (e: ReactPointerEvent) => {
    if (e.buttons & 1) setPlayhead(timeAt(e.clientX));
  };

  const pct = (t: number) => `${(t / spanSec) * 100}%`;
  const dragSec = drag ? drag.dx * secPerPx() : 0;
  return (
    <div className="timeline" data-testid="timeline">
      <button data-testid="play" onClick={() => setView({ playing: !playing, lookThrough: true })} title="Play along the path (P)">
        {playing ? '❚❚' : '▶'}
      </button>
      <div className="timeline-track" ref={track} data-testid="timeline-track" data-span-sec={spanSec}
        onPointerDown={onTrackDown} onPointerMove={onTrackMove}>
        {keys.map((k, i) => (
          <div key={k.id} className={`timeline-key${selection.includes(k.id) ? ' selected' : ''}`} data-testid="timeline-key" data-id={k.id}
            style={{ left: pct(k.timeSec + (drag?.ids.includes(k.id) ? dragSec : 0)) }} title={`Key ${i + 1} at ${k.timeSec.toFixed(2)} s`}
            onPointerDown={(e) => onKeyDown(e, k.id)} onPointerMove={onKeyMove} onPointerUp={onKeyUp} />
        ))}
        <div className="timeline-playhead" data-testid="playhead" data-time={playheadSec} style={{ left: pct(Math.min(playheadSec, spanSec)) }} />
      </div>
      <span className="timeline-time" data-testid="playhead-time">{playheadSec.toFixed(2)} / {spanSec.toFixed(2)} s</span>
    </div>
  );
}
