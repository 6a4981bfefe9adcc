/** The native menu: usual shortcuts; each item sends a command to the renderer, which owns the state. */
import type { MenuItemConstructorOptions } from 'electron';
import type { MenuCommand } from '../shared/api/events';

export function menuTemplate(send: (command: MenuCommand) => void, isMac: boolean): MenuItemConstructorOptions[] {
  const item = (label: string, command: MenuCommand, accelerator?: string): MenuItemConstructorOptions => ({
    label,
    accelerator,
    click: () => send(command),
  });
  return [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: '&File',
      submenu: [
        item('New Project', 'new-project', 'CmdOrCtrl+N'),
        item('Open Project…', 'open-project', 'CmdOrCtrl+O'),
        item('Save Project', 'save-project', 'CmdOrCtrl+S'),
        item('Save Project As…', 'save-project-as', 'CmdOrCtrl+Shift+S'),
        { type: 'separator' },
        item('Import Request JSON…', 'import-request', 'CmdOrCtrl+I'),
        item('Export Request JSON…', 'export-request'),
        item('Open Splat File (PLY/SPZ)…', 'open-splat', 'CmdOrCtrl+Shift+O'),
        { type: 'separator' },
        item('Export PLY…', 'export-ply', 'CmdOrCtrl+E'),
        item('Export SPZ…', 'export-spz', 'CmdOrCtrl+Shift+E'),
        item('Export Trajectory JSON…', 'export-trajectory'),
        item('Export MP4…', 'export-mp4'),
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { label: '&Edit', submenu: [{ role: 'undo' }, { role: 'redo' }, { type: 'separator' }, { role: 'cut' }, { role: 'copy' }, { role: 'paste' }, { role: 'selectAll' }] },
    {
      label: '&View',
      submenu: [
        item('Reset View', 'reset-view', 'CmdOrCtrl+R'),
        item('Start Screen', 'show-start', 'CmdOrCtrl+Shift+H'),
        { type: 'separator' },
        { role: 'toggleDevTools' },
        { role: 'togglefullscreen' },
      ],
    },
    { role: 'windowMenu' },
  ];
}
