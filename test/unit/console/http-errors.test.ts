import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { fieldErrors, fromAdminFailure } from '../../../src/console/http-errors.js';

describe('admin failures as HTTP', () => {
  it('keeps the message and reads the fields of one problem or of the "N problems" list', () => {
    expect(fieldErrors('rule.match.user.regex: invalid regular expression: /(/u: Unterminated group')).toEqual([
      { field: 'rule.match.user.regex', message: 'invalid regular expression: /(/u: Unterminated group' },
    ]);
    expect(fieldErrors('2 problems:\n  - rules[0].group: unknown group "x"\n  - rule.match.session_properties.query_priority: expected a value')).toEqual([
      { field: 'rules[0].group', message: 'unknown group "x"' },
      { field: 'rule.match.session_properties.query_priority', message: 'expected a value' },
    ]);
    expect(fieldErrors('the store is unavailable, try again')).toEqual([]);
  });

  it('maps the codes a client acts on', () => {
    const status = (code: grpc.status): number => fromAdminFailure({ code, details: 'x' }).status;
    expect([grpc.status.INVALID_ARGUMENT, grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED, grpc.status.NOT_FOUND,
      grpc.status.ALREADY_EXISTS, grpc.status.FAILED_PRECONDITION, grpc.status.UNIMPLEMENTED, grpc.status.UNAVAILABLE, grpc.status.INTERNAL].map(status))
      .toEqual([400, 401, 403, 404, 409, 409, 501, 503, 502]);
    expect(fromAdminFailure({ code: grpc.status.NOT_FOUND, details: 'no backend "x"' }).body).toEqual({ error: { code: 'NOT_FOUND', message: 'no backend "x"', fields: [] } });
    expect(fromAdminFailure(new Error('boom'))).toMatchObject({ status: 500, body: { error: { code: 'internal' } } });
  });
});
