/**
 * Headers as the router receives them from Envoy: lower-case names in arrival order, one
 * entry per header line, so a name may repeat. Declared here so the protocol module depends
 * on nothing outside itself; the Envoy codec re-exports it.
 */
export type HeaderList = readonly (readonly [name: string, value: string])[];
