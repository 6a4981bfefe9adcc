/** Layout: toolbar, prompt | viewer | queue; start screen first. Files dropped anywhere open. */
import { useEffect } from 'react';
import { useStudio } from './state/store';
import { openSplatFile, studioApi } from './state/actions';
import { parseGenerationRequestText, toRequestJson } from '../../shared/request/generationRequest';
import { Toolbar } from './panels/Toolbar';
import { PromptPanel } from './panels/PromptPanel';
import { QueuePanel } from './panels/QueuePanel';
import { StartScreen } from './panels/StartScreen';
import { EngineBanner } from './panels/EngineBanner';
import { Notices } from './panels/Notices';
import { ModelPanel } from './panels/ModelPanel';
import { Viewer } from './viewer/Viewer';
import { TrajectoryPanel } from './trajectory/TrajectoryPanel';

async function openDropped(file: File): Promise<void> {
  const name = file.name.toLowerCase();
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (name.endsWith('.ply') || name.endsWith('.spz')) return openSplatFile({ name: file.name, bytes });
  if (name.endsWith('.json')) {
    const request = parseGenerationRequestText(new TextDecoder().decode(bytes), file.name);
    useStudio.getState().loadRequest(toRequestJson(request), file.name);
    useStudio.getState().setScreen('studio');
    return;
  }
  if (name.endsWith('.fwproj')) {
    const opened = await studioApi().openProject({ fileName: file.name, bytes });
    useStudio.setState({ draft: opened.document.prompt, jobs: opened.jobs, projectName: opened.document.name, projectPath: null, screen: 'studio' });
    return;
  }
}

export function App() {
  const screen = useStudio((s) => s.screen);
  useEffect(() => {
    const over = (e: DragEvent) => e.preventDefault();
    const drop = (e: DragEvent) => {
      const file = e.dataTransfer?.files[0];
      if (!file || file.type.startsWith('image/')) return;
      e.preventDefault();
      openDropped(file).catch((error: unknown) => useStudio.getState().notify('error', (error as Error).message));
    };
    window.addEventListener('dragover', over);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragover', over);
      window.removeEventListener('drop', drop);
    };
  }, []);
  return (
    <div className="app">
      {screen === 'start' ? (
        <StartScreen />
      ) : (
        <>
          <Toolbar />
          <EngineBanner />
          <div className="workspace">
            <PromptPanel />
            <div className="center-column">
              <Viewer />
              <TrajectoryPanel />
            </div>
            <QueuePanel />
          </div>
        </>
      )}
      <ModelPanel />
      <Notices />
    </div>
  );
}
