/** Import / export the camera path (upstream JSON, all-in-one, nerfstudio, CSV) through the StudioApi file paths. */
import { useState } from 'react';
import { useStudio } from '../state/store';
import { PATH_EXPORT_FORMATS, editCamerasAsPath, exportPath, importPath, type PathExportFormat } from './trajectoryActions';
import { pathDrivesCameras } from './trajectorySlice';

export function InterchangePanel() {
  const [format, setFormat] = useState<PathExportFormat>('nerfstudio');
  const shell = useStudio((s) => s.shell);
  const hasKeys = useStudio((s) => s.trajectory.trajectory.keyframes.length > 0);
  const importedCameras = useStudio((s) => s.draft.cameras.length);
  const pathDrives = useStudio((s) => pathDrivesCameras(s.trajectory.trajectory));
  return (
    <div className="interchange-panel">
      <h3>Files</h3>
      <div className="row">
        <button data-testid="import-path" onClick={() => void importPath()}>Import camera path…</button>
        {!pathDrives && importedCameras > 0 && (
          <button data-testid="edit-cameras-as-path" onClick={editCamerasAsPath} title="Turn the request's cameras into keyframes">Edit cameras as path</button>
        )}
      </div>
      <div className="row">
        <select data-testid="export-path-format" value={format} onChange={(e) => setFormat(e.target.value as PathExportFormat)}>
          {(Object.keys(PATH_EXPORT_FORMATS) as PathExportFormat[]).map((f) => <option key={f} value={f}>{PATH_EXPORT_FORMATS[f].label}</option>)}
        </select>
        <button data-testid="export-path" disabled={!hasKeys} title={hasKeys ? undefined : 'Add keyframes first.'} onClick={() => void exportPath(format)}>
          {shell === 'serve' ? 'Download' : 'Export…'}
        </button>
      </div>
    </div>
  );
}
