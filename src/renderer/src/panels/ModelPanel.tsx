/**
 * The Model panel: which model the engine loads (the test model is random weights and says so),
 * the official model's download with per-file and total progress, cancel and resume, verify and
 * graph build, then the device and memory mode. Settings apply together, with one engine restart.
 */
import { useState } from 'react';
import type { EngineSettings, ModelState } from '../../../shared/api/modelSchemas';
import { useStudio } from '../state/store';
import { settingsChanged, shownSettings } from '../state/modelSlice';
import { applyEngineSettings, buildModelGraphs, cancelModelTask, closeModelPanel, downloadModel, verifyModel } from '../state/modelActions';
import { Button } from './Button';
import { DeviceSettings } from './DeviceSettings';
import { ModelTaskProgress } from './ModelTaskProgress';
import { formatBytes } from '../../../shared/formatBytes';
import './modelPanel.css';

function ModelChoice({ state, settings }: { state: ModelState; settings: EngineSettings }) {
  const edit = useStudio((s) => s.editSettings);
  const hubReason = state.hub.ready ? null : state.hub.problem ?? 'The official weights are not downloaded yet.';
  return (
    <section className="model-section">
      <h3>Model</h3>
      <label className={`model-choice ${settings.model === 'test' ? 'chosen' : ''}`} data-testid="model-choice" data-model="test">
        <span className="memory-mode-head">
          <input type="radio" name="model" checked={settings.model === 'test'} onChange={() => edit({ model: 'test' })} />
          <strong>Test model (random weights)</strong>
        </span>
        <span className="hint">Tiny random weights that ship with the studio: every part runs, but the scenes are noise. For trying the studio without the download.</span>
      </label>
      <label className={`model-choice ${settings.model === 'hub' ? 'chosen' : ''}`} data-testid="model-choice" data-model="hub" title={hubReason ?? undefined}>
        <span className="memory-mode-head">
          <input type="radio" name="model" checked={settings.model === 'hub'} disabled={!state.hub.ready} onChange={() => edit({ model: 'hub' })} />
          <strong>FlashWorld (official weights)</strong>
          <span className={`badge ${state.hub.ready ? 'done' : ''}`} data-testid="hub-status">{state.hub.ready ? 'downloaded' : state.hub.interrupted ? 'interrupted' : 'not downloaded'}</span>
        </span>
        <span className="hint">Wan2.2 text encoder, tokenizer and VAE plus FlashWorld&apos;s model.ckpt from the Hugging Face Hub (about 30 GB), in {state.hub.hubCache}.</span>
        {hubReason && <span className="hint" data-testid="hub-problem">{hubReason}</span>}
      </label>
    </section>
  );
}

function ModelFiles({ state }: { state: ModelState }) {
  const task = useStudio((s) => s.modelTask);
  const [token, setToken] = useState('');
  const running = task?.state === 'running';
  const busy = running ? `A ${task.kind === 'build' ? 'graph build' : task.kind} is running; wait for it or cancel it.` : null;
  const built = state.graphs.networks.filter((n) => n.built);
  const buildReason = busy ?? (state.settings.model === 'hub' && !state.hub.ready ? 'Download the official model first.' : null);
  return (
    <section className="model-section" data-testid="model-files">
      <h3>Official model files</h3>
      <label>
        Hugging Face token (only for gated access; else HF_TOKEN or your saved login is used)
        <input data-testid="hub-token" type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="hf_…" />
      </label>
      <div className="row">
        <Button className="primary" data-testid="model-download" onClick={() => void downloadModel(token)} disabledReason={busy ?? (state.hub.ready ? 'The official model is downloaded. Verify checks it.' : null)}>
          {state.hub.interrupted ? 'Resume download' : 'Download'}
        </Button>
        <Button data-testid="model-cancel" onClick={() => void cancelModelTask()} disabledReason={running ? null : 'Nothing is running.'}>Cancel</Button>
        <Button data-testid="model-verify" onClick={() => void verifyModel()} disabledReason={busy ?? (state.hub.ready || state.hub.interrupted ? null : 'Nothing is downloaded yet.')}>Verify</Button>
        <Button data-testid="model-build" onClick={() => void buildModelGraphs()} disabledReason={buildReason}>Build graphs</Button>
      </div>
      <p className="hint" data-testid="graphs-state">
        Graphs of the {state.settings.model === 'test' ? 'test model' : 'official model'} for {state.graphs.provider === 'cuda' ? 'CUDA (fp16)' : 'the CPU (fp32)'}:{' '}
        {built.length === state.graphs.networks.length
          ? `all built (${formatBytes(built.reduce((a, n) => a + (n.bytes ?? 0), 0))}).`
          : built.length
            ? `${built.map((n) => n.network).join(', ')} built; the rest are built by the next build or when the engine loads.`
            : 'not built by this studio yet; Build graphs prepares them so the first generation starts fast (the engine also builds them when it loads).'}
      </p>
      {task && <ModelTaskProgress task={task} />}
    </section>
  );
}

export function ModelPanel() {
  const open = useStudio((s) => s.modelPanelOpen);
  const state = useStudio((s) => s.modelState);
  const settings = useStudio((s) => shownSettings(s));
  const changed = useStudio((s) => settingsChanged(s));
  const discard = useStudio((s) => s.discardSettingsDraft);
  const engine = useStudio((s) => s.engine);
  if (!open) return null;
  return (
    <aside className="model-panel" data-testid="model-panel" role="dialog" aria-label="Model and engine">
      <header className="model-panel-head">
        <h2>Model &amp; engine</h2>
        <button data-testid="model-panel-close" onClick={closeModelPanel} title="Close">×</button>
      </header>
      {!state || !settings ? (
        <p className="hint">Reading the model state…</p>
      ) : (
        <>
          {state.settingsNotice && <p className="problem" data-testid="settings-notice">{state.settingsNotice}</p>}
          <ModelChoice state={state} settings={settings} />
          <ModelFiles state={state} />
          <DeviceSettings state={state} settings={settings} />
          <footer className="model-panel-foot">
            <Button className="primary" data-testid="apply-settings" onClick={() => void applyEngineSettings()} disabledReason={changed ? null : 'Nothing changed.'}>
              Apply and restart engine
            </Button>
            <Button onClick={discard} disabledReason={changed ? null : 'Nothing changed.'}>Discard changes</Button>
            {engine && <span className="hint" data-testid="model-panel-engine">Engine: {engine.state}</span>}
          </footer>
        </>
      )}
    </aside>
  );
}
