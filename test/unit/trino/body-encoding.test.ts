import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../../src/trino/body-encoding.js';
import { parseQueryResultsHead } from '../../../src/trino/query-results.js';

const BODY = Buffer.from('{"id":"20261207_061930_00000_gvtft","infoUri":"http://t/ui/query.html?x","nextUri":"http://t/n"}');

describe('decodeBody', () => {
  it('decodes gzip, deflate and br, and passes identity through', () => {
    for (const [encoding, bytes] of [['gzip', gzipSync(BODY)], ['GZIP', gzipSync(BODY)], ['deflate', deflateSync(BODY)], ['br', brotliCompressSync(BODY)], [undefined, BODY], ['identity', BODY]] as const) {
      const decoded = decodeBody(bytes, encoding);
      expect(decoded.ok, String(encoding)).toBe(true);
      if (decoded.ok) expect(parseQueryResultsHead(decoded.bytes)?.id).toBe('20261207_061930_00000_gvtft');
    }
  });

  it('reads what a cut-short gzip body holds', () => {
    const cut = gzipSync(BODY).subarray(0, 60);
    const decoded = decodeBody(cut, 'gzip');
    expect(decoded.ok).toBe(true);
  });

  it('names why it cannot read a body: an unknown encoding, or bytes that do not decode', () => {
    expect(decodeBody(BODY, 'zstd')).toEqual({ ok: false, reason: 'unsupported_encoding' });
    expect(decodeBody(BODY, 'gzip')).toEqual({ ok: false, reason: 'decode_failed' });
    expect(decodeBody(gzipSync(Buffer.alloc(4096)), 'gzip', 1024)).toEqual({ ok: false, reason: 'decode_failed' });
  });
});
