/** Engine state: loading with progress, and a crash with its reason (the engine restarts by itself). */
import { useStudio } from '../state/store';

export function EngineBanner() {
  const engine = useStudio((s) => s.engine);
  const connected = useStudio((s) => s.connected);
  if (!connected) return <div className="banner error" data-testid="engine-banner">Lost the connection to the studio server; reconnecting…</div>;
  if (!engine) return null;
  const crash = engine.lastCrash;
  return (
    <div className={`banner ${engine.state}`} data-testid="engine-banner" data-state={engine.state} title={engine.pid ? `engine pid ${engine.pid}` : undefined} data-pid={engine.pid ?? undefined}>
      <span data-testid="engine-state">
        Engine: {engine.state}
        {engine.state === 'loading' ? ` (${Math.round(engine.loadFraction * 100)} %)` : ''}
        {engine.label ? ` · ${engine.label}` : ''}
        {engine.restarts ? ` · restarted ${engine.restarts}×` : ''}
      </span>
      {crash && (
        <span className="crash" data-testid="engine-crash">
          Last crash {new Date(crash.at).toLocaleTimeString()}: {crash.reason}
        </span>
      )}
    </div>
  );
}
