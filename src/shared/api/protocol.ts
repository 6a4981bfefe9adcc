/**
 * Envelopes of the WebSocket transport, and the one argument check both transports' receiving
 * ends use (Electron main for IPC, the server for WebSocket).
 */
import { z } from 'zod';
import { StudioError } from '../errors';
import { studioEventSchema } from './events';
import { STUDIO_METHOD_NAMES, studioMethods, type MethodArgs, type StudioMethodName } from './methods';

export const callMessageSchema = z.object({
  kind: z.literal('call'),
  id: z.number().int().nonnegative(),
  method: z.string(),
  args: z.array(z.unknown()),
});
export type CallMessage = z.infer<typeof callMessageSchema>;

export const replyMessageSchema = z.union([
  z.object({ kind: z.literal('reply'), id: z.number().int(), ok: z.literal(true), value: z.unknown() }),
  z.object({
    kind: z.literal('reply'),
    id: z.number().int(),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);
export type ReplyMessage = z.infer<typeof replyMessageSchema>;

export const eventMessageSchema = z.object({ kind: z.literal('event'), event: studioEventSchema });
export type EventMessage = z.infer<typeof eventMessageSchema>;

export const serverMessageSchema = z.union([replyMessageSchema, eventMessageSchema]);

export function isStudioMethod(name: unknown): name is StudioMethodName {
  return typeof name === 'string' && (STUDIO_METHOD_NAMES as string[]).includes(name);
}

/** Checks a method name and its arguments against the contract; throws INVALID_MESSAGE naming the problem. */
export function validateCall<M extends StudioMethodName>(method: M, args: unknown): MethodArgs<M>;
export function validateCall(method: unknown, args: unknown): unknown[];
export function validateCall(method: unknown, args: unknown): unknown[] {
  if (!isStudioMethod(method)) {
    throw new StudioError('INVALID_MESSAGE', `Unknown studio call "${String(method)}". The renderer and the backend are different versions; restart the studio.`);
  }
  const parsed = studioMethods[method].args.safeParse(args);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length ? `argument ${issue.path.join('.')}` : 'arguments';
    throw new StudioError('INVALID_MESSAGE', `${method}: ${where} ${issue.message}.`);
  }
  return parsed.data as unknown[];
}

/** Plain error data for a reply: StudioErrors keep their code, anything else becomes INTERNAL. */
export function errorToInfo(error: unknown): { code: string; message: string } {
  if (error instanceof StudioError) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL', message: `Unexpected error: ${message}. Please report it with the steps that led here.` };
}

export function errorFromInfo(info: { code: string; message: string }): StudioError {
  return new StudioError(info.code as StudioError['code'], info.message);
}
