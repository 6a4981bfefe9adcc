/**
 * Which graphs the studio built, per model and float type (graphs.json in the data folder). The
 * graph cache is keyed by hashes the builders compute while building, so "is it built?" can't be
 * answered without building; instead the Model panel's build records where each graph landed and
 * from which weight files. An entry counts only while its graph folders are intact (manifest
 * present) and the weight files are the ones it was built from.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { GRAPH_NETWORKS, type GraphNetwork } from '../model/buildGraphs';
import { MANIFEST_NAME } from '../onnx/cache';
import { graphWeightBytes } from '../memory/memoryEstimate';
import { writeFileAtomic } from './projectFile';

const recordEntrySchema = z.object({
  model: z.string(),
  floatType: z.enum(['float32', 'float16']),
  weightsIdentity: z.string(),
  graphs: z.record(z.string(), z.string()),
  builtAt: z.number(),
});
export type GraphRecordEntry = z.infer<typeof recordEntrySchema>;
const recordFileSchema = z.object({ entries: z.array(recordEntrySchema) });

export const GRAPH_RECORD_FILE = 'graphs.json';

export async function readGraphRecord(dataDir: string): Promise<GraphRecordEntry[]> {
  try {
    return recordFileSchema.parse(JSON.parse(await readFile(join(dataDir, GRAPH_RECORD_FILE), 'utf8'))).entries;
  } catch {
    // No build recorded yet (or an unreadable file): the panel offers a build.
    return [];
  }
}

export async function recordGraphBuild(dataDir: string, entry: GraphRecordEntry): Promise<void> {
  const others = (await readGraphRecord(dataDir)).filter((e) => e.model !== entry.model || e.floatType !== entry.floatType);
  await writeFileAtomic(join(dataDir, GRAPH_RECORD_FILE), new TextEncoder().encode(JSON.stringify({ entries: [...others, entry] }, null, 2)));
}

export interface BuiltGraphs {
  /** per network: built (and intact) or not, with its bytes on disk */
  networks: { network: GraphNetwork; built: boolean; bytes: number | null }[];
  /** all four intact: their sizes can drive the memory estimate */
  complete: Record<GraphNetwork, number> | null;
  builtAt: number | null;
}

/** What the record says is built for this model, float type and weight files, checked on disk. */
export function builtGraphs(entries: GraphRecordEntry[], model: string, floatType: 'float32' | 'float16', weightsIdentity: string | null): BuiltGraphs {
  const entry = entries.find((e) => e.model === model && e.floatType === floatType && e.weightsIdentity === weightsIdentity) ?? null;
  const networks = GRAPH_NETWORKS.map((network) => {
    const path = entry?.graphs[network];
    if (!path || !existsSync(path) || !existsSync(join(dirname(path), MANIFEST_NAME))) return { network, built: false, bytes: null };
    try {
      return { network, built: true, bytes: graphWeightBytes({ [network]: path } as Record<GraphNetwork, string>)[network] };
    } catch {
      return { network, built: false, bytes: null };
    }
  });
  const complete = networks.every((n) => n.built) ? (Object.fromEntries(networks.map((n) => [n.network, n.bytes!])) as Record<GraphNetwork, number>) : null;
  return { networks, complete, builtAt: entry?.builtAt ?? null };
}
