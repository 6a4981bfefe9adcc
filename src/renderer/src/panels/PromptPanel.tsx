/** Image (file, paste, drop) with crop preview, text, size preset or custom size, image index, seed, model, Generate. */
import { useEffect, useState, type DragEvent } from 'react';
import { useStudio } from '../state/store';
import { RESOLUTION_PRESETS, promptProblems } from '../state/promptSlice';
import { enqueueDraft, importRequest, studioApi } from '../state/actions';
import { chooseEngineModel, openModelPanel, promptModel } from '../state/modelActions';
import { Button } from './Button';
import { ImageCropPreview } from './ImageCropPreview';

function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

function bytesToDataUrl(bytes: Uint8Array, name: string): Promise<string> {
  const ext = name.toLowerCase().split('.').pop();
  const type = ext === 'jpg' || ext === 'jpeg' ? 'image/jpeg' : ext === 'webp' ? 'image/webp' : 'image/png';
  return readAsDataUrl(new Blob([bytes as Uint8Array<ArrayBuffer>], { type }));
}

export function PromptPanel() {
  const draft = useStudio((s) => s.draft);
  const model = useStudio((s) => promptModel(s));
  const models = useStudio((s) => s.models);
  const setDraft = useStudio((s) => s.setDraft);
  const problems = promptProblems({ ...draft, model }, models);
  const preset = RESOLUTION_PRESETS.find((p) => p.frames === draft.frames && p.height === draft.height && p.width === draft.width);
  const [custom, setCustom] = useState(!preset);
  const firstProblem = Object.values(problems)[0] ?? null;

  const setImage = async (file: Blob, name: string) => setDraft({ imageDataUrl: await readAsDataUrl(file), imageName: name });

  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
      const file = item?.getAsFile();
      if (file) void setImage(file, 'pasted image');
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  });

  const onDrop = (e: DragEvent) => {
    const file = [...e.dataTransfer.files].find((f) => f.type.startsWith('image/'));
    if (!file) return;
    e.preventDefault();
    e.stopPropagation();
    void setImage(file, file.name);
  };

  const pickImage = async () => {
    const file = await studioApi().pickFile('image');
    if (file) setDraft({ imageDataUrl: await bytesToDataUrl(file.bytes, file.name), imageName: file.name });
  };

  const num = (v: string) => (v.trim() === '' ? NaN : Number(v));

  return (
    <section className="panel prompt-panel" data-testid="prompt-panel">
      <h2>Prompt</h2>
      <div className="drop-zone" onDragOver={(e) => e.preventDefault()} onDrop={onDrop} data-testid="image-drop">
        {draft.imageDataUrl ? (
          <ImageCropPreview src={draft.imageDataUrl} width={draft.width} height={draft.height} />
        ) : (
          <p>Drop an image here, paste one, or choose a file.</p>
        )}
        <div className="row">
          <Button onClick={() => void pickImage()}>Choose image…</Button>
          <Button onClick={() => setDraft({ imageDataUrl: null, imageName: null })} disabledReason={draft.imageDataUrl ? null : 'There is no image to remove.'}>
            Remove
          </Button>
        </div>
      </div>
      <label>
        Text
        <textarea data-testid="text-prompt" value={draft.text} rows={3} placeholder="A quiet harbor town at dusk" onChange={(e) => setDraft({ text: e.target.value })} />
      </label>
      {problems.prompt && <p className="problem">{problems.prompt}</p>}

      <label>
        Resolution
        <select
          data-testid="resolution-preset"
          value={custom ? 'custom' : (preset?.id ?? 'custom')}
          onChange={(e) => {
            const p = RESOLUTION_PRESETS.find((x) => x.id === e.target.value);
            setCustom(!p);
            if (p) setDraft({ frames: p.frames, height: p.height, width: p.width });
          }}
        >
          {RESOLUTION_PRESETS.map((p) => (
            <option key={p.id} value={p.id}>{p.label}</option>
          ))}
          <option value="custom">Custom…</option>
        </select>
      </label>
      {custom && (
        <div className="row size-row">
          <label>Frames<input data-testid="frames" type="number" value={Number.isNaN(draft.frames) ? '' : draft.frames} onChange={(e) => setDraft({ frames: num(e.target.value) })} /></label>
          <label>Height<input data-testid="height" type="number" step={32} value={Number.isNaN(draft.height) ? '' : draft.height} onChange={(e) => setDraft({ height: num(e.target.value) })} /></label>
          <label>Width<input data-testid="width" type="number" step={32} value={Number.isNaN(draft.width) ? '' : draft.width} onChange={(e) => setDraft({ width: num(e.target.value) })} /></label>
        </div>
      )}
      {(['frames', 'height', 'width'] as const).map((k) => problems[k] && <p key={k} className="problem">{problems[k]}</p>)}

      <div className="row">
        <label>Image index<input data-testid="image-index" type="number" value={draft.imageIndex} min={0} max={draft.frames - 1} onChange={(e) => setDraft({ imageIndex: num(e.target.value) })} /></label>
        <label>
          Seed
          <input data-testid="seed" type="number" value={draft.seed} min={0} onChange={(e) => setDraft({ seed: num(e.target.value) })} />
        </label>
        <Button title="New random seed" onClick={() => setDraft({ seed: Math.floor(Math.random() * 2 ** 31) })}>Random</Button>
      </div>
      {problems.imageIndex && <p className="problem">{problems.imageIndex}</p>}
      {problems.seed && <p className="problem">{problems.seed}</p>}

      <label>
        Model
        <select data-testid="model" value={model} onChange={(e) => void chooseEngineModel(e.target.value as 'test' | 'hub')} title="The engine's model: choosing another restarts the engine">
          {models.map((m) => (
            <option key={m.id} value={m.id} disabled={!m.available} title={m.reason ?? undefined}>
              {m.label}{m.available ? '' : ' — unavailable'}
            </option>
          ))}
        </select>
      </label>
      {models.filter((m) => !m.available).map((m) => (
        <p key={m.id} className="hint" data-testid="model-unavailable">
          {m.label}: {m.reason} <Button data-testid="model-unavailable-open" onClick={openModelPanel}>Model panel…</Button>
        </p>
      ))}

      <p className="cameras" data-testid="trajectory-summary">
        Trajectory: {draft.cameras.length} cameras{draft.cameras.length > 0 ? `, resampled to ${draft.frames} frames` : ''}
      </p>
      {problems.cameras && (
        <p className="problem">
          {problems.cameras} <Button onClick={() => void importRequest()}>Import request…</Button>
        </p>
      )}
      <Button className="primary" data-testid="generate" onClick={() => void enqueueDraft()} disabledReason={firstProblem}>
        Generate
      </Button>
    </section>
  );
}
