/** The Trino client protocol as a router sees it: pure parsing and building, no I/O. */
export * from './headers.js';
export * from './paths.js';
export * from './query-id.js';
export * from './query-results.js';
export * from './response-headers.js';
export { formUrlDecode, formUrlEncode } from './form-url-codec.js';
export { encodePropertyList } from './property-list.js';
export { authorizationUser, type AuthorizationUser } from './authorization-user.js';
