/**
 * The one way a network's graph is built into the cache: a GraphBuilder streaming its weights into
 * `<name>.onnx.data`, saved as `<name>.onnx`, the data file closed even when the build fails.
 */
import { getOrBuildGraph, type GraphCacheEvent } from './cache';
import { ExternalDataWriter } from './externalData';
import { GraphBuilder, externalDataPath } from './graph';

export interface CachedGraphOptions {
  cacheDir: string;
  key: string;
  /** graph and file base name, e.g. 'wan_transformer' */
  name: string;
  floatType: 'float32' | 'float16';
  onEvent?: (event: GraphCacheEvent) => void;
  /** emits the network into the builder */
  emit: (g: GraphBuilder) => void;
}

/** Path of the cached .onnx, built first when absent. */
export function getCachedGraph(opts: CachedGraphOptions): Promise<string> {
  return getOrBuildGraph({
    cacheDir: opts.cacheDir,
    key: opts.key,
    onEvent: opts.onEvent,
    build: async (dir) => {
      const externalData = new ExternalDataWriter(externalDataPath(dir, opts.name));
      try {
        const g = new GraphBuilder({ name: opts.name, floatType: opts.floatType, externalData });
        opts.emit(g);
        await g.save(dir, opts.name);
      } finally {
        externalData.close();
      }
    },
  });
}
