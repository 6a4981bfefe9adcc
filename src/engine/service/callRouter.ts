/**
 * Routes one validated StudioApi call to the service. The Electron main process and the serve
 * server both use it; they differ only in the shell: how files are picked and saved and where a
 * project goes when it has no path yet (a native dialog, or the server's projects folder).
 */
import { StudioError } from '../../shared/errors';
import { validateCall } from '../../shared/api/protocol';
import type { FileKind, PickedFile, SaveFileRequest, SaveOutcome, SaveProjectRequest } from '../../shared/api/methods';
import type { StudioService } from './studioService';

export interface ShellHandlers {
  pickFile(kind: FileKind): Promise<PickedFile | null>;
  saveFile(request: SaveFileRequest): Promise<SaveOutcome>;
  /** where to save a project: the chosen path, or null when the user cancelled */
  chooseProjectPath(request: SaveProjectRequest): Promise<string | null>;
  /** whether a project path from the renderer may be read (serve mode: only its projects folder) */
  mayOpenPath(path: string): boolean;
}

export type CallRouter = (method: unknown, args: unknown) => Promise<unknown>;

export function createCallRouter(service: StudioService, shell: ShellHandlers): CallRouter {
  return async (method, rawArgs) => {
    const args = validateCall(method, rawArgs);
    switch (method as string) {
      case 'getSnapshot':
        return service.getSnapshot();
      case 'enqueue':
        return service.enqueue(validateCall('enqueue', args)[0]);
      case 'cancelJob':
        return service.cancelJob(validateCall('cancelJob', args)[0]);
      case 'retryJob':
        return service.retryJob(validateCall('retryJob', args)[0]);
      case 'removeJob':
        return service.removeJob(validateCall('removeJob', args)[0]);
      case 'getResultBytes': {
        const [id, format] = validateCall('getResultBytes', args);
        return service.getResultBytes(id, format);
      }
      case 'getExportBytes': {
        const [id, format] = validateCall('getExportBytes', args);
        return service.getExportBytes(id, format);
      }
      case 'listExamples':
        return service.listExamples();
      case 'listRecent':
        return service.listRecent();
      case 'newProject':
        return service.newProject();
      case 'openProject': {
        const [source] = validateCall('openProject', args);
        if ('path' in source && !shell.mayOpenPath(source.path)) {
          throw new StudioError('FORBIDDEN', `Opening ${source.path} is not allowed here; open a project from the recent list or upload the file.`);
        }
        return service.openProject(source);
      }
      case 'saveProject': {
        const [request] = validateCall('saveProject', args);
        const path = await shell.chooseProjectPath(request);
        return path === null ? null : service.saveProjectTo(path, request.document);
      }
      case 'autosave': {
        const [document, path] = validateCall('autosave', args);
        return service.autosave(document, path);
      }
      case 'getRecovery':
        return service.getRecovery();
      case 'discardRecovery':
        return service.discardRecovery();
      case 'pickFile':
        return shell.pickFile(validateCall('pickFile', args)[0]);
      case 'saveFile':
        return shell.saveFile(validateCall('saveFile', args)[0]);
      case 'getModelState':
        return service.getModelState();
      case 'setEngineSettings':
        return service.setEngineSettings(validateCall('setEngineSettings', args)[0]);
      case 'downloadModel':
        return service.downloadModel(validateCall('downloadModel', args)[0]);
      case 'verifyModel':
        return service.verifyModel();
      case 'buildModelGraphs':
        return service.buildModelGraphs();
      case 'cancelModelTask':
        return service.cancelModelTask();
    }
    throw new StudioError('INTERNAL', `No handler for ${String(method)}.`);
  };
}
