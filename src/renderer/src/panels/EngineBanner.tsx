/**
 * Engine state: loading with progress, where it runs (CPU, or which GPU and memory mode), what the
 * user must know about it (a CUDA request that fell back to the CPU), and a crash with its reason
 * (the engine restarts by itself).
 */
import { MEMORY_MODE_INFO } from '../../../shared/engine/memoryModes';
import type { EngineStatus } from '../../../shared/api/jobSchemas';
import { useStudio } from '../state/store';
import { openModelPanel } from '../state/modelActions';

function placement(engine: EngineStatus): string {
  if (!engine.provider) return '';
  if (engine.provider === 'cpu') return ' · CPU';
  const mode = engine.memoryMode ? ` · ${MEMORY_MODE_INFO[engine.memoryMode].label}` : '';
  return ` · GPU ${engine.deviceId ?? 0}${mode}`;
}

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
        {placement(engine)}
        {engine.restarts ? ` · restarted ${engine.restarts}×` : ''}
      </span>
      {(engine.warnings.length > 0 || crash) && (
        <button data-testid="engine-banner-model" onClick={openModelPanel}>
          Model &amp; engine…
        </button>
      )}
      {engine.warnings.map((w) => (
        // Long explanations (how to install the CUDA provider) are clamped to two lines; the tooltip has all of it.
        <span key={w} className="warning" data-testid="engine-warning" title={w}>
          ⚠ {w}
        </span>
      ))}
      {crash && (
        <span className="crash" data-testid="engine-crash">
          Last crash {new Date(crash.at).toLocaleTimeString()}: {crash.reason}
        </span>
      )}
    </div>
  );
}
