import { describe, expect, it } from 'vitest';
import { authorizationUser, basicCredentialsUser, unverifiedJwtClaim } from '../../../src/trino/authorization-user.js';

const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');

describe('basicCredentialsUser', () => {
  const cases: [credentials: string, user: string | undefined, why: string][] = [
    ['YWxpY2U6cHc=', 'alice', 'alice:pw'],
    ['YWxpY2U=', 'alice', 'no colon: user only, as Trino'],
    ['YWxpY2U', 'alice', 'padding is optional'],
    ['YWxpY2U6', 'alice', 'empty password'],
    ['OnB3', undefined, ':pw has an empty user'],
    ['', undefined, 'empty'],
    ['YWxpY2U==', undefined, 'wrong padding'],
    ['YWxpY2U6cHc', 'alice', 'unpadded'],
    ['YWxp Y2U=', undefined, 'space inside'],
    ['YWxpY2U6cHc-', undefined, 'base64url character'],
    ['YWxpY', undefined, 'length 1 mod 4'],
    [Buffer.from('jürgen:pw', 'latin1').toString('base64'), 'jürgen', 'ISO-8859-1, as Trino decodes'],
  ];
  for (const [credentials, user, why] of cases) {
    it(`${why}`, () => {
      expect(basicCredentialsUser(credentials)).toBe(user);
    });
  }
});

describe('unverifiedJwtClaim', () => {
  const header = b64url('{"alg":"none"}');
  it('reads a string claim without checking the signature', () => {
    expect(unverifiedJwtClaim(`${header}.${b64url('{"sub":"erin"}')}.forged`, 'sub')).toBe('erin');
    expect(unverifiedJwtClaim(`${header}.${b64url('{"sub":"erin"}')}.`, 'sub')).toBe('erin');
  });

  const none: [string, string][] = [
    ['two parts', `${header}.${b64url('{"sub":"x"}')}`],
    ['four parts', `${header}.${b64url('{"sub":"x"}')}.a.b`],
    ['empty payload', `${header}..sig`],
    ['empty header', `.${b64url('{"sub":"x"}')}.sig`],
    ['payload not base64url', `${header}.e30+.sig`],
    ['payload an array', `${header}.${b64url('["sub"]')}.sig`],
    ['payload truncated JSON', `${header}.${b64url('{"sub":"x"')}.sig`],
    ['empty claim', `${header}.${b64url('{"sub":""}')}.sig`],
    ['inherited name', `${header}.${b64url('{}')}.sig`],
  ];
  for (const [why, token] of none) {
    it(`no claim: ${why}`, () => {
      expect(unverifiedJwtClaim(token, why === 'inherited name' ? 'constructor' : 'sub')).toBeUndefined();
    });
  }
});

describe('authorizationUser', () => {
  it('matches the scheme case-insensitively and trims the credentials', () => {
    expect(authorizationUser('bAsIc   YWxpY2U6cHc=  ', 'sub')).toEqual({ user: 'alice', scheme: 'basic' });
    expect(authorizationUser(`BEARER ${b64url('{}')}.${b64url('{"sub":"x"}')}.s`, 'sub')).toEqual({ user: 'x', scheme: 'bearer' });
  });

  it('ignores other schemes', () => {
    expect(authorizationUser('Digest username="alice"', 'sub')).toBeUndefined();
    expect(authorizationUser('Basic', 'sub')).toBeUndefined();
  });
});
