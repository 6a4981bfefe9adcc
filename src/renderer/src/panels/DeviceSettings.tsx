/**
 * Where the engine runs: the CPU or one of the listed GPUs, and the memory mode, each mode with
 * its tradeoff and whether it fits the selected GPU (an estimate, and the panel says from what).
 */
import { MEMORY_MODES, MEMORY_MODE_INFO } from '../../../shared/engine/memoryModes';
import type { EngineSettings, GpuFit, ModelState } from '../../../shared/api/modelSchemas';
import { useStudio } from '../state/store';
import { formatBytes } from '../../../shared/formatBytes';

function gpuLabel(g: GpuFit): string {
  const memory = g.memoryTotalBytes === null ? 'memory unknown' : `${formatBytes(g.memoryTotalBytes)}${g.memoryFreeBytes === null ? '' : `, ${formatBytes(g.memoryFreeBytes)} free`}`;
  return `GPU ${g.index}: ${g.name} (${memory})`;
}

function FitBadge({ fit }: { fit: GpuFit['modes'][number] | undefined }) {
  if (!fit || fit.fits === null) return <span className="fit unknown" data-testid="fit-badge" data-fit="unknown">fit unknown</span>;
  if (!fit.fits) return <span className="fit no" data-testid="fit-badge" data-fit="no">doesn't fit · needs ≈{formatBytes(fit.gpuBytes)}</span>;
  if (fit.fitsFreeNow === false) return <span className="fit tight" data-testid="fit-badge" data-fit="tight">fits the card, not what is free now · ≈{formatBytes(fit.gpuBytes)}</span>;
  return <span className="fit yes" data-testid="fit-badge" data-fit="yes">fits · ≈{formatBytes(fit.gpuBytes)}</span>;
}

function estimateLine(state: ModelState): string {
  const e = state.estimate;
  if (!e) return state.estimateProblem ?? 'No estimate yet.';
  const basis = e.basis === 'graphs' ? "from the built graphs' sizes" : 'from the weight files (build the graphs for a closer figure)';
  return `GPU memory estimated ${basis}, for a ${e.size.frames}×${e.size.height}×${e.size.width} generation${e.model === 'test' ? ' of the test model' : ''}.`;
}

export function DeviceSettings({ state, settings }: { state: ModelState; settings: EngineSettings }) {
  const edit = useStudio((s) => s.editSettings);
  const gpu = settings.provider === 'cuda' ? state.gpus.find((g) => g.index === settings.deviceId) ?? null : null;
  const deviceValue = settings.provider === 'cpu' ? 'cpu' : `gpu-${settings.deviceId}`;
  const pinned = state.engineCount > 1;
  const chosenMissing = settings.provider === 'cuda' && !gpu;

  return (
    <section className="model-section" data-testid="device-settings">
      <h3>Device</h3>
      <label>
        Run the engine on
        <select
          data-testid="device"
          value={deviceValue}
          disabled={pinned}
          onChange={(e) => {
            const v = e.target.value;
            edit(v === 'cpu' ? { provider: 'cpu' } : { provider: 'cuda', deviceId: Number(v.slice(4)) });
          }}
        >
          <option value="cpu">CPU (slow: minutes per scene; always available)</option>
          {state.gpus.map((g) => <option key={g.index} value={`gpu-${g.index}`}>{gpuLabel(g)}</option>)}
          {chosenMissing && <option value={deviceValue}>GPU {settings.deviceId} (not found now)</option>}
        </select>
      </label>
      {pinned && <p className="hint">This server runs one engine per GPU ({state.engineCount}); each uses its own card.</p>}
      {state.gpuProblem && <p className="hint warn" data-testid="gpu-problem">{state.gpuProblem}</p>}
      {state.cudaProblem && <p className="hint warn" data-testid="cuda-problem">{state.cudaProblem}</p>}
      {chosenMissing && <p className="problem">GPU {settings.deviceId} is not in the list now; the engine will fall back to the CPU or fail to start. Choose another device.</p>}

      <h3>Memory mode</h3>
      {settings.provider === 'cpu' && <p className="hint">Memory modes decide what stays on the GPU; they take effect when the engine runs on a GPU.</p>}
      <p className="hint" data-testid="estimate-basis">{estimateLine(state)}</p>
      <div className="memory-modes" role="radiogroup" aria-label="Memory mode">
        <label className={`memory-mode ${settings.memoryMode === 'auto' ? 'chosen' : ''}`} data-testid="memory-mode" data-mode="auto">
          <span className="memory-mode-head">
            <input type="radio" name="memory-mode" checked={settings.memoryMode === 'auto'} onChange={() => edit({ memoryMode: 'auto' })} />
            <strong>Automatic</strong>
            {gpu && <span className="hint">now: {gpu.automatic ? MEMORY_MODE_INFO[gpu.automatic].label : 'none fits the free memory'}</span>}
          </span>
          <span className="hint">The engine picks the fastest mode that fits the GPU's free memory when it starts.</span>
        </label>
        {MEMORY_MODES.map((mode) => {
          const info = MEMORY_MODE_INFO[mode];
          return (
            <label key={mode} className={`memory-mode ${settings.memoryMode === mode ? 'chosen' : ''}`} data-testid="memory-mode" data-mode={mode}>
              <span className="memory-mode-head">
                <input type="radio" name="memory-mode" checked={settings.memoryMode === mode} onChange={() => edit({ memoryMode: mode })} />
                <strong>{info.label}</strong>
                {gpu && <FitBadge fit={gpu.modes.find((m) => m.mode === mode)} />}
              </span>
              <span className="hint">{info.tradeoff}</span>
            </label>
          );
        })}
      </div>
    </section>
  );
}
