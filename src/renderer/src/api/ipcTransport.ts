/**
 * StudioApi over the preload bridge (Electron). The bridge answers envelopes; this turns them
 * back into values or StudioErrors and validates events before the stores see them.
 */
import { STUDIO_METHOD_NAMES, type StudioMethodName } from '../../../shared/api/methods';
import { errorFromInfo } from '../../../shared/api/protocol';
import { studioEventSchema, type StudioEvent } from '../../../shared/api/events';
import type { StudioApi } from '../../../shared/api/studioApi';

export interface StudioIpcBridge {
  calls: Record<StudioMethodName, (...args: unknown[]) => Promise<{ ok: true; value: unknown } | { ok: false; error: { code: string; message: string } }>>;
  onEvent(listener: (event: unknown) => void): () => void;
}

export function createIpcStudioApi(bridge: StudioIpcBridge): StudioApi {
  const api: Record<string, unknown> = {
    onEvent(listener: (event: StudioEvent) => void) {
      return bridge.onEvent((raw) => {
        const parsed = studioEventSchema.safeParse(raw);
        if (parsed.success) listener(parsed.data);
      });
    },
  };
  for (const method of STUDIO_METHOD_NAMES) {
    api[method] = async (...args: unknown[]) => {
      const reply = await bridge.calls[method](...args);
      if (reply.ok) return reply.value;
      throw errorFromInfo(reply.error);
    };
  }
  return api as unknown as StudioApi;
}
