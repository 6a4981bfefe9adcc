/** First screen: recovery offer, example gallery (examples/*.json), recent projects, open/new. */
import { useStudio } from '../state/store';
import { newProject, openProject, openSplatFile, recover, startFromExample, importRequest } from '../state/actions';
import { Button } from './Button';

export function StartScreen() {
  const examples = useStudio((s) => s.examples);
  const recent = useStudio((s) => s.recent);
  const recoveryAt = useStudio((s) => s.recoveryAt);
  return (
    <main className="start" data-testid="start-screen">
      <h1>FlashWorld Studio</h1>
      <p className="hint">An image and/or a text prompt plus a camera path become a 3D Gaussian-splat scene.</p>
      {recoveryAt && (
        <div className="banner recovery" data-testid="recovery">
          Unsaved work from {new Date(recoveryAt).toLocaleString()} was recovered.
          <Button onClick={() => void recover()}>Restore it</Button>
        </div>
      )}
      <div className="row">
        <Button className="primary" onClick={() => void newProject()}>New project</Button>
        <Button onClick={() => void openProject()}>Open project…</Button>
        <Button onClick={() => void importRequest()}>Import request JSON…</Button>
        <Button onClick={() => void openSplatFile()}>Open PLY/SPZ…</Button>
      </div>
      <h2>Examples</h2>
      {examples.length === 0 && <p className="hint">No examples found (examples/*.json).</p>}
      <div className="gallery">
        {examples.map((ex) => (
          <button key={ex.id} className="card" data-testid="example" onClick={() => startFromExample(ex)}>
            {ex.request.image_prompt ? <img src={ex.request.image_prompt} alt="" /> : <div className="noimg">text only</div>}
            <strong>{ex.title}</strong>
            <small>{ex.request.resolution.join('×')} · {ex.request.cameras.length} cameras</small>
            {ex.request.text_prompt && <small className="prompt">“{ex.request.text_prompt}”</small>}
          </button>
        ))}
      </div>
      <h2>Recent projects</h2>
      {recent.length === 0 && <p className="hint">Projects you save appear here.</p>}
      <ul className="recent">
        {recent.map((r) => (
          <li key={r.path}>
            <button data-testid="recent" onClick={() => void openProject(r.path)}>
              <strong>{r.name}</strong> <small>{r.path} · {new Date(r.savedAt).toLocaleString()}</small>
            </button>
          </li>
        ))}
      </ul>
    </main>
  );
}
