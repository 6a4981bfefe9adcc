import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StudioError } from '../../shared/errors';
import { FakeHub, testModelRepos } from '../../../test/helpers/fakeHub';
import { testModelDir } from '../../../test/helpers/fixtures';
import { downloadModel, type ModelDownloadOptions } from './downloadModel';
import { resolveHubToken } from './hubClient';
import { FLASHWORLD_REPO, FLASHWORLD_REVISION, WAN_REVISION } from './modelFiles';

let hub: FakeHub;
let cache: string;

beforeEach(async () => {
  hub = new FakeHub(testModelRepos(testModelDir, { wan: WAN_REVISION, flashworld: FLASHWORLD_REVISION }));
  await hub.start();
  cache = mkdtempSync(join(tmpdir(), 'fw-hubcache-'));
});
afterEach(() => hub.close());

const options = (extra: Partial<ModelDownloadOptions> = {}): ModelDownloadOptions => ({ hubCache: cache, endpoint: hub.url, env: {}, retryDelayMs: 1, ...extra });

async function failure(p: Promise<unknown>): Promise<StudioError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(StudioError);
  return e as StudioError;
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('download errors users hit', () => {
  it('network unreachable: says which endpoint, why, and that nothing is lost', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const err = await failure(downloadModel(options({ endpoint })));
    expect(err.code).toBe('NETWORK_UNREACHABLE');
    expect(err.message).toContain(endpoint);
    expect(err.message).toMatch(/connection was refused.*internet connection, proxy or firewall.*HF_ENDPOINT.*resume/);
  });

  it('a gated repo without a token: 401, asks for a token and where to accept the terms', async () => {
    hub.repos[1].access = 'gated';
    const err = await failure(downloadModel(options()));
    expect(err.code).toBe('HUB_AUTH_REQUIRED');
    expect(err.message).toContain(`${hub.url}/${FLASHWORLD_REPO}`);
    expect(err.message).toMatch(/needs a Hugging Face token.*--token.*HF_TOKEN/);
  });

  it('a gated repo whose terms the account has not accepted: 403, says to accept them', async () => {
    hub.repos[1].access = 'gated';
    hub.validTokens.add('hf_other');
    const err = await failure(downloadModel(options({ token: 'hf_other' })));
    expect(err.code).toBe('HUB_ACCESS_DENIED');
    expect(err.message).toMatch(/gated and the token's account has not been granted it.*accept the conditions/);
  });

  it('a gated repo with a granted token downloads, sending Authorization: Bearer', async () => {
    hub.repos[1].access = 'gated';
    const result = await downloadModel(options({ env: { HF_TOKEN: 'hf_valid' } }));
    expect(existsSync(result.files.checkpointPath)).toBe(true);
    expect(hub.requests.filter((r) => r.url.includes(FLASHWORLD_REPO)).every((r) => r.authorization === 'Bearer hf_valid')).toBe(true);
  });

  it('a rejected token: 401, says the token is invalid or expired', async () => {
    const err = await failure(downloadModel(options({ token: 'hf_expired' })));
    expect(err.code).toBe('HUB_AUTH_REQUIRED');
    expect(err.message).toMatch(/rejected the token \(invalid or expired\).*settings\/tokens/);
  });

  it('a revision that is gone: 404, names it and how to pick another', async () => {
    const err = await failure(downloadModel(options({ revisions: { [FLASHWORLD_REPO]: '0'.repeat(40) } })));
    expect(err.code).toBe('HUB_NOT_FOUND');
    expect(err.message).toMatch(new RegExp(`Revision 0{40} of imlixinyang/FlashWorld does not exist.*--revision imlixinyang/FlashWorld=main`));
  });

  it('a file the Hub no longer serves: 404, names the file', async () => {
    hub.setFault('model.ckpt', { status: { code: 404, times: 1, errorCode: 'EntryNotFound' } });
    const err = await failure(downloadModel(options()));
    expect(err.code).toBe('HUB_NOT_FOUND');
    expect(err.message).toMatch(/model\.ckpt is not in imlixinyang\/FlashWorld at revision 6a8e88c6/);
  });

  it('a private repo that does not exist for this user: 401 without a token', async () => {
    hub.repos[0].access = 'private';
    const err = await failure(downloadModel(options()));
    expect(err.code).toBe('HUB_AUTH_REQUIRED');
    expect(err.message).toMatch(/Wan-AI\/Wan2\.2-TI2V-5B-Diffusers needs a Hugging Face token/);
  });

  it('a passing server error (503) is retried and the download completes', async () => {
    hub.setFault('model.ckpt', { status: { code: 503, times: 2 } });
    const result = await downloadModel(options());
    expect(existsSync(result.files.checkpointPath)).toBe(true);
  });

  it('a server that keeps failing: HUB_UNAVAILABLE after the retries, with "try again later"', async () => {
    hub.setFault('model.ckpt', { status: { code: 502, times: 100 } });
    const err = await failure(downloadModel(options({ retries: 2 })));
    expect(err.code).toBe('HUB_UNAVAILABLE');
    expect(err.message).toMatch(/answered 502 \(server error\) for model\.ckpt of imlixinyang\/FlashWorld\. Try again in a few minutes/);
    expect(hub.requests.filter((r) => r.url.includes('/resolve/') && r.url.endsWith('model.ckpt'))).toHaveLength(3);
  });
});

describe('resolveHubToken', () => {
  it('prefers the explicit token, then HF_TOKEN, then the file `hf auth login` writes', () => {
    const home = mkdtempSync(join(tmpdir(), 'fw-hfhome-'));
    expect(resolveHubToken('hf_a', { HF_TOKEN: 'hf_b', HF_HOME: home })).toBe('hf_a');
    expect(resolveHubToken(undefined, { HF_TOKEN: 'hf_b', HF_HOME: home })).toBe('hf_b');
    expect(resolveHubToken(undefined, { HF_HOME: home })).toBeUndefined();
    writeFileSync(join(home, 'token'), 'hf_saved\n');
    expect(resolveHubToken(undefined, { HF_HOME: home })).toBe('hf_saved');
  });
});
