import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeHub, sha256, testModelRepos } from '../../test/helpers/fakeHub';
import { testModelDir } from '../../test/helpers/fixtures';
import { FLASHWORLD_REVISION, WAN_REVISION } from '../engine/model/modelFiles';
import { runModelCommand } from './modelCommand';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: string, done: () => void) {
    this.text += chunk.toString();
    done();
  }
}

let hub: FakeHub;
let cache: string;

beforeEach(async () => {
  hub = new FakeHub(testModelRepos(testModelDir, { wan: WAN_REVISION, flashworld: FLASHWORLD_REVISION }));
  await hub.start();
  cache = mkdtempSync(join(tmpdir(), 'fw-hubcache-'));
});
afterEach(() => hub.close());

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runModelCommand(args, { stdout, stderr, env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache, HOME: cache, ...env }, handleSigint: false });
  return { code, out: stdout.text, err: stderr.text };
}

describe('flashworld model', () => {
  it('status says what is missing before a download, download fetches with progress, then status is ready', async () => {
    const before = await cli(['status']);
    expect(before.code).toBe(1);
    expect(before.out).toMatch(/^not ready: .*not in the Hugging Face cache.*flashworld model download/);

    const download = await cli(['download']);
    expect(download.code).toBe(0);
    expect(download.err).toMatch(/12 files, 5\.\d MB: 0 B already in .*, 5\.\d MB to download/);
    expect(download.err).toMatch(/\[#+\.*\]\s+\d+% .*MB\/.*MB/);
    expect(download.err).toMatch(/100% 5\.\d MB\/5\.\d MB/);
    expect(download.err).toContain('got imlixinyang/FlashWorld/model.ckpt (1.3 MB)');
    expect(download.out).toMatch(/^model ready in .*: 5\.\d MB downloaded, 0 B reused\n$/);

    const after = await cli(['status']);
    expect(after.code).toBe(0);
    expect(after.out).toContain(`snapshots/${FLASHWORLD_REVISION}/model.ckpt`);
  });

  it('verify finds a damaged file, --repair removes it, download fetches it again', async () => {
    expect((await cli(['download'])).code).toBe(0);
    const vae = join(cache, 'models--Wan-AI--Wan2.2-TI2V-5B-Diffusers', 'blobs', sha256(hub.repos[0].files['vae/diffusion_pytorch_model.safetensors']));
    const data = readFileSync(vae);
    data[4096] ^= 1;
    writeFileSync(vae, data);

    const check = await cli(['verify']);
    expect(check.code).toBe(1);
    expect(check.out).toMatch(/^problem: vae\/diffusion_pytorch_model\.safetensors of Wan-AI\/Wan2\.2-TI2V-5B-Diffusers is damaged/);
    const repair = await cli(['verify', '--repair']);
    expect(repair.out).toContain('removed 1 damaged file(s)');
    const again = await cli(['download']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/3\.4 MB downloaded/);
    expect((await cli(['verify'])).out).toMatch(/^all 12 files intact/);
  });

  it('prints one line with the fix when the Hub can not be reached, and exits 1', async () => {
    await hub.close();
    const r = await cli(['download']);
    expect(r.code).toBe(1);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/^flashworld model download: Could not reach the Hugging Face Hub at http:\/\/127\.0\.0\.1:\d+ \(the connection was refused\)/);
  });

  it('passes --token as a Bearer token and --revision to the Hub', async () => {
    hub.repos[1].access = 'gated';
    hub.repos[1].branches = { dev: 'd'.repeat(40) };
    hub.repos[1].commit = 'd'.repeat(40);
    const denied = await cli(['download', '--revision', 'imlixinyang/FlashWorld=dev']);
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/imlixinyang\/FlashWorld needs a Hugging Face token/);
    const ok = await cli(['download', '--token', 'hf_valid', '--revision', 'imlixinyang/FlashWorld=dev']);
    expect(ok.code).toBe(0);
    expect(readFileSync(join(cache, 'models--imlixinyang--FlashWorld', 'refs', 'dev'), 'utf8')).toBe('d'.repeat(40));
  });

  it('download --build then build: graphs built once, then found', async () => {
    const graphs = mkdtempSync(join(tmpdir(), 'fw-graphs-'));
    const first = await cli(['download', '--build', '--graphs', graphs]);
    expect(first.err).not.toMatch(/flashworld model download:/);
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/transformer graph \(3\/4\): built/);
    expect(first.out).toMatch(/graphs ready in .*: 4 built, 0 already built/);
    const second = await cli(['build', '--graphs', graphs]);
    expect(second.code).toBe(0);
    expect(second.err.match(/already built/g)).toHaveLength(4);
  });

  it('rejects bad usage with the reason and exit status 2', async () => {
    expect((await cli(['fetch'])).err).toMatch(/unknown model command "fetch"/);
    const r = await cli(['download', '--revision', 'FlashWorld']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--revision FlashWorld: write it as ORG\/NAME=REVISION/);
    expect((await cli(['download', '--nope'])).code).toBe(2);
  });

  it('stops on the signal with exit status 130 and a later run resumes', async () => {
    hub.setFault('vae/diffusion_pytorch_model.safetensors', { stallAfter: 400_000 });
    const controller = new AbortController();
    const stdout = new Capture();
    const stderr = new Capture();
    const running = runModelCommand(['download', '--concurrency', '1'], {
      stdout,
      stderr,
      env: { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cache },
      signal: controller.signal,
      handleSigint: false,
    });
    while (!hub.requests.some((r) => r.file === 'vae/diffusion_pytorch_model.safetensors')) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    expect(await running).toBe(130);
    expect(stderr.text).toMatch(/cancelled\. Finished files are kept and partial ones resume/);
    const again = await cli(['download']);
    expect(again.code).toBe(0);
    expect(again.err).toMatch(/resuming Wan-AI\/Wan2\.2-TI2V-5B-Diffusers\/vae\/diffusion_pytorch_model\.safetensors from 400 kB/);
  });
});
