/** Serve mode's file dialogs: <input type=file> to pick, a download to save. */
import type { FileKind, PickedFile, SaveFileRequest, SaveOutcome } from '../../../shared/api/methods';

const ACCEPT: Record<FileKind, string> = {
  project: '.fwproj',
  splat: '.ply,.spz',
  request: '.json,application/json',
  image: 'image/png,image/jpeg,image/webp',
  trajectory: '.json,.csv,application/json,text/csv',
};

export function pickFileInBrowser(kind: FileKind): Promise<PickedFile | null> {
  return new Promise((resolve) => {
    const input = document.createElement('input');
    input.type = 'file';
    input.accept = ACCEPT[kind];
    input.dataset.testid = `file-input-${kind}`;
    input.style.display = 'none';
    document.body.appendChild(input);
    input.addEventListener('change', async () => {
      const file = input.files?.[0];
      input.remove();
      resolve(file ? { name: file.name, bytes: new Uint8Array(await file.arrayBuffer()), path: null } : null);
    });
    input.addEventListener('cancel', () => {
      input.remove();
      resolve(null);
    });
    input.click();
  });
}

export async function saveFileInBrowser(request: SaveFileRequest): Promise<SaveOutcome> {
  const blob = new Blob([request.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = request.suggestedName;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return { saved: true, path: null };
}
