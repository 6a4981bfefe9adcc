/**
 * Loads the selected splats into Spark: a finished job's SPZ fetched from the engine as bytes,
 * or a PLY/SPZ the user opened. One SplatMesh at a time; the old one is disposed.
 */
import { useEffect } from 'react';
import { useThree } from '@react-three/fiber';
import { SplatMesh, SplatFileType, SparkRenderer } from '@sparkjsdev/spark';
import { useStudio } from '../state/store';
import { studioApi } from '../state/actions';

function splatCountOf(mesh: SplatMesh): number | null {
  const m = mesh as unknown as { packedSplats?: { numSplats?: number }; extSplats?: { numSplats?: number } };
  return m.packedSplats?.numSplats ?? m.extSplats?.numSplats ?? null;
}

export function SparkSetup() {
  const gl = useThree((s) => s.gl);
  const scene = useThree((s) => s.scene);
  useEffect(() => {
    const spark = new SparkRenderer({ renderer: gl });
    scene.add(spark);
    return () => {
      scene.remove(spark);
    };
  }, [gl, scene]);
  return null;
}

export function SplatLayer() {
  const scene = useThree((s) => s.scene);
  const source = useStudio((s) => s.viewerSource);
  const setStats = useStudio((s) => s.setViewerStats);

  useEffect(() => {
    if (source.kind === 'none') return;
    let cancelled = false;
    let mesh: SplatMesh | null = null;
    (async () => {
      const { bytes, fileType } =
        source.kind === 'job'
          ? { bytes: await studioApi().getResultBytes(source.jobId, 'spz'), fileType: SplatFileType.SPZ }
          : { bytes: source.bytes, fileType: source.fileType === 'ply' ? SplatFileType.PLY : SplatFileType.SPZ };
      if (cancelled) return;
      mesh = new SplatMesh({ fileBytes: bytes, fileType });
      await mesh.initialized;
      if (cancelled) {
        mesh.dispose();
        return;
      }
      scene.add(mesh);
      setStats({ viewerStatus: 'ready', splatCount: splatCountOf(mesh) });
    })().catch((error: unknown) => {
      if (!cancelled) setStats({ viewerStatus: 'error', viewerError: `Could not show these splats: ${(error as Error).message}` });
    });
    return () => {
      cancelled = true;
      if (mesh) {
        scene.remove(mesh);
        mesh.dispose();
      }
    };
  }, [source, scene, setStats]);
  return null;
}
