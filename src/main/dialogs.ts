/** Native file dialogs as the shell handlers of the call router. */
import type { BrowserWindow, Dialog } from 'electron';
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { StudioError } from '../shared/errors';
import { PROJECT_FILE_EXTENSION } from '../shared/api/projectSchemas';
import type { FileKind, SaveFileRequest } from '../shared/api/methods';
import type { ShellHandlers } from '../engine/service/callRouter';

const OPEN_FILTERS: Record<FileKind, { name: string; extensions: string[] }[]> = {
  project: [{ name: 'FlashWorld project', extensions: [PROJECT_FILE_EXTENSION] }],
  splat: [{ name: 'Gaussian splats', extensions: ['ply', 'spz'] }],
  request: [{ name: 'FlashWorld request JSON', extensions: ['json'] }],
  image: [{ name: 'Images', extensions: ['png', 'jpg', 'jpeg', 'webp'] }],
  trajectory: [{ name: 'Camera path (FlashWorld JSON, nerfstudio camera_path.json, CSV)', extensions: ['json', 'csv'] }],
};

const SAVE_FILTERS: Record<SaveFileRequest['kind'], { name: string; extensions: string[] }> = {
  ply: { name: 'PLY (INRIA 3DGS)', extensions: ['ply'] },
  spz: { name: 'SPZ', extensions: ['spz'] },
  trajectory: { name: 'Camera path (JSON or CSV)', extensions: ['json', 'csv'] },
  request: { name: 'FlashWorld request JSON', extensions: ['json'] },
  mp4: { name: 'MP4 video', extensions: ['mp4'] },
};

export function electronShell(dialog: Pick<Dialog, 'showOpenDialog' | 'showSaveDialog'>, window: () => BrowserWindow | null): ShellHandlers {
  // Paths the user picked in a dialog this session, or that the service knows (recent): the
  // renderer can't name arbitrary files to read.
  const pickedPaths = new Set<string>();
  return {
    async pickFile(kind) {
      const win = window();
      const options = { properties: ['openFile' as const], filters: OPEN_FILTERS[kind] };
      const result = win ? await dialog.showOpenDialog(win, options) : await dialog.showOpenDialog(options);
      const path = result.filePaths[0];
      if (result.canceled || !path) return null;
      pickedPaths.add(path);
      try {
        return { name: basename(path), path, bytes: new Uint8Array(await readFile(path)) };
      } catch (cause) {
        throw new StudioError('IO_FAILED', `Could not read ${path}: ${(cause as Error).message}.`, { cause });
      }
    },
    async saveFile(request) {
      const win = window();
      const options = { defaultPath: request.suggestedName, filters: [SAVE_FILTERS[request.kind]] };
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      if (result.canceled || !result.filePath) return { saved: false, path: null };
      try {
        await writeFile(result.filePath, request.bytes);
      } catch (cause) {
        throw new StudioError('IO_FAILED', `Could not write ${result.filePath}: ${(cause as Error).message}. Choose another folder.`, { cause });
      }
      return { saved: true, path: result.filePath };
    },
    async chooseProjectPath(request) {
      if (request.path && !request.saveAs) return request.path;
      const win = window();
      const options = { defaultPath: `${request.document.name}.${PROJECT_FILE_EXTENSION}`, filters: OPEN_FILTERS.project };
      const result = win ? await dialog.showSaveDialog(win, options) : await dialog.showSaveDialog(options);
      if (result.canceled || !result.filePath) return null;
      pickedPaths.add(result.filePath);
      return result.filePath;
    },
    mayOpenPath: (path) => pickedPaths.has(path) || path.endsWith(`.${PROJECT_FILE_EXTENSION}`),
  };
}
