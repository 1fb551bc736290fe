/** Opening a pack is bounded: file count, size per file and total size, for zips and folders alike. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { LIMITS, loadPack, readZip } from '../../app/node/packs/loader.js';

const saved = { ...LIMITS };
beforeEach(() => Object.assign(LIMITS, { maxFiles: 5, maxFileBytes: 64 * 1024, maxTotalBytes: 200 * 1024 }));
afterEach(() => Object.assign(LIMITS, saved));

function zipOf(entries: Array<[string, Buffer]>): Promise<Buffer> {
  const z = new yazl.ZipFile();
  for (const [n, b] of entries) z.addBuffer(b, n);
  z.end();
  return new Promise((res) => {
    const chunks: Buffer[] = [];
    z.outputStream.on('data', (c: Buffer) => chunks.push(c));
    z.outputStream.on('end', () => res(Buffer.concat(chunks)));
  });
}
const files = (n: number, size: number): Array<[string, Buffer]> => Array.from({ length: n }, (_, i) => [`f${i}.txt`, Buffer.alloc(size, 0x61)]);

describe('a .memlab is refused past the limits', () => {
  it('too many files', async () => {
    await expect(readZip(await zipOf(files(6, 10)), 'many.memlab')).rejects.toThrow('many.memlab: a pack may hold at most 5 files');
  });
  it('one file too large (it compresses to almost nothing: the declared size counts)', async () => {
    await expect(readZip(await zipOf([['big.png', Buffer.alloc(65 * 1024)]]), 'big.memlab')).rejects.toThrow('big.memlab: big.png is larger than 0.0625 MiB');
  });
  it('too much in all', async () => {
    await expect(readZip(await zipOf(files(4, 60 * 1024)), 'sum.memlab')).rejects.toThrow(/sum\.memlab: a pack may be at most .* MiB unpacked/);
  });
  it('within the limits it opens', async () => {
    expect((await readZip(await zipOf(files(5, 30 * 1024)), 'ok.memlab')).size).toBe(5);
  });
});

describe('a folder is refused past the same limits', () => {
  const folder = (n: number, size: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'lim-'));
    for (const [f, b] of files(n, size)) writeFileSync(join(dir, f), b);
    return dir;
  };
  it('too many files', async () => {
    await expect(loadPack(folder(6, 10))).rejects.toThrow('a pack may hold at most 5 files');
  });
  it('one file too large', async () => {
    await expect(loadPack(folder(1, 65 * 1024))).rejects.toThrow(/f0\.txt is larger than/);
  });
  it('too much in all', async () => {
    await expect(loadPack(folder(4, 60 * 1024))).rejects.toThrow(/a pack may be at most/);
  });
});

describe('the memlab version a pack needs', () => {
  it('compares like semver, missing parts as 0', async () => {
    const { satisfies } = await import('../../app/node/packs/loader.js');
    expect(satisfies('0.1.0', '>=0.1')).toBe(true);
    expect(satisfies('0.1.0', '>=0.1.1')).toBe(false);
    expect(satisfies('0.10.0', '>=0.9')).toBe(true);
    expect(satisfies('1.0.0', '>=0.99.99')).toBe(true);
    expect(satisfies('0.2.0-beta', '>=0.2')).toBe(true);
    expect(satisfies('0.1.9', '>=0.2')).toBe(false);
  });
});
