/**
 * Electron main: one window, the native menu, the engine (utilityProcess) under a supervisor,
 * and the IPC relay. Everything the studio does lives in the service; main only wires it.
 */
import { app, BrowserWindow, dialog, ipcMain, Menu, session } from 'electron';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { StudioService } from '../engine/service/studioService';
import { createCallRouter } from '../engine/service/callRouter';
import { IPC_EVENT_CHANNEL, registerIpcHandlers, senderCheck } from './ipcRelay';
import { applySessionSecurity, lockNavigation, secureWebPreferences } from './windowSecurity';
import { menuTemplate } from './menu';
import { electronShell } from './dialogs';
import { utilityProcessLauncher } from './utilityLauncher';

// ESM main: no __dirname; the bundle sits in out/main beside engineHost.js.
const here = dirname(fileURLToPath(import.meta.url));
const devServerUrl = process.env.ELECTRON_RENDERER_URL ?? null;
const rendererIndex = join(here, '../renderer/index.html');
const rendererFileUrl = pathToFileURL(rendererIndex).href;
const isAppUrl = (url: string) => (devServerUrl ? url.startsWith(devServerUrl) : url.split(/[?#]/)[0] === rendererFileUrl);

let mainWindow: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 960,
    minHeight: 600,
    title: 'FlashWorld Studio',
    backgroundColor: '#1b1d22',
    show: false,
    webPreferences: secureWebPreferences(join(here, '../preload/index.cjs')),
  });
  lockNavigation(win.webContents, isAppUrl);
  win.once('ready-to-show', () => win.show());
  if (devServerUrl) void win.loadURL(devServerUrl);
  else void win.loadFile(rendererIndex);
  return win;
}

app.enableSandbox();
app.on('web-contents-created', (_event, contents) => lockNavigation(contents, isAppUrl));

void app.whenReady().then(async () => {
  applySessionSecurity(session.defaultSession, devServerUrl);
  const service = new StudioService({
    dataDir: app.getPath('userData'),
    examplesDir: app.isPackaged ? join(process.resourcesPath, 'examples') : join(app.getAppPath(), 'examples'),
    shell: 'electron',
    resourcesDir: app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources'),
    launcher: utilityProcessLauncher(join(here, 'engineHost.js')),
  });
  await service.start();
  const route = createCallRouter(service, electronShell(dialog, () => mainWindow));
  registerIpcHandlers(ipcMain, route, senderCheck(() => mainWindow?.webContents.id ?? null, isAppUrl));
  service.subscribe((event) => mainWindow?.webContents.send(IPC_EVENT_CHANNEL, event));

  const sendMenu = (command: Parameters<Parameters<typeof menuTemplate>[0]>[0]) =>
    mainWindow?.webContents.send(IPC_EVENT_CHANNEL, { type: 'menu', command });
  Menu.setApplicationMenu(Menu.buildFromTemplate(menuTemplate(sendMenu, process.platform === 'darwin')));

  mainWindow = createWindow();
  mainWindow.on('closed', () => (mainWindow = null));
  app.on('activate', () => {
    if (!mainWindow) mainWindow = createWindow();
  });
  app.on('before-quit', () => service.stop());
});

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});
