/**
 * Renderer entry: picks the transport (the preload bridge in Electron, a WebSocket in serve
 * mode), connects the stores and mounts the app. Nothing below this file knows which it got.
 */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { StudioApi } from '../../shared/api/studioApi';
import { createIpcStudioApi, type StudioIpcBridge } from './api/ipcTransport';
import { createWsStudioApi } from './api/wsTransport';
import { pickFileInBrowser, saveFileInBrowser } from './api/browserShell';
import { connect, resync } from './state/actions';
import { refreshModelState } from './state/modelActions';
import { useStudio } from './state/store';
import { App } from './App';
import './styles.css';

function chooseTransport(): StudioApi {
  const bridge = (window as unknown as { studioIpc?: StudioIpcBridge }).studioIpc;
  if (bridge) return createIpcStudioApi(bridge);
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws?token=${encodeURIComponent(token)}`;
  return createWsStudioApi({
    url: wsUrl,
    createSocket: (url) => new WebSocket(url) as never,
    shell: { pickFile: pickFileInBrowser, saveFile: saveFileInBrowser },
    onConnection: (connected) => {
      const wasDown = !useStudio.getState().connected;
      useStudio.setState({ connected });
      if (connected && wasDown) {
        void resync();
        void refreshModelState();
      }
    },
  });
}

const api = chooseTransport();
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void connect(api).catch((error: unknown) => useStudio.getState().notify('error', `Could not reach the studio backend: ${(error as Error).message}`));
